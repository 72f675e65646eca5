"""Demo data of the staff side, made through its service functions.

Runs after accounts, ideas, surveys and markets. By then routing has already opened
cases (with the default rules, created at the first signal) for every new idea and
every low survey score, at the time each happened (the surveys demo backdates its
responses over twelve weeks, so many of those cases are overdue). This step:

1. creates the teams (Billing, Mobile, Platform, Support; Triage exists) with their
   owners and areas, and a few more rules (popular ideas, refund comments, market swings);
2. lets triage hand its cases over to the team of their area, as staff would;
3. works through the cases at plausible times: most older ones closed (with a reply when
   the customer is known), some won't-do, some still open and overdue, the newest new;
4. publishes the "You asked, we did" updates of the ideas that shipped.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from voice.admin import service, updates
from voice.clock import utcnow
from voice.demo.timeline import at
from voice.demo.world import DemoWorld
from voice.errors import ServiceError
from voice.surveys import service as surveys

TEAMS = [
    ("Billing", "Plans, invoices, payments and refunds.", ["billing"], 0),
    ("Mobile", "The iOS and Android apps.", ["mobile-app"], 1),
    ("Platform", "The web app, the API and integrations.", ["web-app", "integrations"], 2),
    ("Support", "Help centre, chat and the support team.", ["support"], 0),
]

REPLIES = [
    "Thank you for telling us. We looked into it and fixed the cause; it should not happen "
    "again. Reply here if it does.",
    "Thanks for the honest score. A colleague called the account owner and we changed how "
    "we handle this kind of request.",
    "We have planned this for the next release and will let you know when it ships.",
    "Sorry for the trouble. We refunded the charge and added a check so it cannot repeat.",
]
WONT_DO = ("Thank you for the suggestion. We looked at it closely and decided not to do it "
           "for now: it would make the product harder to use for most customers.")
NOTES = ["Called the customer, waiting for logs.", "Duplicate of a known issue.",
         "Needs a decision from the product lead."]


def seed(world: DemoWorld) -> None:
    """Teams, rules, routed cases in every state, some overdue, and published updates."""
    admin = world.admin
    if admin is None:
        return
    rng = world.rng
    staff = world.staff or [admin]
    triage = service.ensure_defaults()
    service.add_owner(admin, triage.id, admin.email)
    teams = {}
    for name, description, area_slugs, owner_index in TEAMS:
        team = service.create_team(admin, name, description)
        teams[name] = team
        service.add_owner(admin, team.id, staff[owner_index % len(staff)].email)
        for slug in area_slugs:
            area = world.areas.get(slug)
            if area is not None:
                service.assign_area(admin, area.id, team.id)

    service.create_rule(admin, {
        "name": "Popular ideas (25 votes)", "source": "idea_votes", "vote_threshold": 25,
        "to_area_team": True, "priority": "high", "sla_hours": 72})
    service.create_rule(admin, {
        "name": "Refunds and double charges in comments", "source": "comment",
        "team_id": teams["Billing"].id, "keywords": "refund, charged twice, invoice",
        "priority": "high", "sla_hours": 24})
    service.create_rule(admin, {
        "name": "Market swings of 15 points", "source": "market_move", "move_points": 15,
        "to_area_team": True, "priority": "normal", "sla_hours": 48})

    _billing_survey(world, staff[0])

    owners = {team.id: staff[index % len(staff)]
              for index, team in enumerate([triage, *teams.values()])}
    area_teams = service.routing_map().area_teams
    now = utcnow()
    for case in _all_cases():
        team_id = case.team_id
        if team_id == triage.id and case.area_id in area_teams:
            team_id = area_teams[case.area_id]
            service.change_case(admin, case.id, team_id=team_id,
                                now=max(case.created_at, now - timedelta(minutes=5)))
        _work(case, owners.get(team_id, staff[0]), rng, now)

    _publish_updates(world, staff[0])


BILLING_COMPLAINTS = [
    "I was charged twice this month and nobody answered my mail.",
    "The invoice does not show our VAT number.",
    "Changing the card took me three attempts.",
    "Why did the price go up without a notice?",
]


def _billing_survey(world: DemoWorld, author) -> None:
    """An identified survey answered over ten weeks: its low scores become cases whose
    customers are known, so the loop (replies) shows on the dashboard."""
    rng = world.rng
    now = utcnow()
    survey = surveys.create_survey(
        author, "How was your last invoice?", "Three quick questions about billing.",
        anonymous=False, area_slug="billing" if "billing" in world.areas else None,
        opens_at=now - timedelta(weeks=11), status="open", questions=[
            {"kind": "csat", "prompt": "How satisfied are you with billing?"},
            {"kind": "ces", "prompt": "How easy was it to pay?"},
            {"kind": "text", "prompt": "What should we fix?", "required": False}])
    csat_q, ces_q, text_q = (q.id for q in survey.questions)
    for customer in world.customers:
        moment = now - timedelta(minutes=rng.randrange(10 * 7 * 24 * 60))
        csat = rng.choices([1, 2, 3, 4, 5], weights=[3, 3, 2, 4, 4])[0]
        answers: dict[int, int | str] = {
            csat_q: csat, ces_q: max(1, min(7, 8 - csat + rng.choice([-1, 0, 1])))}
        if csat <= 3:
            answers[text_q] = rng.choice(BILLING_COMPLAINTS)
        surveys.submit_response(survey.id, customer, answers, submitted_at=moment)
    world.surveys.append(survey)


def _all_cases():
    page = 1
    found = []
    while True:
        listing = service.list_cases(service.CaseFilters(), page, 100)
        found.extend(listing.items)
        if not listing.has_next:
            return sorted(found, key=lambda case: (case.created_at, case.id))
        page += 1


def _at(case, now, hours: float):
    """created_at + hours, never in the future and never before the case."""
    return max(case.created_at, min(case.created_at + timedelta(hours=hours), now))


def _work(case, owner, rng, now) -> None:
    """Take the case as far as staff plausibly would have by now, given its age."""
    age_days = (now - case.created_at).total_seconds() / 86400
    step = _old_case if age_days > 7 else _recent_case if age_days > 2 else _new_case
    roll = rng.random()
    reply = rng.choice(REPLIES) if case.customer_id else None  # drawn for every case
    with contextlib.suppress(ServiceError):  # a case that cannot take a step stays as it is
        step(case, owner, rng, now, roll, reply)


def _old_case(case, owner, rng, now, roll: float, reply: str | None) -> None:
    """Over a week old: mostly closed, some won't-do, some in progress, a few still new."""
    if roll < 0.65:
        first = rng.uniform(1, 30)
        service.change_case(owner, case.id, state="acknowledged", assignee_id=owner.id,
                            now=_at(case, now, first))
        service.change_case(owner, case.id, state="closed", reply=reply,
                            now=_at(case, now, first + rng.uniform(2, 96)))
    elif roll < 0.75:
        service.change_case(owner, case.id, state="wont_do",
                            reply=WONT_DO if case.customer_id else None,
                            assignee_id=owner.id, now=_at(case, now, rng.uniform(4, 60)))
    elif roll < 0.9:
        service.change_case(owner, case.id, state="in_progress", assignee_id=owner.id,
                            note=rng.choice(NOTES), now=_at(case, now, rng.uniform(2, 40)))
    # else: still new, long overdue


