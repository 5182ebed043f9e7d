"""A small, realistic set of library documents for the search tests (texts written for Tasharuk).

Imported by the other tests/test_library*.py files (no tests of its own);
``build(session, admin)`` creates and publishes them.
"""

from __future__ import annotations

MOSAL_AR = "وزارة الشؤون الاجتماعية والعمل"
MOSAL_EN = "Ministry of Social Affairs and Labour"

DOCS: dict[str, dict] = {
    "law93": dict(
        kind="law", number="93", issue_date="1958-07-08",
        issuer_ar="رئاسة الجمهورية", issuer_en="Presidency of the Republic",
        title_ar="قانون الجمعيات والمؤسسات الخاصة رقم 93 لعام 1958",
        title_en="Law No. 93 of 1958 on associations and private institutions",
        summary_ar="ينظم تأسيس الجمعيات والمؤسسات الخاصة وإشهارها وحلها والرقابة عليها.",
        summary_en="Governs the founding, registration, dissolution and supervision of "
                   "associations and private institutions.",
        body_ar="المادة 1: تعتبر جمعية في تطبيق أحكام هذا القانون كل جماعة ذات تنظيم مستمر "
                "لمدة معينة أو غير معينة تتألف من أشخاص طبيعيين أو اعتباريين لغرض غير الحصول "
                "على ربح مادي. المادة 7: على كل جمعية أن تطلب شهر نظامها وفقاً لأحكام هذا "
                "القانون، ولا تثبت الشخصية الاعتبارية للجمعية إلا إذا شهر نظامها.",
        body_en="Article 1: an association is any group with a lasting organisation formed by "
                "natural or legal persons for a purpose other than material profit.",
        topics=["registration"],
    ),
    "decree_amend": dict(
        kind="legislative_decree", number="8/2021", issue_date="2021-03-15",
        issuer_ar="رئاسة الجمهورية", issuer_en="Presidency of the Republic",
        title_ar="مرسوم تشريعي بتعديل بعض مواد قانون الجمعيات",
        title_en="Legislative decree amending articles of the associations law",
        summary_ar="يعدل المواد المتعلقة بمهل البت في طلبات الإشهار ويضيف أحكاماً للشفافية "
                   "المالية.",
        summary_en="Amends the deadlines for deciding on registration requests and adds "
                   "financial transparency rules.",
        body_ar="تعدل المادة 10 بحيث تبت الوزارة في طلب الإشهار خلال ستين يوماً من تاريخ "
                "تقديمه مستكملاً.",
        topics=["registration"],
    ),
    "circ_reports": dict(
        kind="circular", number="12/2022", issue_date="2022-01-20",
        issuer_ar=MOSAL_AR, issuer_en=MOSAL_EN,
        title_ar="تعميم بشأن تقديم التقارير السنوية للجمعيات",
        title_en="Circular on submitting the annual reports of associations",
        summary_ar="على الجمعيات تقديم التقرير المالي والإداري السنوي قبل نهاية شهر آذار.",
        summary_en="Associations submit their annual financial and administrative report "
                   "before the end of March.",
        body_ar="يرفق بالتقرير السنوي بيان بالمشاريع المنفذة وأعداد المستفيدين وميزانية "
                "مصدقة من محاسب قانوني.",
        topics=["reporting"],
    ),
    "circ_bank": dict(
        kind="circular", number="31/2023", issue_date="2023-06-04",
        issuer_ar=MOSAL_AR, issuer_en=MOSAL_EN,
        title_ar="تعميم حول فتح الحسابات المصرفية للجمعيات الأهلية",
        title_en="Circular on opening bank accounts for civil associations",
        summary_ar="يجوز للجمعية المشهرة فتح حساب مصرفي باسمها بعد موافقة المديرية.",
        summary_en="A registered association may open a bank account in its name after the "
                   "directorate approves.",
        body_ar="تودع جميع التبرعات النقدية في الحساب المصرفي للجمعية.",
        topics=["financing"],
    ),
    "dec_fundraising": dict(
        kind="ministerial_decision", number="1330", issue_date="2019-09-10",
        issuer_ar=MOSAL_AR, issuer_en=MOSAL_EN,
        title_ar="قرار وزاري بتنظيم جمع التبرعات",
        title_en="Ministerial decision regulating fundraising",
        summary_ar="يحدد شروط جمع التبرعات والإعلان عنها وتوثيق الإيصالات.",
        summary_en="Sets the conditions for fundraising campaigns, their announcement and "
                   "receipts.",
        body_ar="لا يجوز جمع التبرعات في الأماكن العامة إلا بترخيص مسبق، وتصدر إيصالات "
                "مرقمة لكل تبرع.",
        topics=["financing"],
    ),
    "dec_old_fundraising": dict(
        kind="ministerial_decision", number="450", issue_date="2004-02-01",
        issuer_ar=MOSAL_AR, issuer_en=MOSAL_EN,
        title_ar="قرار بشأن حملات التبرع الموسمية",
        title_en="Decision on seasonal donation campaigns",
        summary_ar="حملات التبرع في شهر رمضان والأعياد.",
        summary_en="Donation campaigns during Ramadan and feasts.",
        body_ar="يسمح بحملات التبرع الموسمية لمدة شهر واحد.",
        topics=["financing"],
    ),
    "guide_registration": dict(
        kind="guideline", number="", issue_date="2020-11-01",
        issuer_ar=MOSAL_AR, issuer_en=MOSAL_EN,
        title_ar="دليل إجراءات إشهار الجمعيات",
        title_en="Guide to the registration procedure of associations",
        summary_ar="خطوات الإشهار والوثائق المطلوبة والمهل.",
        summary_en="Registration steps, required documents and deadlines.",
        body_ar="يقدم طلب الإشهار إلى مديرية الشؤون الاجتماعية والعمل في المحافظة مرفقاً "
                "بالنظام الأساسي ومحضر اجتماع المؤسسين.",
        topics=["registration"],
    ),
    "form_registration": dict(
        kind="form", number="F-1", issue_date="2020-11-01",
        issuer_ar=MOSAL_AR, issuer_en=MOSAL_EN,
        title_ar="نموذج طلب إشهار جمعية",
        title_en="Application form for registering an association",
        summary_ar="النموذج الذي يملؤه المؤسسون.",
        summary_en="The form the founders fill in.",
        topics=["registration"],
    ),
    "decree_tax": dict(
        kind="decree", number="215", issue_date="2018-05-22",
        issuer_ar="رئاسة مجلس الوزراء", issuer_en="Prime Ministry",
        title_ar="مرسوم بإعفاء الجمعيات الخيرية من الرسوم والضرائب على المساعدات المستوردة",
        title_en="Decree exempting charities from taxes and duties on imported aid",
        summary_ar="إعفاء المواد الإغاثية المستوردة من الرسوم الجمركية.",
        summary_en="Relief goods imported by charities are exempt from customs duties.",
        topics=["taxation"],
    ),
    "circ_mou": dict(
        kind="circular", number="7/2024", issue_date="2024-02-11",
        issuer_ar=MOSAL_AR, issuer_en=MOSAL_EN,
        title_ar="تعميم بشأن توقيع مذكرات التفاهم مع المنظمات الدولية",
        title_en="Circular on signing memoranda of understanding with international "
                 "organisations",
        summary_ar="تعرض مذكرة التفاهم على الوزارة قبل توقيعها.",
        summary_en="Each memorandum of understanding is submitted to the ministry before "
                   "signature.",
        topics=["partnerships"],
    ),
    "guide_pss": dict(
        kind="guideline", number="", issue_date="2023-09-01",
        issuer_ar="وزارة الصحة", issuer_en="Ministry of Health",
        title_ar="الدليل الوطني للدعم النفسي والاجتماعي وإحالة الحالات",
        title_en="National guideline on psychosocial support and case referral",
        summary_ar="معايير تقديم خدمات الدعم النفسي والاجتماعي ومسارات الإحالة.",
        summary_en="Standards for psychosocial support services and referral pathways.",
        topics=[], sectors=["protection", "health"],
    ),
    "circ_health": dict(
        kind="circular", number="44/2022", issue_date="2022-08-30",
        issuer_ar="وزارة الصحة", issuer_en="Ministry of Health",
        title_ar="تعميم حول ترخيص المراكز الصحية التابعة للجمعيات",
        title_en="Circular on licensing health centres run by associations",
        summary_ar="شروط ترخيص المستوصفات والمراكز الصحية الخيرية.",
        summary_en="Licensing conditions for charitable clinics and health centres.",
        topics=["licensing"], sectors=["health"],
    ),
}

