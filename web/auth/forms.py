"""Forms of the auth blueprint: sign-in, password reset, organisation registration, invitations."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from ..formtext import Form

MIN = 10


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class LoginForm(Form):
    email = EmailField(_l("Email"), filters=[_strip],
                       validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class ForgotForm(Form):
    email = EmailField(_l("Email"), filters=[_strip],
                       validators=[DataRequired(), Email(), Length(max=254)])


class NewPasswordForm(Form):
    password = PasswordField(_l("New password"), validators=[DataRequired(),
                                                             Length(min=MIN, max=200)])
    confirm = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])


class InvitationForm(NewPasswordForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])


class RegistrationForm(Form):
    name_ar = StringField(_l("Name in Arabic"), validators=[DataRequired(), Length(max=300)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=300)])
    acronym = StringField(_l("Acronym"), validators=[Optional(), Length(max=40)])
    registration_number = StringField(_l("Ministry registration number"),
                                      validators=[DataRequired(), Length(max=60)])
    org_type = SelectField(_l("Type"), choices=[])
    hq_pcode = SelectField(_l("Head-office governorate"), choices=[],
                           validators=[DataRequired()])
    email = EmailField(_l("Organisation email"), filters=[_strip],
                       validators=[Optional(), Email(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    website = StringField(_l("Website"), validators=[Optional(), Length(max=300)])
    admin_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    admin_email = EmailField(_l("Your email"), filters=[_strip],
                             validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(),
                                                         Length(min=MIN, max=200)])
    confirm = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])


ORG_TYPE_LABELS = {
    "local_ngo": _l("Local NGO"), "international_ngo": _l("International NGO"),
    "charity": _l("Charity"), "cbo": _l("Community-based organisation"),
    "un_agency": _l("UN agency"), "government": _l("Government body"),
    "private": _l("Private sector"), "other": _l("Other"),
}


def fill_choices(form, session) -> None:
    """Organisation types and governorates, labelled in the current language."""
    from data.models import ORG_TYPES
    from network import reference
    from web.i18n import current_locale

    form.org_type.choices = [SelectChoice(t, str(ORG_TYPE_LABELS.get(t, t))) for t in ORG_TYPES]
    loc = current_locale()
    form.hq_pcode.choices = [SelectChoice(a.pcode, a.name(loc))
                             for a in reference.admin_areas(session, level=1)]


def show_error(form, exc) -> None:
    """Put a use-case error next to the field it names (or above the form)."""
    from flask_babel import gettext

    field = exc.details.get("field") if isinstance(exc.details, dict) else None
    message = gettext(exc.message)
    aliases = {"admin_password": "password"}
    target = getattr(form, aliases.get(field, field or ""), None) if field else None
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, message] if isinstance(target.errors, list) \
            else [message]
    else:
        form.form_errors.append(message)


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(), Length(max=200)])
