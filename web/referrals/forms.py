"""Forms of the referral pages (Flask-WTF; the use cases validate again and name fields)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import Length, NumberRange, Optional

from ..formtext import Form
from ..sent_once import SentOnce


def _options(*pairs: tuple[str, str]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


SEX_CHOICES = _options(("unknown", _l("Not stated")), ("female", _l("Female")),
                       ("male", _l("Male")), ("other", _l("Other")))
URGENCY_CHOICES = _options(("normal", _l("Normal")), ("low", _l("Low")), ("high", _l("High")),
                           ("emergency", _l("Emergency (e.g. a child at risk)")))
SCOPE_CHOICES = _options(("age_sex", _l("Age and sex")), ("location", _l("Location")),
                         ("needs", _l("Needs")), ("target_groups", _l("Target groups")),
                         ("languages", _l("Languages")), ("name", _l("Name")),
                         ("phone", _l("Phone")), ("note", _l("Note to the provider")))
CONTACT_CHOICES = _options(("", _l("Not stated")), ("phone", _l("Phone call")),
                           ("whatsapp", _l("WhatsApp")), ("sms", _l("SMS")),
                           ("email", _l("E-mail")), ("in_person", _l("In person")),
                           ("via_caseworker", _l("Only through the caseworker")))
METHOD_CHOICES = _options(("", _l("No consent recorded")), ("verbal", _l("Verbal")),
                          ("written", _l("Written")),
                          ("guardian", _l("By a parent or guardian (for a child)")))


class MultiCheckbox(SelectMultipleField):
    """Checkboxes for a multiple choice (works without JavaScript)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ProfileForm(Form):
    """What a provider needs to know, never more."""

    age = IntegerField(_l("Age"), validators=[Optional(), NumberRange(0, 120)])
    sex = SelectField(_l("Sex"), choices=SEX_CHOICES, default="unknown")
    pcode = StringField(_l("Location (name or p-code)"), validators=[Optional(), Length(max=100)])
    target_groups = MultiCheckbox(_l("Target groups"), choices=[], validate_choice=False)
    needs = MultiCheckbox(_l("Needs"), choices=[], validate_choice=False)


class ConsentFields(Form):
    """What the person agreed to: on the referral form, and again to renew it."""

    consent_method = SelectField(_l("Consent"), choices=METHOD_CHOICES, default="")
    consent_given_by = StringField(_l("Consent given by"),
                                   validators=[Optional(), Length(max=200)])
    consent_at = DateField(_l("Consent date (empty: today)"), validators=[Optional()])
    consent_purpose = StringField(_l("Consent given for (purpose)"),
                                  validators=[Optional(), Length(max=300)])
    consent_expires = DateField(_l("Consent valid until (empty: one year)"),
                                validators=[Optional()])
    consent_scope = MultiCheckbox(_l("What may be shared"), choices=SCOPE_CHOICES,
                                  default=["age_sex", "location", "needs", "note"])
    consent_orgs = SelectMultipleField(_l("Organisations consent covers"), choices=[],
                                       validate_choice=False)
    org_q = StringField(_l("Find an organisation"), validators=[Optional(), Length(max=100)])


class RenewForm(ConsentFields):
    """The person agreed again: a new consent record (the use case checks it again)."""


class ReferralForm(SentOnce, ProfileForm, ConsentFields):
    """The short referral form: the case, consent, a note; and the form's own key, so that the
    same form sent twice sends one referral (``web.sent_once``)."""

    case_code = StringField(_l("Case code (pseudonymous)"),
                            validators=[Optional(), Length(max=40)])
    languages = StringField(_l("Languages (e.g. Arabic, Kurdish)"),
                            validators=[Optional(), Length(max=200)])
    urgency = SelectField(_l("Urgency"), choices=URGENCY_CHOICES, default="normal")
    name = StringField(_l("Name (optional, encrypted)"), validators=[Optional(),
                                                                     Length(max=200)])
    phone = StringField(_l("Phone (optional, encrypted)"), validators=[Optional(),
                                                                       Length(max=30)])
    contact_channel = SelectField(_l("How the person agreed to be contacted"),
                                  choices=CONTACT_CHOICES, default="")
    contact_handle = StringField(_l("Number or address for it (encrypted)"),
                                 validators=[Optional(), Length(max=254)])
    note = TextAreaField(_l("Note to the provider"), validators=[Optional(), Length(max=2000)])
    consent_override_reason = TextAreaField(
        _l("Or: reason to send without consent (admins; caseworkers only in an emergency)"),
        validators=[Optional(), Length(max=1000)])
    eligibility_override_reason = TextAreaField(
        _l("Reason to refer anyway (recorded in the audit log)"),
        validators=[Optional(), Length(max=500)])


class TransitionForm(Form):
    """A transition button with its optional reason and note."""

    action = StringField(validators=[Length(max=20)])
    version = IntegerField(validators=[Optional()])
    reason = SelectField(_l("Reason"), choices=[], validate_choice=False)
    reason_text = StringField(_l("Reason (other)"), validators=[Optional(), Length(max=500)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class RevokeForm(Form):
    """The person revokes consent, through the caseworker: one confirmed button, and why if
    they said (optional, stored encrypted)."""

    confirm = StringField(validators=[Length(max=10)])
    reason = TextAreaField(_l("Why, if the person said (optional, encrypted)"),
                           validators=[Optional(), Length(max=500)])


class GlassForm(Form):
    """Break-the-glass: the supervisor's reason (required, checked again by the use case)."""

    reason = TextAreaField(_l("Why you must see this record now"),
                           validators=[Optional(), Length(max=500)])


class NoteForm(SentOnce, Form):
    """A note on the timeline."""

    note = TextAreaField(_l("Add a note"), validators=[Length(min=1, max=2000)])
