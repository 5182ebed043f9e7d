"""The dashboard's filter form (GET, no CSRF: it changes nothing)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, Regexp

from ..formtext import Form


class GapFilterForm(Form):
    """Sector or service type, target group, admin level, period."""

    class Meta:
        csrf = False

    level = SelectField(_l("Level"), choices=[
        SelectChoice("1", _l("Governorate")), SelectChoice("2", _l("District")),
        SelectChoice("3", _l("Sub-district"))], default="3")
    sector = SelectField(_l("Sector"), choices=[], validate_choice=False)
    service = SelectField(_l("Service type"), choices=[], validate_choice=False)
    group = SelectField(_l("Target group"), choices=[], validate_choice=False)
    period = StringField(_l("Period (YYYY or YYYY-MM)"),
                         validators=[Optional(), Regexp(r"^\d{4}(-\d{2})?$")])
    sites = BooleanField(_l("Show service sites on the map"))


def choices(first: str, pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    """Select choices: an empty "all" entry, then (code, name) pairs."""
    return [SelectChoice("", first)] + [SelectChoice(code, name) for code, name in pairs]
