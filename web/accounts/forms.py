"""Forms of the accounts blueprint."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from ..auth.forms import RegistrationForm, _strip
from ..formtext import Form
from ..sent_once import SentOnce

ROLE_LABELS = {
    "platform_admin": _l("Platform administrator"), "org_admin": _l("Organisation administrator"),
    "supervisor": _l("Supervisor"), "caseworker": _l("Caseworker"), "planner": _l("Planner"),
    "viewer": _l("Viewer"),
}
ORG_ROLE_CHOICES = [SelectChoice(r, ROLE_LABELS[r]) for r in ("caseworker", "supervisor", "planner",
                                                               "viewer", "org_admin")]


class ProfileForm(Form):
    name_ar = RegistrationForm.name_ar
    name_en = RegistrationForm.name_en
    acronym = RegistrationForm.acronym
    registration_number = RegistrationForm.registration_number
    org_type = RegistrationForm.org_type
    hq_pcode = RegistrationForm.hq_pcode
    email = RegistrationForm.email
    phone = RegistrationForm.phone
    website = RegistrationForm.website
    description_ar = TextAreaField(_l("Description in Arabic"),
                                   validators=[Optional(), Length(max=5000)])
    description_en = TextAreaField(_l("Description in English"),
                                   validators=[Optional(), Length(max=5000)])


class InviteForm(Form):
    email = EmailField(_l("Email"), filters=[_strip],
                       validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=ORG_ROLE_CHOICES, validators=[DataRequired()])


class RoleForm(Form):
    role = SelectField(_l("Role"), choices=ORG_ROLE_CHOICES, validators=[DataRequired()])


class TokenForm(Form):
    name = StringField(_l("Name (what the token is for)"),
                       validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Role"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in (
        "viewer", "planner", "caseworker", "org_admin")], validators=[DataRequired()])
    days = IntegerField(_l("Valid for (days; empty: until revoked)"),
                        validators=[Optional(), NumberRange(min=1, max=3650)])


class WebhookForm(SentOnce, Form):
    url = StringField(_l("Address that receives the events (https://…)"), filters=[_strip],
                      validators=[DataRequired(), Length(max=2000)])


class DecisionForm(Form):
    decision = SelectField(_l("Decision"), choices=[SelectChoice("verify", _l("Verify")),
                                                    SelectChoice("reject", _l("Reject")),
                                                    SelectChoice("suspend", _l("Suspend"))],
                           validators=[DataRequired()])
    reason = TextAreaField(_l("Reason (required to reject or suspend)"),
                           validators=[Optional(), Length(max=2000)])


class AuditFilterForm(Form):
    class Meta:
        csrf = False

    action = StringField(_l("Action"), validators=[Optional(), Length(max=60)])
    user = StringField(_l("User email"), validators=[Optional(), Length(max=254)])
    object_type = StringField(_l("Object type"), validators=[Optional(), Length(max=40)])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("Until"), validators=[Optional()])
