"""Who may use what: every route of the URL map against five callers.

``EXPECTED`` below is the one table of the whole app's access rules: for each
``"METHOD endpoint"`` of ``app.url_map`` (pages and API), what anonymous, a
customer, another customer, staff and an admin get. A route without a row fails
``test_every_route_has_a_row``, so a new route cannot ship without a decision.

The URL parameters are filled by name from a small world (``build_world``) in
which every object belongs to "customer": so the "other" column shows what a
customer gets for another customer's notification, case or answer.

Outcomes: OK (allowed: not 401/403, not sent to sign in, never 5xx; a 400 for an
empty form or a 404/409 for a state that moved on still proves the guard let the
caller through), LOGIN (a page redirects to /login?next=...), E401 (the API's
JSON 401), E403, E404 (the object is not theirs and is not even admitted to exist).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import PASSWORD, Browser
from voice.extensions import db

OK, LOGIN, E401, E403, E404 = "ok", "login", "401", "403", "404"
ROLES = ("anonymous", "customer", "other", "staff", "admin")

# Shorthands for the common rows: (anonymous, customer, other customer, staff, admin).
PUBLIC = (OK, OK, OK, OK, OK)
USER_PAGE = (LOGIN, OK, OK, OK, OK)
STAFF_PAGE = (LOGIN, E403, E403, OK, OK)
ADMIN_PAGE = (LOGIN, E403, E403, E403, OK)
USER_API = (E401, OK, OK, OK, OK)
STAFF_API = (E401, E403, E403, OK, OK)
ADMIN_API = (E401, E403, E403, E403, OK)
CUSTOMER_API = (E401, OK, OK, E403, E403)  # only customers trade
OWNER_API = (E401, OK, E404, E404, E404)  # the customer's own object; others get 404

EXPECTED: dict[str, tuple[str, str, str, str, str]] = {
    # --- public pages -----------------------------------------------------------------
    "GET main.home": PUBLIC,
    "GET main.healthz": PUBLIC,
    "GET static": PUBLIC,
    "GET accounts.login": PUBLIC,
    "POST accounts.login": PUBLIC,
    "GET accounts.register": PUBLIC,  # signed-in users are sent home
    "POST accounts.register": PUBLIC,
    "POST accounts.logout": PUBLIC,
    "GET accounts.reset_request": PUBLIC,
    "POST accounts.reset_request": PUBLIC,
    "GET accounts.reset_password": PUBLIC,  # the signed token is the credential
    "POST accounts.reset_password": PUBLIC,
    "GET loop.unsubscribe": PUBLIC,  # the signed token is the credential
    "POST loop.unsubscribe": PUBLIC,
    "GET ideas.index": PUBLIC,
    "GET ideas.detail": PUBLIC,
    "GET surveys.index": PUBLIC,
    "GET surveys.detail": PUBLIC,
    "POST surveys.detail": USER_PAGE,  # the world's survey is identified: sign in first
    "GET surveys.thanks": PUBLIC,
    "GET markets.index": PUBLIC,
    "GET markets.detail": PUBLIC,
    "GET markets.leaderboard": PUBLIC,
    "GET updates.index": PUBLIC,
    "GET updates.show": PUBLIC,
    "GET updates.atom": PUBLIC,  # issue 15 (H8): the Atom feed
    "GET roadmap.index": PUBLIC,  # issue 15 (H7): the roadmap
    # --- signed-in pages ----------------------------------------------------------------
    "GET accounts.profile": USER_PAGE,
    "POST accounts.profile": USER_PAGE,
    "GET accounts.export_data": USER_PAGE,
    "GET accounts.delete_account": USER_PAGE,
    "POST accounts.delete_account": USER_PAGE,
    "GET ideas.new": USER_PAGE,
    "POST ideas.new": USER_PAGE,
    "POST ideas.vote": USER_PAGE,
    "GET ideas.vote_prompt": USER_PAGE,  # the signed-out vote's way back; never votes
    "POST ideas.unvote": USER_PAGE,
    "POST ideas.subscribe": USER_PAGE,
    "POST ideas.unsubscribe": USER_PAGE,
    "POST ideas.comment": USER_PAGE,
    "GET ideas.activity": USER_PAGE,
    "POST markets.trade": USER_PAGE,  # staff get the service's refusal as a message
    "GET markets.positions": USER_PAGE,
    "GET loop.notifications": USER_PAGE,
    "POST loop.mark_read": (LOGIN, OK, E404, E404, E404),  # the customer's notification
    "POST loop.mark_all_read": USER_PAGE,
    "GET loop.preferences": USER_PAGE,
    "POST loop.preferences": USER_PAGE,
    # My conversations (issue 14): the caller's own cases; another's is 404.
    "GET conversations.index": USER_PAGE,
    "GET conversations.show": (LOGIN, OK, E404, E404, E404),
    "POST conversations.show": (LOGIN, OK, E404, E404, E404),
    # --- staff pages --------------------------------------------------------------------
    "GET admin.home": STAFF_PAGE,
    "GET admin.audit_log": STAFF_PAGE,
    "GET admin.cases": STAFF_PAGE,
    "POST admin.cases": STAFF_PAGE,  # the inbox's bulk assign / close
    "GET admin.my_cases": STAFF_PAGE,
    "POST admin.my_cases": STAFF_PAGE,
    "GET admin.customer": STAFF_PAGE,  # the customer page (issue 14)
    # Mail kept aside (issue 14): read, attach to a case, dismiss.
    "GET admin.inbound_mail": STAFF_PAGE,
    "POST admin.attach_mail": STAFF_PAGE,
    "POST admin.dismiss_mail": STAFF_PAGE,
    "GET admin.case": STAFF_PAGE,
    "POST admin.case": STAFF_PAGE,
    "GET admin.scores": STAFF_PAGE,
    "GET admin.staff_updates": STAFF_PAGE,
    "POST admin.staff_updates": STAFF_PAGE,
    # Reply templates: any staff reads them; the service lets owners and admins write
    # (the world's staff owns the team; tests/test_reply_templates.py has the rest).
    "GET admin.templates_index": STAFF_PAGE,
    "GET admin.team_templates": STAFF_PAGE,
    "POST admin.team_templates": STAFF_PAGE,
    "GET admin.team_template": STAFF_PAGE,
    "POST admin.team_template": STAFF_PAGE,
    "POST admin.delete_team_template": STAFF_PAGE,  # without confirmed=yes: it asks
    "POST ideas.change_status": STAFF_PAGE,
    "POST ideas.merge": STAFF_PAGE,
    "POST ideas.unmerge": STAFF_PAGE,
    "POST ideas.set_area": STAFF_PAGE,
    "POST ideas.proxy_vote": STAFF_PAGE,
    "POST ideas.hide_comment": STAFF_PAGE,
    "POST ideas.unhide_comment": STAFF_PAGE,
    "GET ideas.export_csv": STAFF_PAGE,
    "GET surveys.admin_list": STAFF_PAGE,
    "GET surveys.new": STAFF_PAGE,
    "POST surveys.new": STAFF_PAGE,
    "GET surveys.builder": STAFF_PAGE,
    "POST surveys.builder": STAFF_PAGE,
    "POST surveys.publish": STAFF_PAGE,
    "POST surveys.close": STAFF_PAGE,
    "POST surveys.duplicate": STAFF_PAGE,
    "POST surveys.add_question": STAFF_PAGE,
    "POST surveys.edit_question": STAFF_PAGE,
    "POST surveys.remove_question": STAFF_PAGE,
    "POST surveys.move_question": STAFF_PAGE,
    "GET surveys.results": STAFF_PAGE,
    "GET surveys.export": STAFF_PAGE,
    "GET markets.admin_list": STAFF_PAGE,
    "GET markets.new": STAFF_PAGE,
    "POST markets.new": STAFF_PAGE,
    "GET markets.manage": STAFF_PAGE,
    "POST markets.edit": STAFF_PAGE,
    "POST markets.resolve": STAFF_PAGE,
    "POST markets.void": STAFF_PAGE,
    # --- admin pages --------------------------------------------------------------------
    "GET admin.areas": ADMIN_PAGE,
    "POST admin.areas": ADMIN_PAGE,
    "POST admin.area_team": ADMIN_PAGE,
    "GET admin.teams": ADMIN_PAGE,
    "POST admin.teams": ADMIN_PAGE,
    "GET admin.team": ADMIN_PAGE,
    "POST admin.team": ADMIN_PAGE,
    "POST admin.add_owner": ADMIN_PAGE,
    "POST admin.remove_owner": ADMIN_PAGE,
    "GET admin.rules": ADMIN_PAGE,
    "GET admin.new_rule": ADMIN_PAGE,
    "POST admin.new_rule": ADMIN_PAGE,
    "GET admin.rule": ADMIN_PAGE,
    "POST admin.rule": ADMIN_PAGE,
    "POST admin.move_rule": ADMIN_PAGE,
    "POST admin.delete_rule": ADMIN_PAGE,
    "GET admin.users": ADMIN_PAGE,
    "POST admin.user_role": ADMIN_PAGE,
    "POST admin.user_active": ADMIN_PAGE,
    # --- API: public --------------------------------------------------------------------
    "GET api.openapi_json": PUBLIC,
    "POST api.create_account": PUBLIC,
    "POST api.create_token": PUBLIC,  # sent with the other customer's credentials
    # identify is off without VOICE_IDENTIFY_SECRET; on, tests/test_identify.py
    "POST api.identify": (E404, E404, E404, E404, E404),
    "GET api.list_ideas": PUBLIC,
    "GET api.get_idea": PUBLIC,
    "GET api.similar_ideas": PUBLIC,
    "GET api.list_comments": PUBLIC,
    "GET api.list_surveys": PUBLIC,
    "GET api.get_survey": PUBLIC,
    "POST api.submit_response": PUBLIC,  # anonymous surveys; identified ones answer 401
    "GET api.list_markets": PUBLIC,
    "GET api.get_market": PUBLIC,
    "GET api.quote": PUBLIC,
    "GET api.history": PUBLIC,
    "GET api.market_trades": PUBLIC,
    "GET api.leaderboard": PUBLIC,
    "GET api.list_updates": PUBLIC,  # issue 15 (H8)
    "GET api.roadmap": PUBLIC,  # issue 15 (H7)
    # --- API: signed in -----------------------------------------------------------------
    "GET api.me": USER_API,
    "GET api.my_data": USER_API,
    "DELETE api.delete_me": CUSTOMER_API,  # staff accounts are closed by an admin
    "DELETE api.delete_current_token": USER_API,
    "POST api.create_idea": USER_API,
    "POST api.vote": USER_API,
    "DELETE api.unvote": USER_API,
    "POST api.create_comment": USER_API,
    "PUT api.subscribe": USER_API,
    "DELETE api.unsubscribe": USER_API,
    "POST api.trade": CUSTOMER_API,
    "GET api.my_positions": USER_API,
    "GET api.my_notifications": USER_API,
    "POST api.read_notification": OWNER_API,
    "POST api.read_all_notifications": USER_API,
    "GET api.my_mail_preferences": USER_API,
    "GET api.my_cases": USER_API,
    "GET api.my_case": OWNER_API,
    "POST api.post_my_message": USER_API,
    "GET api.get_case": STAFF_API,
    "POST api.post_case_message": STAFF_API,
    "PUT api.set_mail_preferences": USER_API,
    # --- API: staff ---------------------------------------------------------------------
    "PATCH api.update_idea": STAFF_API,
    "POST api.merge": STAFF_API,
    "POST api.unmerge": STAFF_API,
    "POST api.proxy_vote": STAFF_API,
    "POST api.create_survey": STAFF_API,
    "PATCH api.patch_survey": STAFF_API,
    "GET api.survey_results": STAFF_API,
    "GET api.survey_trend": STAFF_API,
    "GET api.text_answers": STAFF_API,
    "GET api.admin_customer": STAFF_API,
    "GET api.responses_csv": STAFF_API,
    "POST api.create_market": STAFF_API,
    "POST api.resolve": STAFF_API,
    "POST api.void": STAFF_API,
    "GET api.list_cases": STAFF_API,
    "PATCH api.patch_case": STAFF_API,
}

# Requests that destroy a world object go after the others, and those that end the
# caller's own session or token last of all.
DESTRUCTIVE = ("POST admin.delete_rule", "POST admin.remove_owner", "POST admin.user_active")
LAST = ("POST accounts.logout", "DELETE api.delete_current_token")


# --- the world ----------------------------------------------------------------------------


@dataclass
class World:
    customer: object
    other: object
    staff: object
    admin: object
    victim: object  # the user the admin user pages act on
    ids: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    survey: dict = field(default_factory=dict)
    anonymous_survey: dict = field(default_factory=dict)
    market: dict = field(default_factory=dict)


SURVEY_QUESTIONS = [
    {"kind": "nps", "prompt": "How likely are you to recommend us?"},
    {"kind": "single_choice", "prompt": "Which plan?", "choices": ["Free", "Pro"]},
    {"kind": "text", "prompt": "What should we change?", "required": False},
]


def _ok(response, *statuses):
    assert response.status_code in (statuses or (200, 201)), (
        response.status_code, response.get_data(as_text=True)[:500])
    return response.json


def build_world(app, make_user, token_for, texts: dict[str, str] | None = None) -> World:
    """One object of each kind, made through the API and the services, all owned by
    "customer" where an owner exists. ``texts`` overrides the words typed (XSS tests)."""
    t = {"name": "Customer One", "idea": "Export reports as CSV files",
         "description": "Monthly reports as CSV, please.", "comment": "Yes, weekly too.",
         "note": "Internal: check with billing.", "survey": "Customer pulse",
         "question": "How likely are you to recommend us?", "choice": "Free",
         "answer": "Faster exports", "market": "Will CSV export ship by June?",
         "market_description": "Resolves on the release notes.", "outcome": "Yes",
         "case_reply": "Thanks, we are on it.", "case_note": "Called the customer.",
         "update_title": "CSV export shipped", "update_body": "It is out.",
         "team": "Reporting team", "rule": "Reports keywords", "area": "Reports",
         "status_note": "Planned for June."}
    t.update(texts or {})
    customer = make_user("customer", name=t["name"])
    other = make_user("customer", name="Other Customer")
    staff = make_user("staff", name="Staff Member")
    admin = make_user("admin", name="Admin Person")
    victim = make_user("customer", name="Victim Customer")
    world = World(customer, other, staff, admin, victim)
    for role in ("customer", "other", "staff", "admin"):
        world.tokens[role] = token_for(getattr(world, role))["Authorization"]
    client = app.test_client()

    def api(role, method, path, **kwargs):
        return client.open(path, method=method, headers={"Authorization": world.tokens[role]},
                           **kwargs)

    from voice.admin import service as admin_service
    from voice.admin import updates as admin_updates
    from voice.ideas import service as ideas_service
    from voice.loop import service as loop_service

    with app.app_context():
        admin_service.ensure_defaults()  # the triage team and the default rules
        admin_row = db.session.get(type(admin), admin.id)
        area = admin_service.create_area(admin_row, t["area"], "")
        world.ids["area_id"] = area.id
        area_slug = area.slug
        team = admin_service.create_team(admin_row, t["team"], "Owns reports.")
        world.ids["team_id"] = team.id
        admin_service.add_owner(admin_row, team.id, staff.email)
        world.ids["template_id"] = admin_service.create_reply_template(
            admin_row, team.id, "Thanks", "Hi {customer}, thanks.").id
        rule = admin_service.create_rule(admin_row, {
            "name": t["rule"], "source": "idea_created", "team_id": team.id,
            "keywords": "csv, export", "sla_hours": 24, "priority": "high"})
        world.ids["rule_id"] = rule.id

    idea = _ok(api("customer", "POST", "/api/v1/ideas", json={
        "title": t["idea"], "description": t["description"], "area": area_slug}))
    world.ids["idea_id"] = idea["id"]
    second = _ok(api("other", "POST", "/api/v1/ideas", json={
        "title": "Dark mode for the dashboard", "description": "Easier at night."}))
    world.ids["other_idea_id"] = second["id"]
    comment = _ok(api("customer", "POST", f"/api/v1/ideas/{idea['id']}/comments",
                      json={"body": t["comment"]}))
    world.ids["comment_id"] = comment["id"]
    _ok(api("other", "POST", f"/api/v1/ideas/{idea['id']}/vote"))
    _ok(api("customer", "POST", f"/api/v1/ideas/{second['id']}/vote"))
    _ok(api("staff", "PATCH", f"/api/v1/ideas/{idea['id']}",
            json={"status": "planned", "note": t["status_note"]}))
    with app.app_context():
        staff_row = db.session.get(type(staff), staff.id)
        note = ideas_service.add_comment(staff_row, idea["id"], t["note"], internal=True)
        world.ids["internal_comment_id"] = note.id

    questions = [dict(q) for q in SURVEY_QUESTIONS]
    questions[0]["prompt"] = t["question"]
    questions[1]["choices"] = [t["choice"], "Pro"]
    survey = _ok(api("staff", "POST", "/api/v1/surveys", json={
        "title": t["survey"], "description": t["description"], "status": "open",
        "questions": questions}))
    world.survey = survey
    world.ids["survey_id"] = survey["id"]
    world.ids["question_id"] = survey["questions"][2]["id"]  # the text question
    answers = {str(survey["questions"][0]["id"]): 3,  # a detractor: opens a case
               str(survey["questions"][1]["id"]): survey["questions"][1]["choices"][0],
               str(survey["questions"][2]["id"]): t["answer"]}
    response = _ok(api("customer", "POST", f"/api/v1/surveys/{survey['id']}/responses",
                       json={"answers": answers}))
    world.ids["response_id"] = response["id"]
    anonymous = _ok(api("staff", "POST", "/api/v1/surveys", json={
        "title": "Anonymous pulse", "anonymous": True, "status": "open",
        "questions": [dict(q) for q in SURVEY_QUESTIONS]}))
    world.anonymous_survey = anonymous
    world.ids["anonymous_survey_id"] = anonymous["id"]
    anon_client = app.test_client()
    token = _ok(anon_client.get(f"/api/v1/surveys/{anonymous['id']}"))["response_token"]
    _ok(anon_client.post(f"/api/v1/surveys/{anonymous['id']}/responses", json={
        "token": token, "answers": {str(anonymous["questions"][0]["id"]): 9,
                                    str(anonymous["questions"][1]["id"]): "Pro"}}))

    market = _ok(api("staff", "POST", "/api/v1/markets", json={
        "question": t["market"], "description": t["market_description"],
        "outcomes": [t["outcome"], "No"], "liquidity": 100, "idea_id": idea["id"]}))
    world.market = market
    world.ids["market_id"] = market["id"]
    world.ids["outcome_id"] = market["outcomes"][0]["id"]
    _ok(api("customer", "POST", f"/api/v1/markets/{market['id']}/trades",
            json={"outcome_id": market["outcomes"][0]["id"], "spend": 10}))

    with app.app_context():
        from voice.admin.models import Case

        customer_row = db.session.get(type(customer), customer.id)
        notices = loop_service.notify([customer_row], kind="case_reply",
                                      subject="We answered you", body=t["case_reply"],
                                      link=f"/ideas/{idea['id']}")
        db.session.commit()
        world.ids["notification_id"] = notices[0].id
        # The detractor answer's case: the idea's closes itself when the update below
        # marks the idea done (cases follow their signals, issue 14).
        case_id = db.session.scalar(
            select(Case.id).where(Case.customer_id == customer.id,
                                  Case.source_type == "survey_response").order_by(Case.id))
        assert case_id is not None, "the detractor answer opened no case"
        world.ids["case_id"] = case_id
        staff_row = db.session.get(type(staff), staff.id)
        admin_service.add_note(staff_row, case_id, t["case_note"])
        admin_service.change_case(staff_row, case_id, reply=t["case_reply"])
        update = admin_updates.publish_update(staff_row, t["update_title"], t["update_body"],
                                              [idea["id"]])
        world.ids["update_id"] = update.id
        from voice.accounts.service import password_reset_token

        victim_row = db.session.get(type(victim), victim.id)
        world.ids["reset_token"] = password_reset_token(victim_row)
        world.ids["unsubscribe_token"] = loop_service.unsubscribe_token(victim.id, "idea_status")
    world.ids["user_id"] = victim.id
    # A mail kept aside for staff (unsigned), for /admin/mail's attach and dismiss.
    world.ids["mail_id"] = factories.inbound_mail("stranger@example.com")
    return world


def fill(rule, world: World) -> str:
    """The rule's URL with its parameters taken from the world by name."""
    values = {}
    for name in rule.arguments:
        if name == "token":
            key = "unsubscribe_token" if rule.endpoint.startswith("loop.") else "reset_token"
            values[name] = world.ids[key]
        elif name == "filename":
            values[name] = "css/voice.css"
        elif name == "user_id" and rule.endpoint == "admin.remove_owner":
            values[name] = world.staff.id  # the team's owner
        elif name == "question_id" and rule.endpoint.startswith("surveys."):
            values[name] = world.survey["questions"][0]["id"]
        else:
            values[name] = world.ids[name]
    path = rule.rule
    for name, value in values.items():
        path = re.sub(r"<(?:[a-z]+:)?" + name + ">", str(value), path)
    assert "<" not in path, path
    return path