# (query, key of the document expected FIRST)
FIRST: list[tuple[str, str]] = [
    ("93", "law93"),
    ("٩٣", "law93"),
    ("قانون رقم ٩٣", "law93"),
    ("قانون الجمعيات", "law93"),
    ("associations law 93", "law93"),
    ("جمع التبرعات", "dec_fundraising"),
    ("fundraising", "dec_fundraising"),
    ("fundrasing", "dec_fundraising"),  # a typo: trigram similarity
    ("1330", "dec_fundraising"),
    ("التقارير السنوية", "circ_reports"),
    ("تقرير سنوي", "circ_reports"),  # singular finds the broken plural
    ("annual report", "circ_reports"),
    ("الحسابات المصرفية", "circ_bank"),
    ("bank account", "circ_bank"),
    ("مذكرات التفاهم", "circ_mou"),
    ("memorandum of understanding", "circ_mou"),
    ("إعفاء من الرسوم", "decree_tax"),
    ("tax exemption", "decree_tax"),
    ("ترخيص المراكز الصحية", "circ_health"),
    ("الدعم النفسي", "guide_pss"),
    ("psychosocial", "guide_pss"),
    ("المراسيم التشريعية", "decree_amend"),  # broken plural of مرسوم
    ("نموذج طلب", "form_registration"),
    ("دليل الإشهار", "guide_registration"),
    ("دليل الاشهار", "guide_registration"),  # without hamza
]

