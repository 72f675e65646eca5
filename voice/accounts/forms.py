"""The accounts pages' forms.

Every password and address input says what a password manager should fill
(``autocomplete``, WHATWG autofill names): ``current-password`` where a person types the
one they have, ``new-password`` where they choose one, ``username`` on the sign-in email,
``email`` where an address is given.

The address, display name and new-password fields run the service's own checks
(``voice.forms.ServiceCheck``), so one submit shows every problem with its sentence.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from voice.accounts.service import (
    check_display_name,
    check_email_free,
    check_password_rules,
    normalise_email,
)
from voice.forms import ServiceCheck

CURRENT_PASSWORD = {"autocomplete": "current-password"}
NEW_PASSWORD = {"autocomplete": "new-password"}
USERNAME = {"autocomplete": "username"}
EMAIL = {"autocomplete": "email"}

VALID_EMAIL = ServiceCheck(normalise_email)
#: A valid email no account has yet (registration): shown with the other errors.
FREE_EMAIL = ServiceCheck(check_email_free)
VALID_NAME = ServiceCheck(check_display_name)
#: A new password as the service wants it (its length, its sentence).
NEW_PASSWORD_RULES = ServiceCheck(check_password_rules)


class RegisterForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254), VALID_EMAIL,
                                            FREE_EMAIL], render_kw=EMAIL)
    display_name = StringField("Display name",
                               validators=[DataRequired(), Length(max=80), VALID_NAME],
                               render_kw={"autocomplete": "nickname"})
    password = PasswordField(
        "Password", validators=[DataRequired(), NEW_PASSWORD_RULES],
        description="At least 8 characters.", render_kw=NEW_PASSWORD,
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
        render_kw=NEW_PASSWORD,
    )


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)],
                       render_kw=USERNAME)
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)],
                             render_kw=CURRENT_PASSWORD)
    next = HiddenField()


class ProfileForm(FlaskForm):
    display_name = StringField("Display name",
                               validators=[DataRequired(), Length(max=80), VALID_NAME],
                               render_kw={"autocomplete": "nickname"})


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()],
                                     render_kw=CURRENT_PASSWORD)
    new_password = PasswordField(
        "New password", validators=[DataRequired(), NEW_PASSWORD_RULES],
        render_kw=NEW_PASSWORD,
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", message="The passwords differ.")],
        render_kw=NEW_PASSWORD,
    )


class ResetRequestForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)],
                       description="The address you sign in with.", render_kw=USERNAME)


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password", validators=[DataRequired(), NEW_PASSWORD_RULES],
        description="At least 8 characters.", render_kw=NEW_PASSWORD,
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
        render_kw=NEW_PASSWORD,
    )


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        "Your password", validators=[DataRequired(), Length(max=200)],
        description="To confirm that it is you.", render_kw=CURRENT_PASSWORD,
    )
