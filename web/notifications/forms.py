"""The one form of the notifications page (CSRF-protected POST)."""

from ..formtext import Form


class MarkReadForm(Form):
    """Mark every notification read."""
