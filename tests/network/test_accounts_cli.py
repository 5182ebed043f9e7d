"""``tasharuk users|tokens|orgs``: the happy paths, and bad input exiting 2 with a message."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from data.models import ApiToken, AuditLog, User


def run(runner, *args):
    return runner.invoke(args=list(args))


def test_users_create_with_password_then_sign_in(runner, client, session, make):
    org = make.org(acronym="SARC")
    result = run(runner, "users", "create", "--email", "Lina@Example.org", "--org", "sarc",
                 "--role", "caseworker", "--password", "a long enough password")
    assert result.exit_code == 0, result.output
    user = session.scalar(select(User).where(User.email == "lina@example.org"))
    assert (user.role, user.organization_id) == ("caseworker", org.id)
    assert client.post("/auth/login", data={"email": "lina@example.org",
                                            "password": "a long enough password"}
                       ).status_code == 302


def test_users_create_without_password_prints_a_reset_link(runner, client, session, make):
    org = make.org()
    result = run(runner, "users", "create", "--email", "x@example.org", "--org", str(org.id),
                 "--role", "viewer")
    assert result.exit_code == 0, result.output
    link = result.output.strip().splitlines()[-1].split(": ", 1)[1]
    assert link.startswith("http://127.0.0.1:5000/auth/reset/")
    assert client.get(link.replace("http://127.0.0.1:5000", "")).status_code == 200


def test_platform_admin_needs_no_org(runner, session):
    result = run(runner, "users", "create", "--email", "root@example.org", "--role",
                 "platform_admin", "--password", "a long enough password")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("args", "message"), [
    (["--org", "NOPE", "--role", "viewer"], "No organisation 'NOPE'"),
    (["--org", "{org}", "--role", "superuser"], "Unknown role 'superuser'"),
    (["--role", "caseworker"], "must belong to an organisation"),
    (["--org", "{org}", "--role", "viewer", "--password", "short"], "at least 10"),
    (["--org", "{org}", "--role", "viewer", "--email", "taken@example.org"], "already exists"),
])
def test_users_create_bad_input_exits_2(runner, session, make, args, message):
    org = make.org()
    make.user("viewer", org, email="taken@example.org")
    before = len(session.scalars(select(User)).all())
    args = [a.replace("{org}", str(org.id)) for a in args]
    if "--email" not in args:
        args = ["--email", "new@example.org", *args]
    result = run(runner, "users", "create", *args)
    assert result.exit_code == 2
    assert message in result.output
    session.expire_all()
    assert len(session.scalars(select(User)).all()) == before


def test_set_role_is_audited(runner, session, make):
    user = make.user("viewer")
    result = run(runner, "users", "set-role", user.email, "planner")
    assert result.exit_code == 0, result.output
    session.refresh(user)
    assert user.role == "planner"
    entry = session.scalars(select(AuditLog).where(AuditLog.action == "role.changed")).one()
    assert entry.summary == {"email": user.email, "from": "viewer", "to": "planner"}


SHELL = {"LC_ALL": None, "LC_MESSAGES": None}


@pytest.mark.parametrize(("lang", "created", "reset"), [
    ("en_GB.UTF-8", "User {id} created: new@example.org (viewer).", "Set a password with: "),
    ("ar_SY.UTF-8", "أُنشئ المستخدم {id}: new@example.org (viewer).",
     "عيّن كلمة المرور من هذا الرابط: "),
])
def test_users_create_speaks_the_shells_language(runner, session, make, lang, created, reset):
    org = make.org()
    result = runner.invoke(args=["users", "create", "--email", "new@example.org", "--org",
                                 str(org.id), "--role", "viewer"], env={**SHELL, "LANG": lang})
    assert result.exit_code == 0, result.output
    user = session.scalar(select(User).where(User.email == "new@example.org"))
    said, link = result.output.strip().splitlines()
    assert said == created.format(id=user.id)
    assert link.startswith(reset + "http://127.0.0.1:5000/auth/reset/")


@pytest.mark.parametrize(("lang", "role", "said"), [
    ("en_GB.UTF-8", "planner", "{email} now has the role planner (it was viewer).\n"
                               "{email}: 0 sessions ended"),
    ("en_GB.UTF-8", "viewer", "{email} has the role viewer already."),
    ("ar_SY.UTF-8", "planner", "أصبح دور {email} الآن planner (كان viewer).\n"
                               "{email}: لم تُنهَ أي جلسة"),
    ("ar_SY.UTF-8", "viewer", "دور {email} هو viewer من قبل."),
])
def test_set_role_speaks_the_shells_language(runner, make, lang, role, said):
    user = make.user("viewer")
    result = runner.invoke(args=["users", "set-role", user.email, role],
                           env={**SHELL, "LANG": lang})
    assert result.exit_code == 0, result.output
    assert result.output.strip() == said.format(email=user.email)


@pytest.mark.parametrize(("lang", "signed_in", "said"), [
    ("en_GB.UTF-8", 1, "{email}: 1 session ended"),
    ("en_GB.UTF-8", 3, "{email}: 3 sessions ended"),
    ("ar_SY.UTF-8", 1, "{email}: أُنهيت جلسة واحدة"),
    ("ar_SY.UTF-8", 2, "{email}: أُنهيت جلستان"),
    ("ar_SY.UTF-8", 3, "{email}: أُنهيت 3 جلسات"),
])
def test_set_role_says_how_many_sessions_it_ended(runner, session, make, lang, signed_in,
                                                  said):
    """A new role ends the user's signed-in sessions (the old role's pages must not stay
    open); the command says how many, as ``users sign-out`` does."""
    from data.models import UserSession
    from network.sessions import end_sessions, start_session

    user, other = make.user("viewer"), make.user("viewer")
    start_session(session, user, client_hint="pytest")
    end_sessions(session, user, "pytest")  # ended earlier: not counted again
    for _ in range(signed_in):
        start_session(session, user, client_hint="pytest")
    start_session(session, other, client_hint="pytest")
    result = runner.invoke(args=["users", "set-role", user.email, "planner"],
                           env={**SHELL, "LANG": lang})
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == said.format(email=user.email)
    session.expire_all()
    live = {s.user_id for s in session.scalars(
        select(UserSession).where(UserSession.ended_at.is_(None)))}
    assert user.id not in live and other.id in live


@pytest.mark.parametrize(("args", "message"), [
    (["nobody@example.org", "viewer"], "No user"),
    (["{email}", "boss"], "Unknown role 'boss'"),
])
def test_set_role_bad_input_exits_2(runner, make, args, message):
    user = make.user("viewer")
    result = run(runner, "users", "set-role", *[a.replace("{email}", user.email) for a in args])
    assert result.exit_code == 2 and message in result.output


def test_reset_link_command(runner, client, make):
    user = make.user("viewer")
    result = run(runner, "users", "reset-link", user.email)
    assert result.exit_code == 0
    path = result.output.strip().replace("http://127.0.0.1:5000", "")
    assert client.get(path).status_code == 200
    assert run(runner, "users", "reset-link", "ghost@example.org").exit_code == 2


def test_invite_command_prints_a_working_link(runner, client, make):
    org = make.org()
    result = run(runner, "users", "invite", "--email", "i@example.org", "--org", str(org.id),
                 "--role", "caseworker")
    assert result.exit_code == 0, result.output
    assert client.get(result.output.strip().replace("http://127.0.0.1:5000", "")
                      ).status_code == 200


def test_tokens_create_prints_the_secret_once_and_revoke(runner, client, session, make):
    org = make.org(acronym="IRC")
    result = run(runner, "tokens", "create", "--org", "IRC", "--role", "planner", "--name",
                 "export job")
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    token = session.scalars(select(ApiToken)).one()
    assert (token.organization_id, token.role, token.name) == (org.id, "planner", "export job")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.get_json()["role"] == "planner"
    assert run(runner, "tokens", "revoke", str(token.id)).exit_code == 0
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}
                      ).status_code == 401


@pytest.mark.parametrize(("args", "message"), [
    (["create", "--org", "NOPE", "--role", "viewer"], "No organisation"),
    (["create", "--org", "{org}", "--role", "platform_admin"], "Unknown token role"),
    (["create", "--org", "{pending}", "--role", "viewer"], "verified"),
    (["revoke", "999999"], "No API token 999999"),
    (["create", "--org", "{org}", "--role", "viewer", "--days", "0"], "days must be"),
])
def test_tokens_bad_input_exits_2(runner, session, make, args, message):
    org, pending = make.org(), make.org(verification="pending")
    args = [a.replace("{org}", str(org.id)).replace("{pending}", str(pending.id)) for a in args]
    result = run(runner, "tokens", *args)
    assert result.exit_code == 2 and message in result.output
    assert session.scalars(select(ApiToken)).all() == []


def test_orgs_verify_and_reject(runner, session, make):
    org = make.org(verification="pending", registration_number="REG-9")
    listed = run(runner, "orgs", "pending")
    assert "REG-9" in listed.output
    no_reason = run(runner, "orgs", "verify", "REG-9", "--reject")
    assert no_reason.exit_code == 2 and "reason" in no_reason.output
    session.refresh(org)
    assert org.verification == "pending"
    assert run(runner, "orgs", "verify", "REG-9", "--reject", "--reason", "unknown").exit_code == 0
    session.refresh(org)
    assert org.verification == "rejected"
    assert run(runner, "orgs", "verify", str(org.id)).exit_code == 0
    session.refresh(org)
    assert org.verification == "verified"
    assert run(runner, "orgs", "verify", "NO-SUCH-ORG").exit_code == 2


@pytest.mark.parametrize(("args", "message"), [
    (["--email", "not-an-address", "--org", "{org}", "--role", "viewer"], "not an email"),
    (["--email", "q@example.org", "--org", "NOPE", "--role", "viewer"], "No organisation"),
    (["--email", "q@example.org", "--org", "{org}", "--role", "platform_admin"],
     "Unknown role 'platform_admin'"),
    (["--email", "taken@example.org", "--org", "{org}", "--role", "viewer"], "already has"),
])
def test_users_invite_bad_input_exits_2_and_audits_nothing(runner, session, make, args,
                                                           message):
    org = make.org()
    make.user("viewer", org, email="taken@example.org")
    result = run(runner, "users", "invite", *[a.replace("{org}", str(org.id)) for a in args])
    assert result.exit_code == 2 and message in result.output
    assert "/auth/invitation/" not in result.output
    session.expire_all()
    assert session.scalars(select(AuditLog).where(AuditLog.action == "member.invited")
                           ).all() == []


def test_set_role_bad_input_changes_nothing(runner, session, make):
    user = make.user("viewer")
    assert run(runner, "users", "set-role", user.email, "boss").exit_code == 2
    session.expire_all()
    assert session.get(User, user.id).role == "viewer"
    assert session.scalars(select(AuditLog).where(AuditLog.action == "role.changed")).all() == []


@pytest.mark.parametrize("ref", ["NOPE", "999999"])
def test_orgs_verify_unknown_org_exits_2(runner, ref):
    result = run(runner, "orgs", "verify", ref)
    assert result.exit_code == 2 and f"No organisation '{ref}'" in result.output


@pytest.mark.parametrize(("lang", "created", "revoked"), [
    ("en_GB.UTF-8", "Token {id} created (planner, Relief NGO); its secret, shown this once:",
     "Token {id} revoked."),
    ("ar_SY.UTF-8", "أُنشئ الرمز {id} (planner، منظمة الإغاثة)؛ سرّه، ويظهر هذه المرة فقط:",
     "أُلغي الرمز {id}."),
])
def test_tokens_speak_the_shells_language(runner, session, make, lang, created, revoked):
    org = make.org(name_en="Relief NGO", name_ar="منظمة الإغاثة")
    env = {**SHELL, "LANG": lang}
    result = runner.invoke(args=["tokens", "create", "--org", str(org.id), "--role", "planner"],
                           env=env)
    assert result.exit_code == 0, result.output
    token = session.scalars(select(ApiToken)).one()
    assert result.stderr.strip() == created.format(id=token.id)
    assert result.stdout.strip() and result.stdout.strip() not in result.stderr
    result = runner.invoke(args=["tokens", "revoke", str(token.id)], env=env)
    assert result.exit_code == 0 and result.output.strip() == revoked.format(id=token.id)


@pytest.mark.parametrize(("lang", "said"), [
    ("en_GB.UTF-8", ["Relief NGO was rejected.", "Relief NGO is suspended.",
                     "Relief NGO is verified."]),
    ("ar_SY.UTF-8", ["رُفضت منظمة الإغاثة.", "عُلّقت منظمة الإغاثة.", "منظمة الإغاثة موثّقة الآن."]),
])
def test_orgs_verify_speaks_the_shells_language(runner, make, lang, said):
    org = make.org(verification="pending", name_en="Relief NGO", name_ar="منظمة الإغاثة")
    env = {**SHELL, "LANG": lang}
    out = [runner.invoke(args=["orgs", "verify", str(org.id), *extra], env=env)
           for extra in (["--reject", "--reason", "unknown"], ["--suspend", "--reason", "x"], [])]
    assert [r.exit_code for r in out] == [0, 0, 0], [r.output for r in out]
    assert [r.output.strip() for r in out] == said
