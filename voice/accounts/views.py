"""Register, log in, log out, and the profile page."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response as Redirect

from voice.accounts import data, service
from voice.accounts.forms import (
    DeleteAccountForm,
    LoginForm,
    PasswordForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    ResetRequestForm,
)
from voice.accounts.limits import reset_email_limit, reset_limit, signin_limit, signup_limit
from voice.accounts.models import User
from voice.auth import safe_next_url
from voice.errors import ServiceError
from voice.forms import show_service_error

bp = Blueprint("accounts", __name__)

@bp.route("/register", methods=["GET", "POST"])
@signup_limit
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RegisterForm()
    next_url = safe_next_url(request.args.get("next"))  # kept from the sign-in page
    if form.validate_on_submit():
        try:
            user = service.register(form.email.data, form.password.data, form.display_name.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            login_user(service.start_session(user))
            flash(f"Welcome to Voice, {user.display_name}.", "success")
            return redirect(next_url or url_for("main.home"))
    return render_template("accounts/register.html", form=form,
                           next_url=next_url), 400 if form.errors else 200


@bp.route("/login", methods=["GET", "POST"])
@signin_limit
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    user = _credentials_of(form) if form.validate_on_submit() else None
    if user is not None:
        login_user(service.start_session(user))
        flash(f"Signed in as {user.display_name}.", "success")
        return redirect(safe_next_url(form.next.data) or url_for("main.home"))
    status = 400 if form.errors else 200
    return render_template("accounts/login.html", form=form), status


def _credentials_of(form: LoginForm) -> User | None:
    """The user the sign-in form's email and password name, or None with the form's
    error set: the same sentence for a wrong email and a wrong password, and "disabled"
    only for the right password of a deactivated account."""
    try:
        user = service.authenticate(form.email.data, form.password.data)
    except ServiceError as error:
        form.password.errors = [error.message]
        return None
    if user is None:
        form.password.errors = ["Wrong email or password."]
    return user


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        service.end_session(current_user)  # a copy of the cookie names nothing now
    logout_user()
    flash("You are signed out.", "success")
    return redirect(url_for("main.home"))


@bp.route("/me", methods=["GET", "POST"])
@login_required
def profile():
    profile_form = ProfileForm(prefix="profile", display_name=current_user.display_name)
    password_form = PasswordForm(prefix="password")
    done = None
    if "profile-display_name" in request.form:
        done = _save_profile(profile_form)
    elif "password-new_password" in request.form:
        done = _change_password(password_form)
    if done is not None:
        return done
    status = 400 if profile_form.errors or password_form.errors else 200
    return render_template(
        "accounts/profile.html", profile_form=profile_form, password_form=password_form
    ), status


def _save_profile(form: ProfileForm) -> Redirect | None:
    if not form.validate_on_submit():
        return None
    try:
        service.update_profile(current_user, form.display_name.data)
    except ServiceError as error:
        show_service_error(form, error)
        return None
    flash("Your profile is saved.", "success")
    return redirect(url_for("accounts.profile"))


#: The service's sentence for a wrong current password (``service.change_password``).
WRONG_CURRENT_PASSWORD = "Your current password is not right."


def _change_password(form: PasswordForm) -> Redirect | None:
    if not form.validate_on_submit():
        # The new password was refused: say now too if the current one is wrong, so one
        # submit shows every problem (the service, which checks it first, is not called).
        typed = form.current_password.data
        if typed and service.authenticate(current_user.email, typed) is None:
            form.current_password.errors = [*form.current_password.errors,
                                            WRONG_CURRENT_PASSWORD]
        return None
    try:
        user = service.change_password(current_user, form.current_password.data,
                                       form.new_password.data)
    except ServiceError as error:
        show_service_error(form, error)
        return None
    login_user(service.start_session(user))  # a new session here; every other ended
    flash("Your password is changed. Other sessions were signed out.", "success")
    return redirect(url_for("accounts.profile"))


@bp.route("/reset-password", methods=["GET", "POST"])
@reset_limit
@reset_email_limit
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        try:
            service.request_password_reset(form.email.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            # The same answer whether or not the address has an account.
            return render_template("accounts/reset_sent.html", email=form.email.data)
    status = 400 if form.errors else 200
    return render_template("accounts/reset_request.html", form=form), status


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@signin_limit
def reset_password(token: str):
    form = ResetPasswordForm()
    try:
        user = service.check_password_reset_token(token)
    except ServiceError as error:
        return _no_referrer(render_template(
            "accounts/reset_password.html", form=None, link_error=error.message,
            request_form=ResetRequestForm(formdata=None),
        ), 400)
    if form.validate_on_submit():
        try:
            service.reset_password(token, form.password.data)
        except ServiceError as error:
            if error.field == "password":
                show_service_error(form, error)
            else:  # the link was used in the meantime
                return _no_referrer(render_template(
                    "accounts/reset_password.html", form=None, link_error=error.message,
                    request_form=ResetRequestForm(formdata=None),
                ), 400)
        else:
            if current_user.is_authenticated:
                logout_user()
            flash("Your new password is set and every other session is signed out. "
                  "Sign in with the new password.", "success")
            return redirect(url_for("accounts.login"))
    status = 400 if form.errors else 200
    return _no_referrer(render_template(
        "accounts/reset_password.html", form=form, email=user.email
    ), status)


@bp.route("/me/data.json")
@login_required
def export_data():
    """Everything Voice holds about the signed-in user, as a JSON download."""
    body = json.dumps(data.export_data(current_user.id), indent=2, ensure_ascii=False)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="voice-data-{current_user.id}.json"',
        "Cache-Control": "no-store",
    })


@bp.route("/me/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    form = DeleteAccountForm()
    refused = False
    if form.validate_on_submit():
        try:
            data.delete_account(current_user, form.password.data)
        except ServiceError as error:
            refused = True
            show_service_error(form, error)
        else:
            logout_user()
            flash("Your account is closed. What you shared stays as “a former customer”; "
                  "your personal data is gone.", "success")
            return redirect(url_for("main.home"))
    status = 400 if form.errors or refused else 200
    return render_template("accounts/delete.html", form=form,
                           staff=current_user.role != "customer"), status


def _no_referrer(body: str, status: int = 200):
    """The token is in the address: never send it on as a Referer."""
    return body, status, {"Referrer-Policy": "no-referrer"}
