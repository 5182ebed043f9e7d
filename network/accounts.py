"""Account use cases: argon2 passwords, throttled sign-in, signed reset and invitation
links, users, roles and membership; each change of password or role ends the user's
sessions. Functions take a session and flush; the caller commits."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.audit import record
from data.errors import BadInput, Conflict, Forbidden, NotFound
from data.models import ROLES, Organization, User
from network.sessions import end_sessions
from network.throttle import Throttle, blocked_for, forget, key_of, record_failure

__all__ = [
    "MIN_PASSWORD", "ORG_ROLES", "LoginOutcome", "accept_invitation", "authenticate",
    "change_password", "check_login", "check_password_strength", "create_user",
    "find_organization", "find_user",
    "hash_password", "invitation_token", "invite", "random_password", "read_invitation",
    "read_reset", "remove_member", "reset_password", "reset_token",
    "set_role", "verify_password",
]

MIN_PASSWORD = 10
ORG_ROLES = ("org_admin", "supervisor", "caseworker", "planner", "viewer")  # an org admin gives
RESET_SALT = "tasharuk.password-reset"
INVITE_SALT = "tasharuk.invitation"

_hasher = PasswordHasher()
_dummy: list[str] = []


def _dummy_hash() -> str:
    """A hash to verify against when the email is unknown (made once, on first use)."""
    if not _dummy:
        _dummy.append(_hasher.hash(secrets.token_hex(16)))
    return _dummy[0]


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches ``password_hash``."""
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def check_password_strength(password: str, field: str = "password") -> None:
    """Refuse passwords shorter than MIN_PASSWORD characters."""
    if len(password or "") < MIN_PASSWORD:
        raise BadInput(_("The password must have at least %(n)s characters.", n=MIN_PASSWORD),
                       field=field, code="weak_password")


def find_user(session: Session, email: str) -> User | None:
    """The user with this email (case-insensitive), or None."""
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def find_organization(session: Session, ref: str | int) -> Organization:
    """An organisation by id, acronym, registration number or exact name; NotFound otherwise."""
    ref = str(ref).strip()
    org = session.get(Organization, int(ref)) if ref.isdigit() else None
    if org is None:
        low = ref.lower()
        found = list(session.scalars(select(Organization).where(
            (func.lower(Organization.acronym) == low)
            | (Organization.registration_number == ref)
            | (func.lower(Organization.name_en) == low) | (Organization.name_ar == ref)).limit(2)))
        if len(found) > 1:
            raise BadInput(_("Organisation '%(ref)s' is ambiguous; use its id.", ref=ref),
                           field="org")
        org = found[0] if found else None
    if org is None:
        raise NotFound(_("No organisation '%(ref)s' (give an id, acronym or registration "
                         "number).", ref=ref), field="org")
    return org


def _check_role(role: str, allowed: tuple[str, ...] = ROLES) -> None:
    if role not in allowed:
        raise BadInput(_("Unknown role '%(role)s'; choose one of %(roles)s.", role=role,
                         roles=", ".join(allowed)), field="role")


# ---------------------------------------------------------------- sign-in and throttling

@dataclass
class LoginOutcome:
    """The result of a sign-in attempt: ``status`` is 'ok', 'wrong' or 'throttled';
    ``retry_after``: seconds this client must wait before trying this account again."""

    status: str
    user: User | None = None
    retry_after: int = 0