# (query, keys that must all be found)
FINDS: list[tuple[str, set[str]]] = [
    ("التعاميم", {"circ_reports", "circ_bank", "circ_mou", "circ_health"}),
    ("الجمعيات", {"form_registration", "law93", "guide_registration"}),
    ("الجَمْعِيّات", {"form_registration", "law93"}),  # with diacritics
    ("تعـــميم", {"circ_reports", "circ_bank"}),  # with tatweel
    ("الإشهار", {"guide_registration", "form_registration", "decree_amend"}),
    ("التبرع", {"dec_fundraising", "dec_old_fundraising"}),
    ("circulars", {"circ_reports", "circ_bank", "circ_mou", "circ_health"}),
    ("associations", {"law93", "circ_reports", "form_registration"}),
]


def build(session, admin=None) -> dict[str, int]:
    """Create and publish every document; return {key: id}. The old fundraising decision is
    repealed by the new one, and law 93 amended by the 2021 decree."""
    from network.library import create_document, update_document

    ids: dict[str, int] = {}
    for key, data in DOCS.items():
        ids[key] = create_document(session, admin, {**data, "published": True}).id
    update_document(session, admin, ids["law93"],
                    {"status": "amended", "status_by_id": ids["decree_amend"]})
    update_document(session, admin, ids["dec_old_fundraising"],
                    {"status": "repealed", "status_by_id": ids["dec_fundraising"]})
    return ids


# ---------------------------------------------------------------- sample files

def docx_bytes() -> bytes:
    """A minimal Word (DOCX) file."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
       b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35"
       b"\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")  # a whole 1x1 image
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
HTML = b"<html><script>alert(1)</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
ZIP_NOT_DOCX = None  # built in the test (a plain zip named .docx)