def routes(app) -> list[tuple[str, object, str]]:
    """(key, rule, method) for every rule and method of the URL map."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((f"{method} {rule.endpoint}", rule, method))
    return sorted(found, key=lambda r: (r[0] in LAST, r[0] in DESTRUCTIVE, r[2] != "GET",
                                        r[0], r[1].rule))


def session_cookie(app, user) -> Browser:
    return Browser(app, user)


def outcome(response, api: bool) -> str:
    status = response.status_code
    assert status < 500, (status, response.get_data(as_text=True)[:300])
    if status in (401, 403, 404) and api:
        assert set(response.json["error"]) >= {"code", "message"}
    if status == 401:
        return E401
    if status == 403:
        return E403
    if status == 302 and "/login?next=" in response.headers.get("Location", ""):
        return LOGIN
    return OK if status != 404 else E404


def call(client_for, role: str, world: World, rule, method: str):
    path = fill(rule, world)
    is_api = path.startswith("/api/")
    browser = client_for(role)
    if is_api:
        headers = {"Authorization": world.tokens[role]} if role != "anonymous" else {}
        body = {}
        if rule.endpoint == "api.create_token":
            body = {"email": world.other.email, "password": PASSWORD}
        elif rule.endpoint == "api.trade":  # a valid trade, so the role decides
            body = {"outcome_id": world.ids["outcome_id"], "spend": 1}
        return browser.client.open(path, method=method, headers=headers, json=body), is_api
    if method == "GET":
        return browser.get(path), is_api
    return browser.client.open(path, method=method,
                               data={"csrf_token": browser.csrf_token()}), is_api


# --- the tests ----------------------------------------------------------------------------


def test_every_route_has_a_row(app):
    keys = {key for key, _rule, _method in routes(app)}
    missing = sorted(keys - set(EXPECTED))
    assert not missing, f"routes without a row in EXPECTED: {missing}"
    stale = sorted(set(EXPECTED) - keys)
    assert not stale, f"rows for routes that no longer exist: {stale}"


@pytest.fixture
def fast_hashing(monkeypatch):
    """Cheap password hashes for these tests (scrypt costs 0.2 s a user on CI's cores);
    what is checked here is who reaches what, not the hash."""
    from werkzeug import security

    from voice.accounts.service import passwords  # where the accounts service hashes

    def quick(password, method=None, salt_length=16):
        return security.generate_password_hash(password, method="pbkdf2:sha256:1000")

    monkeypatch.setattr(passwords, "generate_password_hash", quick)


@pytest.fixture
def world(app, make_user, token_for, fast_hashing) -> World:
    return build_world(app, make_user, token_for)


@pytest.mark.parametrize("role", ROLES)
def test_route_table(app, world, role):
    """Every route, as this caller: the outcome the table names."""
    index = ROLES.index(role)
    user = None if role == "anonymous" else getattr(world, role)
    browser = Browser(app, user)
    # One signed-in cookie for the whole sweep, restored before each request, so a
    # route that signs out (logout) cannot turn the rest of the sweep anonymous.
    jar = {c.key: c.value for c in browser.client._cookies.values()}
    token = browser.csrf_token("/")

    def client_for(_role):
        for key, value in jar.items():
            browser.client.set_cookie(key, value)
        browser.csrf_token = lambda path="/": token
        return browser

    wrong = []
    checked = 0
    for key, rule, method in routes(app):
        if key not in EXPECTED:
            continue
        response, is_api = call(client_for, role, world, rule, method)
        got = outcome(response, is_api)
        want = EXPECTED[key][index]
        if got != want:
            wrong.append(f"{key} {fill(rule, world)}: want {want}, got {got} "
                         f"({response.status_code})")
        checked += 1
    assert not wrong, "\n".join(wrong)
    assert checked >= len(EXPECTED)


def test_guards_agree_with_the_table(app):
    """A view that declares its roles (@staff_required, @api_staff_required...) agrees
    with its row: the table cannot promise less protection than the code has."""
    for key, rule, _method in routes(app):
        roles = getattr(app.view_functions[rule.endpoint], "required_roles", None)
        if roles is None or key not in EXPECTED:
            continue
        row = EXPECTED[key]
        for role, got in zip(ROLES, row, strict=True):
            if role == "anonymous":
                assert got in (LOGIN, E401), key
            elif (role in ("customer", "other") and "customer" not in roles) or (
                    role == "staff" and "staff" not in roles):
                assert got == E403, key


# --- object-level checks ---------------------------------------------------------------------


def test_notifications_are_their_owners_alone(app, world, login):
    client = app.test_client()
    nid = world.ids["notification_id"]
    other = {"Authorization": world.tokens["other"]}
    listing = client.get("/api/v1/me/notifications", headers=other).json
    assert nid not in [n["id"] for n in listing["items"]]
    refused = client.post(f"/api/v1/me/notifications/{nid}/read", headers=other)
    assert refused.status_code == 404 and refused.json["error"]["code"] == "not_found"
    page = login(world.other).get("/notifications").get_data(as_text=True)
    assert "We answered you" not in page
    mine = client.get("/api/v1/me/notifications",
                      headers={"Authorization": world.tokens["customer"]}).json
    assert [n["read"] for n in mine["items"] if n["id"] == nid] == [False]
    # the refused call changed nothing
    from voice.loop.models import Notification

    with app.app_context():
        assert db.session.get(Notification, nid).read_at is None


def test_positions_list_only_the_callers_own(app, world, login):
    client = app.test_client()
    mine = client.get("/api/v1/me/positions",
                      headers={"Authorization": world.tokens["customer"]}).json["items"]
    assert [(p["market_id"], p["outcome_id"]) for p in mine] == [
        (world.ids["market_id"], world.ids["outcome_id"])]
    theirs = client.get("/api/v1/me/positions",
                        headers={"Authorization": world.tokens["other"]}).json["items"]
    assert theirs == []
    page = login(world.other).get("/me/positions").get_data(as_text=True)
    assert world.market["question"] not in page


def test_cannot_sell_shares_not_held(app, world):
    client = app.test_client()
    url = f"/api/v1/markets/{world.ids['market_id']}/trades"
    before = client.get(f"/api/v1/markets/{world.ids['market_id']}").json["outcomes"]
    refused = client.post(url, json={"outcome_id": world.ids["outcome_id"], "shares": -1},
                          headers={"Authorization": world.tokens["other"]})
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "insufficient_shares"
    too_many = client.post(url, json={"outcome_id": world.ids["outcome_id"], "shares": -1000},
                           headers={"Authorization": world.tokens["customer"]})
    assert too_many.status_code == 409
    assert client.get(f"/api/v1/markets/{world.ids['market_id']}").json["outcomes"] == before
    from voice.markets.service import audit_books

    with app.app_context():
        assert audit_books().balanced


def test_identified_answers_and_results_are_staff_only(app, world, login):
    client = app.test_client()
    sid, qid = world.ids["survey_id"], world.ids["question_id"]
    for path in (f"/api/v1/surveys/{sid}/results", f"/api/v1/surveys/{sid}/responses.csv",
                 f"/api/v1/surveys/{sid}/questions/{qid}/answers",
                 f"/api/v1/surveys/{sid}/trend"):
        for role in ("customer", "other"):
            answer = client.get(path, headers={"Authorization": world.tokens[role]})
            assert answer.status_code == 403, path
            assert "Faster exports" not in answer.get_data(as_text=True)
        assert client.get(path, headers={"Authorization": world.tokens["staff"]}).status_code \
            == 200
    for path in (f"/admin/surveys/{sid}/results", f"/admin/surveys/{sid}/responses.csv"):
        answer = login(world.other).get(path)
        assert answer.status_code == 403
        assert "Faster exports" not in answer.get_data(as_text=True)
    # the survey itself shows nobody else's answers
    public = client.get(f"/api/v1/surveys/{sid}",
                        headers={"Authorization": world.tokens["other"]})
    assert "Faster exports" not in public.get_data(as_text=True)
    assert "Faster exports" not in login(world.other).get(f"/surveys/{sid}").get_data(
        as_text=True)


def test_cases_are_staff_only(app, world, login):
    client = app.test_client()
    cid = world.ids["case_id"]
    for role in ("customer", "other"):
        headers = {"Authorization": world.tokens[role]}
        assert client.get("/api/v1/admin/cases", headers=headers).status_code == 403
        assert client.patch(f"/api/v1/admin/cases/{cid}", json={"state": "closed"},
                            headers=headers).status_code == 403
    browser = login(world.customer)
    assert browser.get(f"/admin/cases/{cid}").status_code == 403
    assert browser.post(f"/admin/cases/{cid}", data={"note": "mine"}).status_code == 403
    staff_view = client.get("/api/v1/admin/cases",
                            headers={"Authorization": world.tokens["staff"]}).json
    assert cid in [c["id"] for c in staff_view["items"]]
    from voice.admin.models import Case

    with app.app_context():
        assert db.session.get(Case, cid).state != "closed"


def test_no_customer_can_edit_an_idea_or_comment_through_any_route(app, world, login):
    """Editing ideas and comments: no route lets a customer change another's words.

    The only routes that change an idea's text or a comment are staff routes (status,
    area, merge, hide); a customer trying them gets 403 and the text stays.
    """
    browser = login(world.other)
    iid, cid = world.ids["idea_id"], world.ids["comment_id"]
    client = app.test_client()
    headers = {"Authorization": world.tokens["other"]}
    before = client.get(f"/api/v1/ideas/{iid}").json
    assert client.patch(f"/api/v1/ideas/{iid}", json={"status": "declined"},
                        headers=headers).status_code == 403
    assert client.post(f"/api/v1/ideas/{iid}/merge", json={"into": world.ids["other_idea_id"]},
                       headers=headers).status_code == 403
    assert browser.post(f"/admin/ideas/{iid}/status",
                        data={"status": "declined", "note": "x"}).status_code == 403
    assert browser.post(f"/admin/ideas/comments/{cid}/hide").status_code == 403
    for method in ("PUT", "PATCH", "DELETE"):
        answer = client.open(f"/api/v1/ideas/{iid}/comments", method=method,
                             json={"body": "changed"}, headers=headers)
        assert answer.status_code in (403, 405)
    idea = client.get(f"/api/v1/ideas/{iid}").json
    assert idea == before and idea["merged_into"] is None
    comments = client.get(f"/api/v1/ideas/{iid}/comments").json["items"]
    assert [c["body"] for c in comments if c["id"] == cid] == ["Yes, weekly too."]


def test_internal_notes_stay_internal(app, world, login):
    iid = world.ids["idea_id"]
    client = app.test_client()
    for headers in ({}, {"Authorization": world.tokens["other"]}):
        body = client.get(f"/api/v1/ideas/{iid}/comments", headers=headers).get_data(
            as_text=True)
        assert "Internal: check with billing." not in body
    assert "Internal: check with billing." not in login(world.customer).get(
        f"/ideas/{iid}").get_data(as_text=True)
    assert "Internal: check with billing." in login(world.staff).get(
        f"/ideas/{iid}").get_data(as_text=True)


def test_email_addresses_are_not_shown_to_other_customers(app, world):
    client = app.test_client()
    for headers in ({}, {"Authorization": world.tokens["other"]}):
        for path in ("/api/v1/ideas", f"/api/v1/ideas/{world.ids['idea_id']}/comments",
                     "/api/v1/leaderboard",
                     f"/api/v1/markets/{world.ids['market_id']}/trades"):
            assert world.customer.email not in client.get(path, headers=headers).get_data(
                as_text=True), path


def test_deactivation_ends_a_live_session_and_its_tokens(app, world, login):
    browser = login(world.victim)
    assert browser.get("/me").status_code == 200
    token = None
    from voice.accounts import service

    with app.app_context():
        token = service.issue_token(world.victim.email, PASSWORD)
    client = app.test_client()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code \
        == 200
    admin = login(world.admin)
    answer = admin.post(f"/admin/users/{world.victim.id}/active",
                        data={"active": "0", "confirmed": "yes"})
    assert answer.status_code in (302, 303), answer.status_code
    gone = browser.get("/me")
    assert gone.status_code == 302 and "/login" in gone.headers["Location"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code \
        == 401
    again = login()
    refused = again.post("/login", data={"email": world.victim.email, "password": PASSWORD})
    assert refused.status_code == 400


def test_password_change_ends_other_sessions_and_tokens(app, world, login):
    first, second = login(world.customer), login(world.customer)
    client = app.test_client()
    headers = {"Authorization": world.tokens["customer"]}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    answer = first.post("/me", data={"password-current_password": PASSWORD,
                                     "password-new_password": "a-brand-new-secret",
                                     "password-confirm": "a-brand-new-secret"})
    assert answer.status_code == 302
    assert first.get("/me").status_code == 200  # this session stays
    assert second.get("/me").status_code == 302  # the other one is signed out
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_only_the_author_or_staff_may_edit_an_idea(app, world):
    """Editing exists in the service (no route calls it yet): another customer is
    refused and nothing changes; the author may edit while the idea is open."""
    from voice.accounts.models import User
    from voice.errors import Forbidden
    from voice.ideas import service
    from voice.ideas.models import Idea

    iid = world.ids["other_idea_id"]  # written by "other", open
    with app.app_context():
        before = db.session.get(Idea, iid).title
        intruder = db.session.get(User, world.customer.id)
        with pytest.raises(Forbidden):
            service.edit_idea(intruder, iid, "Hijacked title here", "mine now")
        db.session.rollback()
        assert db.session.get(Idea, iid).title == before
        author = db.session.get(User, world.other.id)
        assert service.edit_idea(author, iid, "Dark mode, everywhere", "").title == \
            "Dark mode, everywhere"
        # the customer's own idea is planned now: not even its author may edit it
        with pytest.raises(Forbidden):
            service.edit_idea(db.session.get(User, world.customer.id), world.ids["idea_id"],
                              "Changed after planning", "")