def check_login(session: Session, email: str, password: str, *, ip: str | None = None,
                throttle: Throttle | None = None) -> LoginOutcome:
    """Check credentials, throttled per account and client (``ip``): after the free
    failures each wrong password doubles that client's wait; nothing locks the account.

    Writes audit entries (login.success, login.failure, login.throttled); the caller
    commits in every case so that failures count.
    """
    throttle = throttle or Throttle()
    email = (email or "").strip().lower()[:254]
    key = key_of(email, ip)
    wait = blocked_for(session, key)
    user = find_user(session, email)
    if wait:
        record(session, "login.throttled", user=user,
               object_type="user" if user else "", object_id=user.id if user else "",
               summary={"email": email, "retry_after": wait}, ip=ip)
        session.flush()
        return LoginOutcome("throttled", user, wait)
    if user is None:
        verify_password(_dummy_hash(), password or "")  # same time whether the account exists
    if user is None or not user.active or not verify_password(user.password_hash, password):
        failures, wait = record_failure(session, key, throttle)
        summary = {"email": email, "failures": failures}
        if user is None:
            record(session, "login.failure", summary=summary, ip=ip)
        else:
            user.failed_logins = (user.failed_logins or 0) + 1
            record(session, "login.failure", user=user, object_type="user",
                   object_id=user.id, summary=summary, ip=ip)
        session.flush()
        return LoginOutcome("wrong", user, wait)
    forget(session, key)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = _now()
    record(session, "login.success", user=user, object_type="user", object_id=user.id, ip=ip)
    return LoginOutcome("ok", user)


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None."""
    outcome = check_login(session, email, password)
    return outcome.user if outcome.status == "ok" else None


# ---------------------------------------------------------------- signed links

def _fingerprint(user: User) -> str:
    """Changes when the password changes, so a used reset link stops working."""
    return hashlib.sha256((user.password_hash or "-").encode()).hexdigest()[:16]


def reset_token(user: User, secret: str) -> str:
    """A signed token for resetting ``user``'s password (expiry is checked when read)."""
    return URLSafeTimedSerializer(secret, salt=RESET_SALT).dumps(
        {"u": user.id, "f": _fingerprint(user)})


def _link_messages(what: str) -> tuple[str, str]:
    """(expired, not valid) messages of a ``what`` ('reset' or 'invitation') link."""
    if what == "reset":
        return (_("This reset link has expired; ask for a new one."),
                _("This reset link is not valid; check that it was copied completely."))
    return (_("This invitation link has expired; ask for a new one."),
            _("This invitation link is not valid; check that it was copied completely."))


