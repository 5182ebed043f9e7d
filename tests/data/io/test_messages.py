"""The importer's findings speak the user's language: on the import preview page Arabic by
default and English with ``?lang=en``, in a ``tasharuk import`` command the shell's language;
the row, column and value of each finding are the same in both."""

from __future__ import annotations

import html
import io
import re

ARABIC = re.compile("[\u0600-\u06ff]")

# row 2: unknown p-code, negative people count, a month name that is no month;
# row 3: a number that is no number, a month without its year (the --period hint).
CSV = (b"implementing_partner,admin3pcode,activity,beneficiaries,month\n"
       b"Maram Foundation (MF),SY999999,Food Baskets,-5,Smarch 2023\n"
       b"Maram Foundation (MF),SY020405,Food Baskets,abc,Jan\n")

FINDINGS = {  # (row, column, value) -> (Arabic problem, suggestion), (English ...)
    (2, "admin3pcode", "SY999999"): (
        ("رمز المستوى الإداري 3 غير معروف", "استخدم رمزاً من رموز OCHA COD-AB"),
        ("unknown admin3 p-code", "use an OCHA COD-AB p-code")),
    (2, "beneficiaries", "-5"): (
        ("'-5' رقم سالب", "اكتب عدداً صحيحاً"),
        ("'-5' is negative", "write a whole number")),
    (2, "month", "Smarch 2023"): (
        ("'Smarch 2023' ليس اسم شهر", "صحّح التاريخ (لم يُخمَّن)"),
        ("'Smarch 2023' is not a month name", "correct the date (it was not guessed)")),
    (3, "beneficiaries", "abc"): (
        ("'abc' ليس رقماً", "اكتب عدداً صحيحاً"),
        ("'abc' is not a number", "write a whole number")),
    (3, "month", "Jan"): (
        ("الشهر 'Jan' بلا سنة", "حدّد الفترة للصفوف التي بلا سنة (YYYY-MM)"),
        ("month 'Jan' has no year", "give the period for rows without a year (YYYY-MM)")),
}

ROW = re.compile(r'<tr><td>(\d+)</td><td>[^<]*</td>\s*<td dir="auto">([^<]*)</td>'
                 r'<td dir="auto">([^<]*)</td>\s*<td>([^<]*)</td><td>([^<]*)</td></tr>')


def _upload(client, content: bytes, name: str = "4w.csv", query: str = ""):
    return client.post(f"/exchange/import{query}",
                       data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def _findings(page: str) -> dict[tuple[int, str, str], tuple[str, str]]:
    """The preview table: (row, column, value) -> (problem, suggestion)."""
    return {(int(n), html.unescape(c), html.unescape(v)): (html.unescape(p), html.unescape(s))
            for n, c, v, p, s in ROW.findall(page)}


def test_row_findings_are_arabic_by_default_and_english_on_request(client, make, login):
    login(make.user("platform_admin"))
    resp = _upload(client, CSV)
    assert resp.status_code == 200
    arabic = _findings(resp.get_data(as_text=True))
    for key, (ar, _en) in FINDINGS.items():
        assert arabic.get(key) == ar, (key, arabic.get(key))

    resp = _upload(client, CSV, query="?lang=en")
    assert resp.status_code == 200
    english = _findings(resp.get_data(as_text=True))
    for key, (_ar, en) in FINDINGS.items():
        assert english.get(key) == en, (key, english.get(key))
    assert not [t for pair in english.values() for t in pair if ARABIC.search(t)]
    assert english.keys() == arabic.keys()  # the same findings on the same cells


def test_a_bad_file_is_explained_in_the_page_s_language_with_its_own_name(client, make,
                                                                          login):
    login(make.user("platform_admin"))
    broken = b"\xff\xfeimplementing_partner,admin3pcode\nMF,SY020405\n"
    page = _upload(client, broken, name="my file.csv").get_data(as_text=True)
    assert "my file.csv: النص ليس بترميز UTF-8 (البايت 0)" in html.unescape(page)
    page = _upload(client, broken, name="my file.csv", query="?lang=en").get_data(as_text=True)
    assert "my file.csv: not UTF-8 text (byte 0); save the file as 'CSV UTF-8'" in \
        html.unescape(page)


def test_the_import_command_speaks_the_shell_s_language(runner, monkeypatch, tmp_path):
    path = tmp_path / "4w.csv"
    path.write_bytes(CSV)
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "ar_SY.UTF-8")
    arabic = runner.invoke(args=["import", "4w", str(path), "--dry-run"]).output
    assert "'Smarch 2023' ليس اسم شهر -> صحّح التاريخ (لم يُخمَّن)" in arabic, arabic
    assert "4w.csv: قُرئ 2 من الصفوف، وقُبل 0، ورُفض 2، مع 2 من الملاحظات" in arabic
    assert "سيُنشأ: 1 من المنظمات" in arabic
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    english = runner.invoke(args=["import", "4w", str(path), "--dry-run"]).output
    assert "'Smarch 2023' is not a month name -> correct the date (it was not guessed)" in \
        english, english
    assert "4w.csv: 2 rows read, 0 accepted, 2 rejected, 2 doubtful findings; would create " \
        "1 organizations; updated nothing;" in english


def test_hsds_validation_speaks_the_request_s_language(app):
    """HSDS field errors keep their path (structured) and translate only the human part."""
    from data.io.hsds import check_service

    doc = {"id": "nope", "name": "x", "status": "active"}
    with app.test_request_context("/?lang=ar"):
        arabic = check_service(doc)
    with app.test_request_context("/?lang=en"):
        english = check_service(doc)
    assert "service.id: يجب أن يكون معرّفاً من نوع UUID (القيمة المُعطاة 'nope')" in arabic
    assert "service.id: must be a UUID (got 'nope')" in english
    assert [e.split(":", 1)[0] for e in arabic] == [e.split(":", 1)[0] for e in english]
