"""Creating a case (minimum necessary data) and its referral(s) to one or more services.

Everything is validated before anything is written; the case, its referrals and their first
events are flushed together and sent (unless kept as drafts). Name, phone and the number or
address of the contact channel the person agreed to are encrypted.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import fields
from data.errors import BadInput, Conflict, Forbidden, NotFound
from data.models import (
    CONTACT_CHANNELS,
    URGENCIES,
    AdminArea,
    Case,
    Organization,
    Referral,
    ReferralEvent,
    Service,
    ServiceType,
    TargetGroup,
)
from referral.access import require_verified_receiver, routes_through_focal_point
from referral.consent import apply_consent, check_override, missing_consent, parse_consent
from referral.crypto import DataCipher, require_key, seal
from referral.eligibility import audit_override, check_eligibility
from referral.lifecycle import NOTE_MAX, STAFF, transition
from referral.notify import MailConfig

__all__ = ["ADDRESS_CHANNELS", "MAX_CODES", "NUMBER_CHANNELS", "CaseInput", "create_referrals",
           "parse_case", "parse_contact"]

SEXES = ("female", "male", "other", "unknown")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-/.]{0,39}$")
PHONE_RE = re.compile(r"^\+?[0-9 ()\-]{5,30}$")
LANG_RE = re.compile(r"^[a-z]{2,3}$")
NAME_MAX = 200
MAX_SERVICES = 10
MAX_CODES = 30  # entries of a case's code lists (target groups, needs, languages)
EMAIL_MAX = 254


@dataclass
class CaseInput:
    """A validated case: only what a provider needs, plus optional name and phone."""

    case_code: str
    age: int | None
    sex: str
    target_groups: list[str]
    pcode: str | None
    needs: list[str]
    languages: list[str]
    urgency: str
    name: str | None
    phone: str | None
    contact_channel: str | None = None
    contact_handle: str | None = None  # the number or address, for the channels that need one


def _str_list(raw: Any, field: str) -> list[str]:
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        raw = [x for x in re.split(r"[,\s]+", raw) if x]
    if not isinstance(raw, list | tuple) or not all(isinstance(x, str) for x in raw):
        raise fields.not_codes(field)
    if len(raw) > MAX_CODES:
        raise BadInput(_("%(field)s lists too many entries (at most %(max)s).", field=field,
                         max=MAX_CODES), field=field)
    return list(dict.fromkeys(x.strip() for x in raw if x.strip()))


def _unknown_codes(session: Session, column: Any, codes: list[str]) -> str:
    """The codes in ``codes`` that ``column`` (a code table) does not hold, comma-separated
    ("" when all are known)."""
    if not codes:
        return ""
    known = set(session.scalars(select(column).where(column.in_(codes))))
    return ", ".join(c for c in codes if c not in known)


def parse_case(session: Session, raw: Any) -> CaseInput:
    """Validate the case part of a referral request; BadInput names the first bad field."""
    if not isinstance(raw, dict):
        raise BadInput(_("case must be an object."), field="case")
    code = str(raw.get("case_code") or "").strip() or f"C-{secrets.token_hex(4).upper()}"
    if not CODE_RE.match(code):
        raise BadInput(_("case_code: 1 to 40 letters, digits, '-', '_', '/' or '.'."),
                       field="case.case_code")
    age = raw.get("age")
    if age in (None, ""):
        age = None
    else:
        try:
            age = int(age)
        except (TypeError, ValueError):
            raise BadInput(_("age must be a whole number of years."),
                           field="case.age") from None
        if not 0 <= age <= 120:
            raise BadInput(_("Age must be between 0 and 120."), field="case.age")
    sex = raw.get("sex") or "unknown"
    if sex not in SEXES:
        raise fields.not_one_of("sex", SEXES, where="case.sex")
    urgency = raw.get("urgency") or "normal"
    if urgency not in URGENCIES:
        raise fields.not_one_of("urgency", URGENCIES, where="case.urgency")
    groups = _str_list(raw.get("target_groups"), "case.target_groups")
    unknown = _unknown_codes(session, TargetGroup.code, groups)
    if unknown:
        raise BadInput(_("Unknown target group(s): %(codes)s.", codes=unknown),
                       field="case.target_groups")
    needs = _str_list(raw.get("needs"), "case.needs")
    unknown = _unknown_codes(session, ServiceType.code, needs)
    if unknown:
        raise BadInput(_("Unknown service type(s) in needs: %(codes)s.", codes=unknown),
                       field="case.needs")
    pcode = str(raw.get("pcode") or "").strip() or None
    if pcode is not None and session.get(AdminArea, pcode) is None:
        raise BadInput(_("Unknown p-code: %(value)s.", value=pcode[:20]), field="case.pcode")
    languages = _str_list(raw.get("languages"), "case.languages")
    bad = [x for x in languages if not LANG_RE.match(x)]
    if bad:
        raise BadInput(_("languages are ISO 639 codes such as ar, ku, en."),
                       field="case.languages")
    name = str(raw.get("name") or "").strip() or None
    if name is not None and len(name) > NAME_MAX:
        raise fields.too_long("name", NAME_MAX, where="case.name")
    phone = str(raw.get("phone") or "").strip() or None
    if phone is not None and not PHONE_RE.match(phone):
        raise BadInput(_("phone: digits, spaces, '+', '-' and brackets only (5 to 30)."),
                       field="case.phone")
    channel, handle = parse_contact(raw)
    return CaseInput(code, age, sex, groups, pcode, needs, languages, urgency, name, phone,
                     channel, handle)


# the channels reached at a number, and at an address; the others need none
NUMBER_CHANNELS, ADDRESS_CHANNELS = ("phone", "whatsapp", "sms"), ("email",)


def parse_contact(raw: dict) -> tuple[str | None, str | None]:
    """The contact channel the person agreed to and its number or address: a number for phone,
    WhatsApp and SMS, an address for e-mail, nothing for in person or through the
    caseworker. BadInput names ``case.contact_channel`` or ``case.contact_handle``."""
    channel = str(raw.get("contact_channel") or "").strip() or None
    handle = str(raw.get("contact_handle") or "").strip() or None
    if channel is None:
        if handle is not None:
            raise BadInput(_("contact_handle: choose first how the person agreed to be "
                             "contacted (contact_channel)."), field="case.contact_channel")
        return None, None
    if channel not in CONTACT_CHANNELS:
        raise fields.not_one_of("contact_channel", CONTACT_CHANNELS,
                                where="case.contact_channel")
    if channel in NUMBER_CHANNELS:
        if handle is None:
            raise BadInput(_("contact_handle: give the number for this contact channel."),
                           field="case.contact_handle")
        if not PHONE_RE.match(handle):
            raise BadInput(_("contact_handle: a number of digits, spaces, '+', '-' and "
                             "brackets (5 to 30)."), field="case.contact_handle")
    elif channel in ADDRESS_CHANNELS:
        if handle is None or "@" not in handle or len(handle) > EMAIL_MAX or " " in handle:
            raise BadInput(_("contact_handle: give the e-mail address for this contact "
                             "channel."), field="case.contact_handle")
    elif handle is not None:
        raise BadInput(_("contact_handle: this contact channel takes no number or address."),
                       field="case.contact_handle")
    return channel, handle


def _id(raw: Any, field: str) -> int:
    if isinstance(raw, bool):
        raise BadInput(_("%(field)s must be an integer id.", field=field), field=field)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise BadInput(_("%(field)s must be an integer id.", field=field), field=field) from None
    if value <= 0 or value > 2**31 - 1:
        raise BadInput(_("%(field)s must be a positive integer id.", field=field), field=field)
    return value


def _services(session: Session, payload: dict, sender_org_id: int) -> list[Service]:
    raw = payload.get("service_ids")
    if raw is None:
        raw = [] if payload.get("service_id") in (None, "") else [payload.get("service_id")]
    if not isinstance(raw, list | tuple):
        raise BadInput(_("service_ids must be a list of service ids."), field="service_ids")
    if len(raw) > MAX_SERVICES:
        raise BadInput(_("At most %(max)s services per case.", max=MAX_SERVICES),
                       field="service_ids")
    field = "service_id" if "service_ids" not in payload else "service_ids"
    ids = list(dict.fromkeys(_id(x, field) for x in raw))
    services = []
    for sid in ids:
        svc = session.get(Service, sid)
        if svc is None:
            raise NotFound(_("Service %(id)s doesn't exist.", id=sid), field=field)
        if svc.status != "active":
            raise BadInput(_("Service %(id)s is %(status)s; it takes no referrals.", id=sid,
                             status=svc.status), field=field)
        require_verified_receiver(svc.organization)
        if svc.organization_id == sender_org_id:
            raise BadInput(_("Service %(id)s belongs to your own organisation; referrals go "
                             "to another organisation.", id=sid), field=field)
        services.append(svc)
    org_raw = payload.get("organization_id")
    if org_raw not in (None, ""):
        org_id = _id(org_raw, "organization_id")
        org = session.get(Organization, org_id)
        if org is None:
            raise NotFound(_("Organisation %(id)s doesn't exist.", id=org_id),
                           field="organization_id")
        if services and any(s.organization_id != org_id for s in services):
            raise BadInput(_("organization_id does not match the service's organisation."),
                           field="organization_id")
    if not services:
        raise BadInput(_("service_id is required: the service the person is referred to."),
                       field="service_id")
    return services


def create_referrals(session: Session, actor: Any, payload: dict,
                     cipher: DataCipher | None, *, send: bool = True,
                     mail_config: MailConfig | None = None, via_focal_point: bool = False
                     ) -> tuple[Case, list[Referral]]:
    """Validate ``payload`` and write one case with one referral per service (linked by the
    case); send them unless ``send`` is false. Nothing is written when any field is bad.
    A non-specialist cannot refer to a sensitive service routed through focal points (409)
    except through a focal point's conversion of their request (``via_focal_point``)."""
    if not isinstance(payload, dict):
        raise BadInput(_("The request body must be a JSON object."), field="body")
    if getattr(actor, "role", None) not in STAFF or actor.organization_id is None:
        raise Forbidden(_("Only caseworkers and organisation admins of an organisation "
                          "refer."))
    services = _services(session, payload, actor.organization_id)
    routed = [] if via_focal_point else [
        svc for svc in services if routes_through_focal_point(session, svc, actor)]
    if routed:
        raise Conflict(_("%(name)s takes requests through its focal points: send the "
                         "person's area, the urgency and the contact channel there "
                         "(/focal/request?service_id=%(id)s).", name=routed[0].name_en,
                         id=routed[0].id), code="focal_point_only", field="service_id")
    case_in = parse_case(session, payload.get("case") or {})
    for name in ("note", "consent_override_reason"):
        if payload.get(name) is not None and not isinstance(payload[name], str):
            raise BadInput(_("%(field)s must be text.", field=name), field=name)
    note = (payload.get("note") or "").strip()
    if len(note) > NOTE_MAX:
        raise fields.too_long("note", NOTE_MAX, where="note")
    consent = parse_consent(payload.get("consent"))
    override = payload.get("consent_override_reason")
    if consent is None and override not in (None, ""):
        override = check_override(actor, case_in.urgency, str(override))
    elif consent is None and send:
        raise missing_consent()
    else:
        override = None
    if case_in.contact_handle and cipher is None:
        raise BadInput(_("No data key configured: a contact number or address is stored "
                         "only encrypted (set TASHARUK_DATA_KEYS)."), field="case.contact_handle")
    if (case_in.name or case_in.phone) and cipher is None:
        raise BadInput(_("No data key configured: names and phone numbers are stored only "
                         "encrypted (set TASHARUK_DATA_KEYS)."), field="case.name")
    note_enc = seal(cipher, note, "note")
    require_key(cipher, override, "consent_override_reason")  # before anything is written
    needs = case_in.needs or list(dict.fromkeys(s.service_type_code for s in services))
    found, eligibility_reason = check_eligibility(
        services, case_in.age, case_in.sex, payload.get("eligibility_override_reason"))

    case = Case(organization_id=actor.organization_id, created_by_id=actor.id,
                case_code=case_in.case_code, age=case_in.age, sex=case_in.sex,
                target_groups=case_in.target_groups, pcode=case_in.pcode, needs=needs,
                languages=case_in.languages, urgency=case_in.urgency,
                name_enc=cipher.encrypt(case_in.name) if cipher else None,
                phone_enc=cipher.encrypt(case_in.phone) if cipher else None,
                contact_channel=case_in.contact_channel,
                contact_handle_enc=cipher.encrypt(case_in.contact_handle) if cipher else None)
    session.add(case)
    session.flush()
    apply_consent(session, case, actor, consent, override, cipher,
                  [s.organization_id for s in services])
    referrals = []
    for svc in services:
        stype = session.get(ServiceType, svc.service_type_code)
        referral = Referral(case_id=case.id, sender_org_id=actor.organization_id,
                            sender_user_id=actor.id, receiver_org_id=svc.organization_id,
                            service_id=svc.id, service_type_code=svc.service_type_code,
                            status="draft", urgency=case_in.urgency, note_enc=note_enc,
                            sensitive=bool(svc.sensitive or (stype and stype.sensitive)))
        session.add(referral)
        session.flush()
        session.add(ReferralEvent(referral_id=referral.id, actor_user_id=actor.id,
                                  action="create", from_status=None, to_status="draft"))
        referrals.append(referral)
    session.flush()
    if eligibility_reason:
        audit_override(session, actor, referrals, found, eligibility_reason)
    if send:
        for referral in referrals:
            transition(session, referral.id, actor, "send", version=referral.version,
                       mail_config=mail_config, cipher=cipher)
    return case, referrals
