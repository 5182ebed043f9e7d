"""Forms of the forum."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..formtext import Form
from ..sent_once import SentOnce

BODY_HELP = _l("Markdown: **bold**, *italic*, lists, [links](https://...), @ACRONYM to "
               "mention an organisation.")


class ThreadForm(SentOnce, Form):
    category_id = SelectField(_l("Category"), validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=20000)],
                         description=BODY_HELP)
    pcode = HiddenField()
    sector = HiddenField()
    link = StringField(_l("Link to what this is about"), validators=[Optional(),
                                                                     Length(max=1000)])
    attachment = FileField(_l("Attachment (PDF, DOCX, PNG or JPEG)"))


class ReplyForm(SentOnce, Form):
    body = TextAreaField(_l("Reply"), validators=[DataRequired(), Length(max=20000)],
                         description=BODY_HELP)
    attachment = FileField(_l("Attachment (PDF, DOCX, PNG or JPEG)"))


class ReportForm(Form):
    reason = StringField(_l("Why should moderators look at this post?"),
                         validators=[DataRequired(), Length(max=1000)])


class ActionForm(Form):
    """A bare POST with its CSRF token (lock, hide, follow buttons)."""
