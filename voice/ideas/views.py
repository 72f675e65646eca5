"""Pages of the ideas domain: the board, an idea, submitting, voting, discussing,
"My activity", and the staff's actions under /admin/ideas."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_required

from voice import signals
from voice.areas.service import all_areas
from voice.auth import safe_next_url, staff_required
from voice.confirmation import Ask, confirmation
from voice.errors import NotFound, ServiceError
from voice.forms import show_service_error
from voice.ideas import service
from voice.ideas.forms import (
    ActionForm,
    AreaForm,
    CommentForm,
    IdeaForm,
    MergeForm,
    ProxyVoteForm,
    StatusForm,
)
from voice.ideas.limits import comment_limit, submit_limit
from voice.ideas.models import STATUS_LABELS
from voice.pagecache import anonymous_page_cache
from voice.paging import page_number, parse_paging

bp = Blueprint("ideas", __name__)

#: What merging asks first (voice/confirmation.py); {choice} is the number typed.
MERGE_ASK = Ask("Merge “{title}” into idea #{choice}{target}?",
                "Its votes and subscribers move there and visitors to its page are sent on; "
                "“Undo the merge” on its page moves them back.",
                "Merge")

SORT_LABELS = {"trending": "Trending", "top": "Top", "new": "New"}


def linked_markets_for(idea_ids: list[int]) -> dict:
    """idea id -> its linked market (``.market_id``, ``.probability``, ``.status``).

    Asked of whoever links things to ideas (``signals.idea_links_requested``: the
    markets domain, one query), since ideas sits below markets and never imports it.
    """
    linked: dict = {}
    for _receiver, answer in signals.idea_links_requested.send(tuple(idea_ids)):
        linked.update(answer or {})
    return linked


def shipped_in_for(idea_id: int) -> list:
    """The updates that delivered the idea, newest first (``signals.idea_updates_requested``,
    answered by the staff side's "You asked, we did", which ideas never imports)."""
    shipped: list = []
    for _receiver, answer in signals.idea_updates_requested.send((idea_id,)):
        shipped.extend((answer or {}).get(idea_id, []))
    return shipped


def start_market_url_for(idea_id: int) -> str | None:
    """Where staff start a market on this idea."""
    return url_for("markets.new", idea_id=idea_id)


def viewer():
    return current_user._get_current_object() if current_user.is_authenticated else None


def back_to(idea_id: int) -> str:
    return safe_next_url(request.form.get("next")) or url_for("ideas.detail", idea_id=idea_id)


# --- the board -------------------------------------------------------------------------


@bp.route("/ideas")
@anonymous_page_cache
def index():
    page, per_page = parse_paging(request.args)
    args = request.args
    filters: dict[str, Any] = {
        "sort": args.get("sort") or None,
        "status": args.get("status") or None,
        "area": args.get("area") or None,
        "q": (args.get("q") or "").strip(),
        "mine": args.get("mine") == "1",
        "voted": args.get("voted") == "1",
    }
    if (filters["mine"] or filters["voted"]) and not current_user.is_authenticated:
        flash("Sign in to see your ideas and votes.", "info")
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    listing = service.list_ideas(viewer(), page=page, per_page=per_page, **filters)
    return render_template(
        "ideas/index.html", listing=listing, filters=filters, areas=all_areas(),
        statuses=STATUS_LABELS, sorts=SORT_LABELS,
        linked=linked_markets_for([idea.id for idea in listing.items]),
    )


@bp.route("/ideas/new", methods=["GET", "POST"])
@login_required
@submit_limit
def new():
    form = IdeaForm()
    form.set_areas(all_areas())
    if request.method == "GET" and request.args.get("title"):
        form.title.data = request.args.get("title", "")[:120]
    if form.validate_on_submit():
        if form.website.data:
            flash("That looked automated, so it was not posted.", "error")
            return render_template("ideas/new.html", form=form), 400
        try:
            idea = service.submit_idea(current_user, form.title.data, form.description.data,
                                       form.area.data or None)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash("Your idea is posted. Others can vote for it now.", "success")
            return redirect(url_for("ideas.detail", idea_id=idea.id))
    status = 400 if form.errors or request.method == "POST" else 200
    return render_template("ideas/new.html", form=form), status


def render_detail(idea_id: int, *, status: int = 200, **forms):
    """The idea's page; ``forms`` replace the blank ones (to show a refused form's errors)."""
    comment_page = page_number(request.args, "comments")
    detail = service.idea_detail(viewer(), idea_id, comment_page)
    idea = detail.idea
    target = detail.merged_into
    if target is not None and not request.args.get("stay") and request.method == "GET":
        flash(f'"{idea.title}" was merged into this idea.', "info")
        return redirect(url_for("ideas.detail", idea_id=target.id, merged_from=idea.id))
    staff = current_user.is_authenticated and current_user.is_staff
    all_forms = {
        "comment_form": CommentForm(prefix="comment"),
        "action_form": ActionForm(),
    }
    if staff:
        area_form = AreaForm(prefix="area", area=idea.area.slug if idea.area else "")
        area_form.set_areas(all_areas())
        all_forms.update(
            status_form=StatusForm(prefix="status", status=idea.status),
            merge_form=MergeForm(prefix="merge"),
            merge_ask=MERGE_ASK.named(title=idea.title, target=""),
            area_form=area_form,
            proxy_form=ProxyVoteForm(prefix="proxy"),
        )
    all_forms.update(forms)
    return render_template(
        "ideas/detail.html", detail=detail, idea=idea, staff=staff,
        linked=linked_markets_for([idea.id]), shipped_in=shipped_in_for(idea.id),
        start_market_url=start_market_url_for(idea.id) if staff else None,
        statuses=STATUS_LABELS, **all_forms,
    ), status


@bp.route("/ideas/<int:idea_id>")
@anonymous_page_cache
def detail(idea_id: int):
    return render_detail(idea_id)


# --- voting and discussing -------------------------------------------------------------


def _action(idea_id: int, work, success: str | None = None):
    """Run a one-button action; a refusal is flashed on the idea's page."""
    form = ActionForm()
    if not form.validate_on_submit():
        flash("The form had expired. Try again.", "error")
        return redirect(back_to(idea_id))
    try:
        work()
    except ServiceError as error:
        if error.status == 404:
            raise
        flash(error.message, "error")
        return render_detail(idea_id, status=error.status)
    if success:
        flash(success, "success")
    return redirect(back_to(idea_id))


@bp.post("/ideas/<int:idea_id>/vote")
@login_required
def vote(idea_id: int):
    return _action(idea_id, lambda: service.cast_vote(current_user, idea_id))


@bp.get("/ideas/<int:idea_id>/vote")
@login_required
def vote_prompt(idea_id: int):
    """Where sign-in sends a signed-out vote (its ``next``): the idea's page with a
    one-click "Cast your vote" form. A GET never casts the vote (CSRF)."""
    return redirect(url_for("ideas.detail", idea_id=idea_id, vote=1))


@bp.post("/ideas/<int:idea_id>/unvote")
@login_required
def unvote(idea_id: int):
    return _action(idea_id, lambda: service.remove_vote(current_user, idea_id))


@bp.post("/ideas/<int:idea_id>/subscribe")
@login_required
def subscribe(idea_id: int):
    return _action(idea_id, lambda: service.set_subscribed(current_user, idea_id, True),
                   "You will hear about changes to this idea.")


@bp.post("/ideas/<int:idea_id>/unsubscribe")
@login_required
def unsubscribe(idea_id: int):
    return _action(idea_id, lambda: service.set_subscribed(current_user, idea_id, False),
                   "You will no longer hear about this idea.")


@bp.post("/ideas/<int:idea_id>/comments")
@login_required
@comment_limit
def comment(idea_id: int):
    form = CommentForm(prefix="comment")
    if form.validate_on_submit():
        internal = bool(form.internal.data) and current_user.is_staff
        try:
            posted = service.add_comment(current_user, idea_id, form.body.data, internal=internal)
        except ServiceError as error:
            if error.status == 404:
                raise
            show_service_error(form, error)
        else:
            flash("Your note is saved (staff only)." if internal else "Your comment is posted.",
                  "success")
            return redirect(url_for("ideas.detail", idea_id=idea_id) + f"#comment-{posted.id}")
    return render_detail(idea_id, status=400, comment_form=form)


@bp.route("/me/activity")
@login_required
def activity():
    return render_template("ideas/activity.html",
                           activity=service.activity_for(current_user))


# --- staff -----------------------------------------------------------------------------


def _staff_refused(idea_id: int, what: str, **forms):
    """The idea's page again with a refused staff form: its errors flashed at the top of
    the page (where the eye is) as well as beside the fields in the staff panel."""
    for form in forms.values():
        for messages in form.errors.values():
            for message in messages:
                flash(f"{what}: {message}", "error")
    return render_detail(idea_id, status=400, **forms)


@bp.post("/admin/ideas/<int:idea_id>/status")
@staff_required
def change_status(idea_id: int):
    form = StatusForm(prefix="status")
    if form.validate_on_submit():
        try:
            service.change_status(current_user, idea_id, form.status.data, form.note.data)
        except ServiceError as error:
            if error.status == 404:
                raise
            show_service_error(form, error)
        else:
            flash("The status is changed and every subscriber is told.", "success")
            return redirect(url_for("ideas.detail", idea_id=idea_id))
    return _staff_refused(idea_id, "The status was not changed", status_form=form)


def _ask_to_merge(idea_id: int, into_id: int):
    """The confirm page naming both ideas; None when confirmed, or when the target is the
    idea itself (the merge refuses that with its own message)."""
    if into_id == idea_id:
        return None
    try:
        into = service.get_idea(into_id)
    except NotFound:
        raise NotFound("No idea has that number.", field="into") from None
    return confirmation(
        MERGE_ASK.named(title=service.get_idea(idea_id).title, choice=into.id,
                        target=f", “{into.title}”"),
        cancel_url=url_for("ideas.detail", idea_id=idea_id))


@bp.post("/admin/ideas/<int:idea_id>/merge")
@staff_required
def merge(idea_id: int):
    form = MergeForm(prefix="merge")
    if form.validate_on_submit():
        try:
            asked = _ask_to_merge(idea_id, form.into.data)
            if asked is not None:
                return asked
            survivor = service.merge_ideas(current_user, idea_id, form.into.data)
        except ServiceError as error:
            if error.status == 404 and error.field is None:
                raise
            show_service_error(form, error)
        else:
            flash(f"Merged. Its votes and subscribers moved to #{survivor.id}.", "success")
            return redirect(url_for("ideas.detail", idea_id=survivor.id))
    return _staff_refused(idea_id, "Not merged", merge_form=form)


@bp.post("/admin/ideas/<int:idea_id>/unmerge")
@staff_required
def unmerge(idea_id: int):
    return _action(idea_id, lambda: service.unmerge_idea(current_user, idea_id),
                   "The merge is undone: the votes it moved are back.")


@bp.post("/admin/ideas/<int:idea_id>/area")
@staff_required
def set_area(idea_id: int):
    form = AreaForm(prefix="area")
    form.set_areas(all_areas())
    if form.validate_on_submit():
        try:
            service.set_idea_area(current_user, idea_id, form.area.data or None)
        except ServiceError as error:
            if error.status == 404:
                raise
            show_service_error(form, error)
        else:
            flash("The area is changed.", "success")
            return redirect(url_for("ideas.detail", idea_id=idea_id))
    return _staff_refused(idea_id, "The area was not changed", area_form=form)


@bp.post("/admin/ideas/<int:idea_id>/votes")
@staff_required
def proxy_vote(idea_id: int):
    form = ProxyVoteForm(prefix="proxy")
    if form.validate_on_submit():
        try:
            _, voter = service.add_vote_for(current_user, idea_id, form.email.data)
        except ServiceError as error:
            if error.status == 404:
                raise
            show_service_error(form, error)
        else:
            flash(f"Vote added on behalf of {voter.display_name}.", "success")
            return redirect(url_for("ideas.detail", idea_id=idea_id))
    return _staff_refused(idea_id, "The vote was not added", proxy_form=form)


@bp.post("/admin/ideas/comments/<int:comment_id>/hide")
@staff_required
def hide_comment(comment_id: int):
    return _comment_visibility(comment_id, True)


@bp.post("/admin/ideas/comments/<int:comment_id>/unhide")
@staff_required
def unhide_comment(comment_id: int):
    return _comment_visibility(comment_id, False)


def _comment_visibility(comment_id: int, hidden: bool):
    form = ActionForm()
    if not form.validate_on_submit():
        flash("The form had expired. Try again.", "error")
        return redirect(url_for("ideas.index"))
    comment = service.set_comment_hidden(current_user, comment_id, hidden)
    flash("The comment is hidden from customers." if hidden else "The comment is shown again.",
          "success")
    return redirect(url_for("ideas.detail", idea_id=comment.idea_id) + f"#comment-{comment.id}")


@bp.route("/admin/ideas/export.csv")
@staff_required
def export_csv():
    return Response(stream_with_context(service.export_csv(current_user)), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=ideas.csv"})
