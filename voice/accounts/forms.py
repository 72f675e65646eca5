"""The accounts pages' forms.

Every password and address input says what a password manager should fill
(``autocomplete``, WHATWG autofill names): ``current-password`` where a person types the
one they have, ``new-password`` where they choose one, ``username`` on the sign-in email,
``email`` where an address is given.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

CURRENT_PASSWORD = {"autocomplete": "current-password"}
NEW_PASSWORD = {"autocomplete": "new-password"}
USERNAME = {"autocomplete": "username"}
EMAIL = {"autocomplete": "email"}


class RegisterForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)], render_kw=EMAIL)
    display_name = StringField("Display name", validators=[DataRequired(), Length(max=80)],
                               render_kw={"autocomplete": "nickname"})
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(min=8, max=200)],
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
    display_name = StringField("Display name", validators=[DataRequired(), Length(max=80)],
                               render_kw={"autocomplete": "nickname"})


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()],
                                     render_kw=CURRENT_PASSWORD)
    new_password = PasswordField(
        "New password", validators=[DataRequired(), Length(min=8, max=200)],
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
        "New password", validators=[DataRequired(), Length(min=8, max=200)],
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
