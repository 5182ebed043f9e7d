"""Forms of the partners pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from ..formtext import Form


class FilterForm(Form):
    """GET filters of the suggestions page (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    area = StringField(_l("Area p-code"), validators=[Optional(), Length(max=20)])
    group = SelectField(_l("Target group"), choices=[], validate_choice=False)
    sector = SelectField(_l("Sector"), choices=[], validate_choice=False)
    top = IntegerField(_l("How many"), default=10, validators=[Optional()])


class RequestForm(Form):
    """Ask an organisation to partner."""

    target = HiddenField(validators=[DataRequired()])
    message = TextAreaField(_l("Message (optional)"), validators=[Optional(), Length(max=2000)])


class PathwayForm(Form):
    """Ask an organisation for a referral pathway for a sector (or service type) in an area."""

    target = HiddenField(validators=[DataRequired()])
    pcode = HiddenField(validators=[DataRequired(), Length(max=20)])
    sector = HiddenField(validators=[Optional(), Length(max=40)])
    service = HiddenField(validators=[Optional(), Length(max=60)])
    message = TextAreaField(_l("Message (optional)"), validators=[Optional(), Length(max=2000)])


class AnswerForm(Form):
    """Accept, decline or withdraw a request; end a partnership (a CSRF-protected button)."""

    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)])


class DuplicationForm(Form):
    """GET filters of the duplication lists: area, group, sector, order (no CSRF)."""

    class Meta:
        csrf = False

    area = StringField(_l("Area p-code"), validators=[Optional(), Length(max=20)])
    group = SelectField(_l("Target group"), choices=[], validate_choice=False)
    sector = SelectField(_l("Sector"), choices=[], validate_choice=False)
    sort = SelectField(_l("Order"), choices=[
        SelectChoice("organizations", _l("Most organisations first")),
        SelectChoice("coverage", _l("Highest coverage first")),
        SelectChoice("area", _l("By area"))], default="organizations")
