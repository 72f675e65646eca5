"""The staff page of mail kept aside (/admin/mail): read it, attach it to a case, dismiss it.

Parse the request, call the staff side's facade, render. It belongs to the staff
blueprint (endpoints ``admin.inbound_mail``, ``admin.attach_mail``, ``admin.dismiss_mail``):
voice/admin/views.py adds it with :func:`register`, as it does the settings pages. The
count in the staff navigation comes from :func:`register`'s context processor (a
callable: a page that does not show the navigation reads nothing).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from voice.admin import service
from voice.admin.page_helpers import check_csrf, current_actor
from voice.auth import staff_required
from voice.database import MAX_ID
from voice.errors import ServiceError
from voice.forms import show_service_error
from voice.paging import page_number

PER_PAGE = 20


class AttachForm(FlaskForm):
    """Attach one mail to a case (one form per mail, its fields prefixed by the mail)."""

    case_id = IntegerField(
        "Attach to case #",
        validators=[InputRequired("Enter the number of the case."),
                    NumberRange(1, MAX_ID, "A case number is a whole number from 1.")])


def attach_form(mail_id: int, **kwargs) -> AttachForm:
    return AttachForm(prefix=f"mail-{mail_id}", **kwargs)


def _listing(page: int, failed: AttachForm | None = None, failed_id: int | None = None,
             status: int = 200):
    listing = service.kept_aside_mails(page, PER_PAGE)
    forms = {item.mail.id: (failed if item.mail.id == failed_id and failed is not None
                            else attach_form(item.mail.id, formdata=None))
             for item in listing.items}
    return render_template("admin/mail.html", listing=listing, forms=forms), status


def _back(page: int):
    return redirect(url_for("admin.inbound_mail", page=page) if page > 1
                    else url_for("admin.inbound_mail"))


@staff_required
def inbound_mail():
    return _listing(page_number(request.args))


@staff_required
def attach_mail(mail_id: int):
    page = page_number(request.form)
    form = attach_form(mail_id)
    if form.validate_on_submit():
        try:
            how = service.attach_inbound(current_actor(), mail_id, form.case_id.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            what = ("as the customer's message" if how == "message"
                    else "as an internal note quoting it")
            flash(f"Mail attached to case #{form.case_id.data} {what}.", "success")
            return _back(page)
    return _listing(page, form, mail_id, 400)


@staff_required
def dismiss_mail(mail_id: int):
    check_csrf()
    page = page_number(request.form)
    try:
        service.dismiss_inbound(current_actor(), mail_id)
    except ServiceError as error:
        flash(error.message, "error")
        return _listing(page, status=error.status)
    flash("Mail dismissed. It stays stored.", "success")
    return _back(page)


PAGES = (
    ("/mail", inbound_mail, ("GET",)),
    ("/mail/<int:mail_id>/attach", attach_mail, ("POST",)),
    ("/mail/<int:mail_id>/dismiss", dismiss_mail, ("POST",)),
)


def register(bp: Blueprint) -> None:
    """Add the pages above to the staff blueprint, and the navigation's count."""
    for rule_path, view, methods in PAGES:
        bp.add_url_rule(rule_path, view_func=view, methods=list(methods))

    @bp.app_context_processor
    def kept_aside_mail():
        return {"kept_aside_mail_count": service.kept_aside_badge}
