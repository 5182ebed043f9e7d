"""Forms of the directory: a service's fields as organisation admins edit them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from data.models import AVAILABILITY, COSTS, MODALITIES, REFERRAL_METHODS, SEXES

from ..formtext import Form
from ..sent_once import SentOnce

# ISO weekdays in the order of a Syrian week (Sunday first; Friday and Saturday the weekend).
WEEK = (7, 1, 2, 3, 4, 5, 6)
DAY_NAMES = {1: _l("Monday"), 2: _l("Tuesday"), 3: _l("Wednesday"), 4: _l("Thursday"),
             5: _l("Friday"), 6: _l("Saturday"), 7: _l("Sunday")}
LABELS = {
    "any": _l("Anyone"), "female": _l("Female"), "male": _l("Male"),
    "open": _l("Open"), "waitlist": _l("Waiting list"), "full": _l("Full"),
    "static": _l("Static (at a site)"), "mobile": _l("Mobile team"),
    "remote": _l("Remote or hotline"),
    "free": _l("Free"), "subsidised": _l("Subsidised"), "paid": _l("Paid"),
    "platform": _l("Through Tasharuk"), "form": _l("Inter-agency form"), "email": _l("Email"),
    "phone": _l("Phone"), "walk_in": _l("Walk-in"),
    "focal_point": _l("Through a focal point"), "none": _l("No referral needed"),
}


REVIEW_LABELS = {"still_accurate": _l("Still accurate"), "needs_changes": _l("Needs changes"),
                 "closed": _l("Service closed")}
FRESHNESS_LABELS = {"fresh": _l("Fresh"), "due": _l("Due for review"),
                    "overdue": _l("Overdue for review")}
REVIEW_REQUEST_LABELS = {
    "declined_not_offered": _l("review asked: a referral was declined as not offered any more"),
    "declined_not_eligible": _l("review asked: a referral was declined as not eligible although "
                                "the listing's criteria fit"),
    "needs_changes": _l("its organisation said it needs changes"),
    "report": _l("review asked: someone reported inaccurate information"),
}
REPORT_KIND_LABELS = {
    "wrong_contact": _l("Wrong phone or contact"), "closed": _l("The service has closed"),
    "moved": _l("It has moved"), "criteria_changed": _l("Who it serves has changed"),
    "hours_changed": _l("Opening hours have changed"), "other": _l("Something else"),
}
REPORT_STATE_LABELS = {"open": _l("Waiting for the organisation's answer"),
                       "fixed": _l("Fixed"), "not_changed": _l("Checked: no change needed")}
CADENCE_LABELS = {30: _l("Every month"), 90: _l("Every three months"),
                  180: _l("Every six months"), 365: _l("Every year")}


class MultiCheckbox(SelectMultipleField):
    """Several choices as checkboxes (works without JavaScript)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:  # choices are checked by the use case
        return None


def _choices(values) -> list[SelectChoice]:
    return [SelectChoice(v, LABELS.get(v, v)) for v in values]


class ServiceForm(SentOnce, Form):
    """Every field of a service; the use case checks values and names the wrong field."""

    service_type_code = SelectField(_l("Service type"), choices=[], validate_choice=False)
    name_ar = StringField(_l("Name in Arabic"))
    name_en = StringField(_l("Name in English"))
    description_ar = TextAreaField(_l("Description in Arabic"))
    description_en = TextAreaField(_l("Description in English"))
    target_groups = MultiCheckbox(_l("Target groups"), choices=[])
    min_age = StringField(_l("Minimum age"))
    max_age = StringField(_l("Maximum age"))
    sex = SelectField(_l("Sex"), choices=_choices(SEXES), validate_choice=False)
    documents_required = StringField(_l("Documents required (comma-separated)"))
    nationalities = StringField(_l("Nationalities accepted (empty: any)"))
    capacity_per_month = StringField(_l("Capacity per month"))
    availability = SelectField(_l("Availability"), choices=_choices(AVAILABILITY),
                               validate_choice=False)
    languages = StringField(_l("Languages (codes such as ar, en, ku)"), default="ar")
    modality = SelectField(_l("Modality"), choices=_choices(MODALITIES), validate_choice=False)
    cost = SelectField(_l("Cost"), choices=_choices(COSTS), validate_choice=False)
    cost_note = StringField(_l("Cost note"))
    referral_method = SelectField(_l("Referral method"), choices=_choices(REFERRAL_METHODS),
                                  validate_choice=False)
    referral_contact = StringField(_l("Referral contact"))
    response_days = StringField(_l("Promised response time (days)"))
    what_to_bring_ar = TextAreaField(_l("What the person must bring, in Arabic"))
    what_to_bring_en = TextAreaField(_l("What the person must bring, in English"))
    next_step_ar = TextAreaField(_l("Next step the person can expect, in Arabic"))
    next_step_en = TextAreaField(_l("Next step the person can expect, in English"))
    sensitive = BooleanField(_l("Sensitive (GBV, child protection): hide the address from "
                                "the public"))
    last_verified = StringField(_l("Last verified (YYYY-MM-DD)"))
    review_every_days = SelectField(
        _l("How often this listing is reviewed"), default="180", validate_choice=False,
        choices=[SelectChoice(str(d), label) for d, label in CADENCE_LABELS.items()])
    coverage_govs = MultiCheckbox(_l("Governorates covered"), choices=[])
    coverage_more = StringField(_l("Districts or sub-districts covered (p-codes or names)"))
    sites = TextAreaField(_l("Sites: one per line, latitude, longitude | name | address"))
    hours_1 = StringField(DAY_NAMES[1])
    hours_2 = StringField(DAY_NAMES[2])
    hours_3 = StringField(DAY_NAMES[3])
    hours_4 = StringField(DAY_NAMES[4])
    hours_5 = StringField(DAY_NAMES[5])
    hours_6 = StringField(DAY_NAMES[6])
    hours_7 = StringField(DAY_NAMES[7])
