"""Every form's base: WTForms' own messages read from our catalogs, so they are Arabic too.

WTForms ships an Arabic catalog that leaves most messages empty and every plural form past
the second: an Arabic form said "Field cannot be longer than 254 characters." (found by the
forms fuzzer). ``Form`` reads those messages through Flask-Babel's merged catalogs instead,
where they are written below so that extraction (and the catalog test) keeps them translated.
"""

from __future__ import annotations

from typing import Any

from flask_babel import get_translations, lazy_ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

__all__ = ["Form", "TRANSLATIONS"]


class _Catalogs:
    """gettext/ngettext as WTForms calls them (it fills the placeholders itself)."""

    def gettext(self, string: str) -> str:
        return get_translations().gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ngettext(singular, plural, n)


TRANSLATIONS = _Catalogs()


class Form(FlaskForm):
    """A Flask-WTF form whose built-in messages speak the reader's language."""

    class Meta:
        def get_translations(self, form: Any) -> _Catalogs:
            return TRANSLATIONS


# The messages WTForms and Flask-WTF's file fields can show, as they write them.
MESSAGES = (
    _l("Field must be equal to %(other_name)s."),
    lazy_ngettext("Field must be at least %(min)d character long.",
                  "Field must be at least %(min)d characters long.", 1),
    lazy_ngettext("Field cannot be longer than %(max)d character.",
                  "Field cannot be longer than %(max)d characters.", 1),
    lazy_ngettext("Field must be exactly %(max)d character long.",
                  "Field must be exactly %(max)d characters long.", 1),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Date must be at least %(min)s."),
    _l("Date must be at most %(max)s."),
    _l("Date must be between %(min)s and %(max)s."),
    _l("This field is required."),
    _l("Invalid input."),
    _l("Invalid email address."),
    _l("Invalid URL."),
    _l("Invalid value, must be one of: %(values)s."),
    _l("Invalid value, can't be any of: %(values)s."),
    _l("This field cannot be edited."),
    _l("This field is disabled and cannot have a value."),
    _l("Invalid CSRF Token."),
    _l("CSRF token missing."),
    _l("CSRF failed."),
    _l("CSRF token expired."),
    _l("Invalid Choice: could not coerce."),
    _l("Not a valid choice."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
    lazy_ngettext("'%(value)s' is not a valid choice for this field.",
                  "'%(value)s' are not valid choices for this field.", 1),
    _l("Not a valid datetime value."),
    _l("Not a valid date value."),
    _l("Not a valid time value."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
    _l("File does not have an approved extension: {extensions}"),
    _l("File does not have an approved extension."),
)