def _recent_case(case, owner, rng, now, roll: float, reply: str | None) -> None:
    """Two days to a week old: some closed, some in progress, the rest new."""
    if roll < 0.4:
        service.change_case(owner, case.id, state="closed", reply=reply,
                            assignee_id=owner.id, now=_at(case, now, rng.uniform(3, 40)))
    elif roll < 0.7:
        service.change_case(owner, case.id, state="in_progress", assignee_id=owner.id,
                            now=_at(case, now, rng.uniform(1, 20)))


def _new_case(case, owner, rng, now, roll: float, reply: str | None) -> None:
    """Under two days old: a few acknowledged or in progress, most new."""
    if roll < 0.3:
        service.change_case(owner, case.id, state="acknowledged", assignee_id=owner.id,
                            now=_at(case, now, 0.5))
    elif roll < 0.45:
        service.change_case(owner, case.id, state="in_progress", assignee_id=owner.id,
                            note=rng.choice(NOTES), now=_at(case, now, 0.5))


#: (title, body, the ideas it announces, days ago): each just after its ideas shipped.
UPDATES = [
    ("Two-factor sign-in with an authenticator app",
     "Turn on two-factor sign-in under *Security*: any authenticator app works, and ten "
     "recovery codes keep you in when a phone is lost. Thank you to everyone who voted.",
     ["Two-factor authentication with an app"], 15.8),
    ("Invoices as PDF, one by one or all at once",
     "Every invoice now has a **Download PDF** button, and *Billing › Invoices* downloads "
     "a whole year as one zip. Thank you to everyone who voted and told us how your "
     "accountant works.\n\n- A PDF for every invoice, with your VAT number\n"
     "- A zip of a year's invoices", ["Export invoices as PDF", "Download all invoices at once"],
     8.8),
]


def _publish_updates(world: DemoWorld, author) -> None:
    """The "You asked, we did" posts, each listing the shipped ideas it is about."""
    now = utcnow()
    ideas = {idea.title: idea.id for idea in world.ideas}
    for title, body, idea_titles, days in UPDATES:
        idea_ids = [ideas[name] for name in idea_titles if name in ideas]
        if idea_ids:
            at(now - timedelta(days=days), updates.publish_update, author, title, body,
               idea_ids)
