"""The platform admins' jobs page: failed jobs with their errors, a retry, bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.conftest import free_port
from tests.kits.jobs import run_queued


@pytest.fixture
def failed_mail(app, session, make):
    """A mail job that failed (nothing listens on its SMTP port), its error recorded."""
    from referral.notify import MailConfig, notify

    port = free_port()
    old = {k: app.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    notify(session, [make.user(role="org_admin")], "k", "نص", "Text", "/x",
           config=MailConfig("127.0.0.1", port))
    assert run_queued(app, session, "mail.send") == [("mail.send", "MailNotSent")]
    yield session.execute(text("SELECT max(id) FROM procrastinate_jobs "
                               "WHERE task_name = 'mail.send'")).scalar()
    app.config.update(old)


@pytest.mark.parametrize(("lang", "words"), [
    ("ar", ["المهام الخلفية", "فشلت", "إعادة المحاولة"]),
    ("en", ["Background jobs", "failed", "Retry"]),
])
def test_admin_sees_failed_job_with_its_error_in_both_languages(client, make, login,
                                                                failed_mail, lang, words):
    login(make.user(role="platform_admin"))
    page = client.get(f"/admin/jobs/?status=failed&lang={lang}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"#{failed_mail}" in html and "MailNotSent" in html
    for word in words:
        assert word in html


def test_retry_sends_a_failed_job_back_to_the_queue(client, make, login, failed_mail, session):
    login(make.user(role="platform_admin"))
    res = client.post(f"/admin/jobs/{failed_mail}/retry")
    assert res.status_code == 302
    status = session.execute(text("SELECT status::text FROM procrastinate_jobs WHERE id = :i"),
                             {"i": failed_mail}).scalar()
    assert status == "todo"
    again = client.post(f"/admin/jobs/{failed_mail}/retry")  # not failed any more
    assert again.status_code == 409


@pytest.mark.parametrize(("url", "method", "status"), [
    ("/admin/jobs/?status=lost", "get", 400),
    ("/admin/jobs/999999999/retry", "post", 404),
])
def test_bad_input_is_a_clear_4xx(client, make, login, url, method, status):
    login(make.user(role="platform_admin"))
    assert getattr(client, method)(url).status_code == status
