"""How a request finds its user: the session cookie, or a bearer token for the API."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import LoginManager

from voice.accounts import service
from voice.error_pages import error_json


def configure(login_manager: LoginManager) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_id: str):
        if request.headers.get("Authorization"):
            return None  # a request that names its credentials is judged by them alone
        return service.load_session_user(session_id)

    @login_manager.request_loader
    def load_user_from_token(req):
        header = req.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        return service.user_for_token(header.removeprefix("Bearer ").strip())

    @login_manager.unauthorized_handler
    def unauthorized():
        if request.path.startswith("/api/"):
            return error_json("unauthorized", "Send a valid bearer token.", 401)
        flash(login_manager.login_message, login_manager.login_message_category)
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
