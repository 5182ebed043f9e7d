"""Forms of the focal-point pages (Flask-WTF; the use cases validate again and name fields)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional

from ..formtext import Form
from ..referrals.forms import (
    CONTACT_CHOICES,
    METHOD_CHOICES,
    SCOPE_CHOICES,
    SEX_CHOICES,
    URGENCY_CHOICES,
    MultiCheckbox,
)
from ..sent_once import SentOnce

# data.models.CONTACT_CHANNELS with the referral form's labels, none chosen at first
CHANNEL_CHOICES = [SelectChoice("", _l("Choose...")), *CONTACT_CHOICES[1:]]


class RequestForm(SentOnce, Form):
    """A minimal request: the person's area, the urgency and the channel they chose."""

    pcode = StringField(_l("The person's area (governorate, district or sub-district)"))
    urgency = SelectField(_l("Urgency"), choices=URGENCY_CHOICES, default="normal",
                          validate_choice=False)
    channel = SelectField(_l("How the person chose to be contacted"), choices=CHANNEL_CHOICES,
                          validate_choice=False)


class ConvertForm(Form):
    """The person's consent (required) and the little the referral needs."""

    given_by = StringField(_l("Consent given by"))
    method = SelectField(_l("Consent method"), choices=METHOD_CHOICES[1:],
                         validate_choice=False)
    scope = MultiCheckbox(_l("What may be shared"), choices=SCOPE_CHOICES,
                          default=["age_sex", "location", "needs"])
    contact_handle = StringField(_l("Number or address for it (encrypted)"),
                                 validators=[Optional(), Length(max=254)])
    age = IntegerField(_l("Age"), validators=[Optional()])
    sex = SelectField(_l("Sex"), choices=SEX_CHOICES, validate_choice=False)


class DesignateForm(Form):
    """Designate a member as focal point for a governorate or district."""

    user_id = SelectField(_l("Member"), choices=[], validate_choice=False)
    pcode = StringField(_l("Governorate or district"))


class ActionForm(Form):
    """A CSRF-protected button (call back, remove)."""
