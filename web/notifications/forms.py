"""The one form of the notifications page (CSRF-protected POST)."""

from flask_wtf import FlaskForm


class MarkReadForm(FlaskForm):
    """Mark every notification read."""
