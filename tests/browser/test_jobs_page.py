"""The platform admins' jobs page in a real browser, in Arabic on a phone and English on a
desktop: a failed job with its error, sent back to the queue with its Retry button; axe clean,
no request outside the app, no script error, nothing wider than the screen."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

from tests.browser.conftest import DESKTOP, PHONE
from tests.conftest import free_port
from tests.kits.jobs import hold_schedules


def _failed_mail(app) -> int:
    """A mail job that the real worker ran and kept as failed (nothing listens on its SMTP
    port; one attempt allowed)."""
    from data.db import db
    from data.models import User
    from referral.notify import MailConfig, notify

    port = free_port()
    with app.app_context():
        s = db.session
        user = s.scalars(select(User).order_by(User.id).limit(1)).one()
        notify(s, [user], "k", "نص", "Text", "/x",
               config=MailConfig("127.0.0.1", port))
        s.commit()
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "x",
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port), "TASHARUK_JOB_ATTEMPTS": "1"}
    hold_schedules(app.config["DATABASE_URL"])  # only the test's mail job runs
    subprocess.run([str(Path(sys.executable).parent / "tasharuk"), "worker", "--once",
                    "--queue", "mail"], env=env, check=True, capture_output=True, timeout=120)
    with app.app_context():
        return db.session.execute(text(
            "SELECT max(id) FROM procrastinate_jobs WHERE task_name = 'mail.send' "
            "AND status = 'failed'")).scalar()


@pytest.mark.parametrize(("locale", "size", "words"), [
    ("ar", PHONE, ("المهام الخلفية", "فشلت", "إعادة المحاولة")),
    ("en", DESKTOP, ("Background jobs", "failed", "Retry")),
])
def test_a_platform_admin_sees_a_failed_job_and_retries_it(visit, demo_app, locale, size,
                                                           words):
    job = _failed_mail(demo_app)
    v = visit(size=size, locale=locale)
    v.sign_in("admin@demo.tasharuk")
    v.set_language(locale)
    v.goto("/admin/jobs/?status=failed", f"failed jobs {locale}")
    assert v.page.locator("html").get_attribute("dir") == ("rtl" if locale == "ar" else "ltr")
    main = v.page.inner_text("main")
    for word in words:
        assert word in main
    row = v.page.locator("tr", has_text=f"#{job}")
    assert "MailNotSent" in row.inner_text()
    with v.page.expect_navigation():
        row.get_by_role("button").click()
    v.check(f"retried {locale}")
    assert f"{job}" in v.page.inner_text("main")  # "Job N is queued again."
    assert not v.page.locator("tr", has_text=f"#{job}").count()  # no longer failed
    v.goto("/admin/jobs/?status=todo", f"queued jobs {locale}")
    assert v.page.locator("tr", has_text=f"#{job}").count() == 1
