"""Pages of the markets domain: the market list and page, trading, positions, the
leaderboard, and the staff pages under /admin/markets."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from voice.auth import staff_required
from voice.confirmation import Ask, confirmation
from voice.errors import ServiceError
from voice.forms import choices, show_service_error
from voice.markets import service
from voice.markets.forms import EditMarketForm, MarketForm, ResolveForm, TradeForm, VoidForm
from voice.markets.limits import trade_limit
from voice.pagecache import anonymous_page_cache
from voice.paging import parse_paging
from voice.query_args import choice
from voice.units import SHARE_UNIT, format_points, shares

bp = Blueprint("markets", __name__)

#: What resolving and voiding ask first (voice/confirmation.py); {choice} is the outcome.
RESOLVE_ASK = Ask("Resolve “{question}” as {choice}?",
                  "Traders holding {choice} are paid 1 point a share and the market closes "
                  "for good; this cannot be undone.", "Resolve and pay the winners")
VOID_ASK = Ask("Void “{question}”?",
               "Every trader gets back what they spent and the market closes for good; "
               "this cannot be undone.", "Void and refund every trader")

CHART_POINTS = 400


def _paging() -> tuple[int, int]:
    try:
        return parse_paging(request.args)
    except ServiceError:
        return 1, 20


# --- customers ----------------------------------------------------------------------------


@bp.get("/markets")
@anonymous_page_cache
def index():
    status = choice(request.args, "status", service.LIST_STATUSES)
    page, per_page = _paging()
    listing = service.list_markets(status, page, per_page)
    return render_template("markets/index.html", listing=listing, status=status,
                           statuses=service.LIST_STATUSES)


def _chart_data(view: service.MarketView) -> dict:
    points = service.price_chart(view.id, CHART_POINTS)  # thinned, the last point kept
    return {
        "labels": [at.strftime("%d %b %H:%M") for at, _ in points],
        "outcomes": [o.label for o in view.outcomes],
        "series": [[round(prices[i] * 100, 2) for _, prices in points]
                   for i in range(len(view.outcomes))],
    }


def _trade_form(view: service.MarketView, formdata=None) -> TradeForm:
    form = TradeForm(formdata=formdata) if formdata is not None else TradeForm()
    form.outcome_id.choices = choices((o.id, o.label) for o in view.outcomes)
    if formdata is None and view.outcomes:
        form.outcome_id.data = view.outcomes[0].id
    return form


def _render_detail(market_id: int, form: TradeForm | None = None, status: int = 200,
                   fresh_quote: service.Quote | None = None):
    view = service.get_market(market_id)
    form = form or _trade_form(view)
    page, per_page = _paging()
    mine = []
    held = {}
    if current_user.is_authenticated:
        mine = service.positions_for(current_user.id, market_id)
        held = {str(r.outcome.id): r.position.shares / SHARE_UNIT
                for group in mine for r in group.rows}
    return render_template(
        "markets/detail.html", view=view, form=form, chart=_chart_data(view),
        trades=service.market_trades(market_id, page, per_page), mine=mine[0] if mine else None,
        held=held, fresh_quote=fresh_quote, can_trade=service.may_trade(current_user, view),
    ), status


@bp.get("/markets/<int:market_id>")
@anonymous_page_cache
def detail(market_id: int):
    return _render_detail(market_id)


@bp.post("/markets/<int:market_id>/trade")
@trade_limit
@login_required
def trade(market_id: int):
    view = service.get_market(market_id)
    form = _trade_form(view, request.form)
    if not form.validate_on_submit():
        return _render_detail(market_id, form, 400)
    try:
        result = service.trade(current_user.id, market_id, form.outcome_id.data,
                               **form.size())
    except service.PriceMoved as moved:
        flash(moved.message, "error")
        return _render_detail(market_id, form, 409, fresh_quote=moved.quote)
    except ServiceError as error:
        if error.field in ("shares", "spend", "max_cost", "min_proceeds"):
            form.amount.errors = [*form.amount.errors, error.message]
        else:
            show_service_error(form, error)
        return _render_detail(market_id, form, error.status)
    quote = result.quote
    verb = "Bought" if quote.is_buy else "Sold"
    label = view.outcomes[quote.index].label
    flash(f"{verb} {shares(abs(quote.shares)):,.6f} shares of “{label}” for "
          f"{format_points(abs(quote.cost))} points. “{label}” is now at "
          f"{quote.probability_after * 100:.1f}%.", "success")
    return redirect(url_for("markets.detail", market_id=market_id))


@bp.get("/me/positions")
@login_required
def positions():
    groups = service.positions_for(current_user.id)
    return render_template("markets/positions.html", groups=groups,
                           open_groups=[g for g in groups if not g.view.is_settled],
                           settled_groups=[g for g in groups if g.view.is_settled])


@bp.get("/markets/leaderboard")
@anonymous_page_cache
def leaderboard():
    page, per_page = _paging()
    return render_template("markets/leaderboard.html", listing=service.leaderboard(page, per_page))


# --- staff --------------------------------------------------------------------------------


@bp.get("/admin/markets")
@staff_required
def admin_list():
    page, per_page = _paging()
    return render_template("markets/admin_list.html", listing=service.list_markets(None, page,
                                                                                    per_page))


@bp.route("/admin/markets/new", methods=["GET", "POST"])
@staff_required
def new():
    form = MarketForm()
    if request.method == "GET":
        idea_id = request.args.get("idea_id", type=int)
        if idea_id:
            form.idea_id.data = idea_id
        form.liquidity.data = form.liquidity.data or "100"
    if form.validate_on_submit():
        try:
            market = service.create_market(
                current_user, form.question.data, form.labels(),
                liquidity=form.liquidity.data or None, subsidy=form.subsidy.data or None,
                description=form.description.data or "", closes_at=form.closes_at.data,
                idea_id=form.idea_id.data,
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash("The market is open.", "success")
            return redirect(url_for("markets.detail", market_id=market.id))
    return render_template("markets/new.html", form=form), 400 if form.errors else 200


def _manage_forms(view: service.MarketView):
    """The three staff forms filled from the market (never from the posted data)."""
    edit = EditMarketForm(formdata=None, prefix="edit", question=view.market.question,
                          description=view.market.description,
                          outcomes="\n".join(o.label for o in view.outcomes),
                          closes_at=view.market.closes_at)
    resolve_form = ResolveForm(formdata=None, prefix="resolve")
    resolve_form.outcome_id.choices = choices((o.id, o.label) for o in view.outcomes)
    return edit, resolve_form, VoidForm(formdata=None, prefix="void")


def _render_manage(market_id: int, status: int = 200, **forms):
    view = service.get_market(market_id)
    edit, resolve_form, void_form = _manage_forms(view)
    return render_template(
        "markets/manage.html", view=view, events=service.market_events(market_id),
        edit_form=forms.get("edit", edit), resolve_form=forms.get("resolve", resolve_form),
        void_form=forms.get("void", void_form),
        resolve_ask=RESOLVE_ASK.named(question=view.market.question),
        void_ask=VOID_ASK.named(question=view.market.question),
    ), status


@bp.get("/admin/markets/<int:market_id>")
@staff_required
def manage(market_id: int):
    return _render_manage(market_id)


@bp.post("/admin/markets/<int:market_id>/edit")
@staff_required
def edit(market_id: int):
    view = service.get_market(market_id)
    form = EditMarketForm(prefix="edit").about(len(view.outcomes), view.market.closes_at)
    if form.validate_on_submit():
        try:
            service.edit_market(current_user, market_id, question=form.question.data,
                                outcomes=form.labels(), description=form.description.data or "",
                                closes_at=form.closes_at.data)
        except ServiceError as error:
            show_service_error(form, error)
            return _render_manage(market_id, error.status, edit=form)
        flash("The market is saved.", "success")
        return redirect(url_for("markets.manage", market_id=market_id))
    return _render_manage(market_id, 400, edit=form)


def _ask_to_resolve(view: service.MarketView, outcome_id: int):
    """The confirm page for resolving ``view`` to the outcome chosen; None if confirmed."""
    label = next((o.label for o in view.outcomes if o.id == outcome_id), "")
    return confirmation(RESOLVE_ASK.named(question=view.market.question, choice=label),
                        cancel_url=url_for("markets.manage", market_id=view.id))


@bp.post("/admin/markets/<int:market_id>/resolve")
@staff_required
def resolve(market_id: int):
    view = service.get_market(market_id)
    form = ResolveForm(prefix="resolve")
    form.outcome_id.choices = choices((o.id, o.label) for o in view.outcomes)
    if form.validate_on_submit():
        asked = _ask_to_resolve(view, form.outcome_id.data)
        if asked is not None:
            return asked
        try:
            service.resolve_market(current_user, market_id, form.outcome_id.data,
                                   form.note.data or "")
        except ServiceError as error:
            show_service_error(form, error)
            return _render_manage(market_id, error.status, resolve=form)
        flash("The market is resolved and the winners are paid.", "success")
        return redirect(url_for("markets.manage", market_id=market_id))
    return _render_manage(market_id, 400, resolve=form)


@bp.post("/admin/markets/<int:market_id>/void")
@staff_required
def void(market_id: int):
    view = service.get_market(market_id)
    form = VoidForm(prefix="void")
    if not form.validate_on_submit():
        return _render_manage(market_id, 400, void=form)
    asked = confirmation(VOID_ASK.named(question=view.market.question),
                         cancel_url=url_for("markets.manage", market_id=market_id))
    if asked is not None:
        return asked
    try:
        service.void_market(current_user, market_id, form.note.data or "")
    except ServiceError as error:
        show_service_error(form, error)
        return _render_manage(market_id, error.status, void=form)
    flash("The market is voided and every trader refunded.", "success")
    return redirect(url_for("markets.manage", market_id=market_id))

