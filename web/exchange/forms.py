"""Forms of the exchange pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, HiddenField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..formtext import Form


class UploadForm(Form):
    file = FileField(_l("4W file (CSV or XLSX)"), validators=[
        FileRequired(), FileAllowed(["csv", "xlsx", "xlsm", "txt"],
                                    _l("Upload a CSV or XLSX file."))])
    sheet = StringField(_l("Sheet (XLSX, optional)"), validators=[Optional(), Length(max=100)])
    period = StringField(_l("Period for rows without a year (YYYY-MM, optional)"),
                         validators=[Optional(), Regexp(r"^\d{4}-\d{2}$",
                                                        message=_l("Write it as 2023-02."))])
    replace = BooleanField(_l("Replace the earlier import of this file (same file name and "
                              "sheet): its rows that the new file does not carry are deleted"))


class ConfirmForm(Form):
    token = HiddenField(validators=[Regexp(r"^[0-9a-f]{32}\.(csv|xlsx|xlsm|txt)$")])
    sheet = HiddenField()
    period = HiddenField()
    name = HiddenField(validators=[Length(max=200)])
    replace = BooleanField(_l("Replace the earlier import of this file"))
    accept_partial = BooleanField(_l("Import the good rows and leave the rejected ones out"))


class AliasForm(Form):
    decision = RadioField(_l("Decision"), choices=[
        SelectChoice("same", _l("Same organisation")),
        SelectChoice("separate", _l("A different organisation"))],
        validators=[DataRequired()])
