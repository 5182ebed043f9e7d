"""Forms of the library: a document (admins), following topics."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from data.models import DOC_KINDS, DOC_STATUSES, TOPICS

from ..formtext import Form
from ..sent_once import SentOnce


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as checkboxes (works without JavaScript)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def kind_choices(locale: str) -> list[tuple[str, str]]:
    from network.library import KIND_LABELS

    return [(k, KIND_LABELS[k][locale == "en"]) for k in DOC_KINDS]


def status_choices(locale: str) -> list[tuple[str, str]]:
    from network.library import STATUS_LABELS

    return [(k, STATUS_LABELS[k][locale == "en"]) for k in DOC_STATUSES]


def topic_choices(locale: str) -> list[tuple[str, str]]:
    from network.library import TOPIC_LABELS

    return [(k, TOPIC_LABELS[k][locale == "en"]) for k in TOPICS]


class DocumentForm(SentOnce, Form):
    kind = SelectField(_l("Kind"), validators=[DataRequired()])
    number = StringField(_l("Number"), validators=[Optional(), Length(max=40)])
    issue_date = DateField(_l("Issue date"), validators=[Optional()])
    issuer_ar = StringField(_l("Issuer (Arabic)"), validators=[Length(max=500)])
    issuer_en = StringField(_l("Issuer (English)"), validators=[Length(max=500)])
    title_ar = StringField(_l("Title (Arabic)"), validators=[DataRequired(), Length(max=500)])
    title_en = StringField(_l("Title (English, optional)"), validators=[Length(max=500)])
    summary_ar = TextAreaField(_l("Summary (Arabic)"), validators=[Length(max=5000)])
    summary_en = TextAreaField(_l("Summary (English)"), validators=[Length(max=5000)])
    body_ar = TextAreaField(_l("Full text (Arabic)"))
    body_en = TextAreaField(_l("Full text (English)"))
    topics = MultiCheckboxField(_l("Topics"))
    sectors = MultiCheckboxField(_l("Sectors"))
    service_types = SelectMultipleField(_l("Service types it concerns"))
    status = SelectField(_l("Status"))
    status_by_id = IntegerField(_l("Amended or repealed by (document number in the library)"),
                                validators=[Optional()])
    published = BooleanField(_l("Published"))
    attachment = FileField(_l("Attachment (PDF, DOCX, PNG or JPEG)"))

    def data_for_use_case(self) -> dict:
        """The form's values in the use case's vocabulary."""
        keys = ("kind", "number", "issue_date", "issuer_ar", "issuer_en", "title_ar",
                "title_en", "summary_ar", "summary_en", "body_ar", "body_en", "topics",
                "sectors", "service_types", "status", "status_by_id", "published")
        return {k: getattr(self, k).data for k in keys}


class FollowForm(Form):
    topics = MultiCheckboxField(_l("Topics"))


class SearchForm(Form):
    class Meta:
        csrf = False

    q = StringField(_l("Search"))
    kind = SelectField(_l("Kind"), validators=[Optional()])
    year = IntegerField(_l("Year"), validators=[Optional()])
    issuer = SelectField(_l("Issuer"), validators=[Optional()])
    topic = SelectField(_l("Topic"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])