def _load(secret: str, salt: str, token: str, max_age: int, what: str) -> Any:
    try:
        return URLSafeTimedSerializer(secret, salt=salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise BadInput(_link_messages(what)[0], field="token", code="link_expired") from None
    except BadSignature:
        raise BadInput(_link_messages(what)[1], field="token", code="link_invalid") from None


def read_reset(session: Session, secret: str, token: str, max_age: int = 7200) -> User:
    """The user of a valid, unused, unexpired reset link; BadInput (400) otherwise."""
    data = _load(secret, RESET_SALT, token, max_age, "reset")
    user = session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not user.active or data.get("f") != _fingerprint(user):
        raise BadInput(_("This reset link was already used or is not valid any more; "
                         "ask for a new one."), field="token", code="link_used")
    return user


def reset_password(session: Session, secret: str, token: str, password: str, *,
                   max_age: int = 7200, ip: str | None = None) -> User:
    """Set a new password from a reset link; the link works once and until ``max_age`` s."""
    user = read_reset(session, secret, token, max_age)
    check_password_strength(password)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    end_sessions(session, user, "password.reset")
    record(session, "password.reset", user=user, object_type="user", object_id=user.id, ip=ip)
    return user


def invitation_token(secret: str, organization: Organization, email: str, role: str,
                     invited_by: User | None = None) -> str:
    """A signed invitation to join ``organization`` with ``role``."""
    _check_role(role, ORG_ROLES)
    return URLSafeTimedSerializer(secret, salt=INVITE_SALT).dumps(
        {"e": email.strip().lower(), "o": organization.id, "r": role,
         "b": invited_by.id if invited_by else None})


def read_invitation(session: Session, secret: str, token: str,
                    max_age: int = 7 * 86400) -> tuple[str, Organization, str]:
    """(email, organisation, role) of a valid invitation."""
    data = _load(secret, INVITE_SALT, token, max_age, "invitation")
    org = session.get(Organization, data.get("o")) if isinstance(data, dict) else None
    if org is None or data.get("r") not in ORG_ROLES:
        raise BadInput(_("This invitation is not valid any more."), field="token",
                       code="link_invalid")
    if find_user(session, data["e"]) is not None:
        raise Conflict(_("This invitation was already used: sign in instead."), field="token")
    return data["e"], org, data["r"]


def invite(session: Session, organization: Organization, email: str, role: str, *,
           by: Any = None) -> None:
    """Check and audit an invitation (the link itself is signed, not stored)."""
    _check_role(role, ORG_ROLES)
    email = _clean_email(email)
    if find_user(session, email) is not None:
        raise Conflict(_("%(email)s already has an account.", email=email), field="email")
    record(session, "member.invited", user=by, organization_id=organization.id,
           object_type="organization", object_id=organization.id,
           summary={"email": email, "role": role})


def accept_invitation(session: Session, secret: str, token: str, name: str, password: str, *,
                      ip: str | None = None, max_age: int = 7 * 86400) -> User:
    """Create the invited user (a link works once: the email then has an account)."""
    email, org, role = read_invitation(session, secret, token, max_age)
    user = create_user(session, email=email, organization=org, role=role, password=password,
                       name=name)
    record(session, "member.joined", user=user, object_type="user", object_id=user.id,
           summary={"role": role}, ip=ip)
    return user


# ---------------------------------------------------------------- users, roles, membership

def _clean_email(email: str | None) -> str:
    """The address lower-cased, or BadInput naming the email field."""
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 254:
        raise BadInput(_("'%(email)s' is not an email address.", email=email), field="email")
    return email


def create_user(session: Session, *, email: str, role: str, organization: Organization | None,
                password: str | None = None, name: str = "", by: Any = None) -> User:
    """A new user; without a password the user must set one through a reset link."""
    _check_role(role)
    email = _clean_email(email)
    if role != "platform_admin" and organization is None:
        raise BadInput(_("A %(role)s must belong to an organisation (--org).", role=role),
                       field="org")
    if find_user(session, email) is not None:
        raise Conflict(_("A user with the email %(email)s already exists.", email=email),
                       field="email")
    if password is not None:
        check_password_strength(password)
    user = User(email=email, name=name or "", role=role,
                organization_id=organization.id if organization else None,
                password_hash=hash_password(password) if password else None)
    session.add(user)
    session.flush()
    record(session, "user.created", user=by, organization_id=user.organization_id,
           object_type="user", object_id=user.id, summary={"email": email, "role": role})
    return user


def set_role(session: Session, user: User, role: str, *, by: Any = None) -> int:
    """Change ``user``'s role (an org admin may only give organisation roles to own members)
    and end their signed-in sessions so the new role applies at once: how many ended."""
    _check_role(role)
    if by is not None and getattr(by, "role", None) != "platform_admin":
        _check_role(role, ORG_ROLES)
        if user.organization_id is None or user.organization_id != by.organization_id:
            raise NotFound(_("No member %(id)s in your organisation.", id=user.id),
                           field="user")
        if user.role == "platform_admin":
            raise Forbidden(_("Only a platform administrator can change this role."))
        if getattr(by, "id", None) == user.id:
            raise Conflict(_("You cannot change your own role."), field="role")
    if role != "platform_admin" and user.organization_id is None:
        raise BadInput(_("%(email)s belongs to no organisation; a %(role)s must.",
                         email=user.email, role=role), field="role")
    before, ended = user.role, 0
    if before != role:
        user.role = role
        ended = end_sessions(session, user, "role.changed")
        record(session, "role.changed", user=by, organization_id=user.organization_id,
               object_type="user", object_id=user.id,
               summary={"email": user.email, "from": before, "to": role})
    session.flush()
    return ended


def remove_member(session: Session, user: User, *, by: Any) -> User:
    """Take ``user`` out of the caller's organisation; the account is deactivated."""
    org_id = getattr(by, "organization_id", None)
    if getattr(by, "role", None) != "platform_admin" and (
            user.organization_id is None or user.organization_id != org_id):
        raise NotFound(_("No member %(id)s in your organisation.", id=user.id), field="user")
    if getattr(by, "id", None) == user.id:
        raise Conflict(_("You cannot remove yourself; ask another administrator."),
                       field="user")
    former = user.organization_id
    user.organization_id = None
    user.role = "viewer"
    user.active = False
    end_sessions(session, user, "member.removed")
    record(session, "member.removed", user=by, organization_id=former, object_type="user",
           object_id=user.id, summary={"email": user.email})
    return user


def random_password() -> str:
    """A throw-away password for accounts that will set theirs through a link."""
    return secrets.token_urlsafe(24)


def change_password(session: Session, user: User, current: str, new: str, *,
                    ip: str | None = None) -> User:
    """A signed-in user's new password; the current one must be given. Every session of
    the account ends (the caller starts a new one for the browser that changed it)."""
    if not verify_password(user.password_hash, current or ""):
        raise BadInput(_("The current password is wrong."), field="current_password")
    check_password_strength(new)
    user.password_hash = hash_password(new)
    end_sessions(session, user, "password.changed")
    record(session, "password.changed", user=user, object_type="user", object_id=user.id, ip=ip)
    return user
