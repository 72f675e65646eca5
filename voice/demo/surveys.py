"""Demo data of the surveys domain, made through its service functions.

A quarterly NPS survey (anonymous, about 260 responses) whose score climbs over
twelve weeks, a post-support CSAT survey (identified: every demo customer answers
once), and a draft waiting to be published.
"""

from __future__ import annotations

from datetime import timedelta

from voice.clock import utcnow
from voice.demo.world import DemoWorld
from voice.surveys import service
from voice.surveys.scales import CSAT_DISSATISFIED, NPS_PASSIVES, NPS_PROMOTERS

PRAISE = [
    "The new dashboard saves me an hour a week.", "Support answered within minutes.",
    "Reliable, fast, and the editor is a joy.", "Integrations just work.",
    "Great value for the team plan.", "Setting up a new colleague takes two minutes.",
]
MIXED = [
    "Good product, but exports are slow.", "Fine overall; the pricing page is confusing.",
    "Does the job. Search could be smarter.", "I like it, but the app drains my battery.",
]
COMPLAINTS = [
    "Invoices keep arriving with the wrong VAT number.", "The Android app crashes on login.",
    "Slow exports, every single time.", "I was charged twice and it took a week to fix.",
    "The Zapier integration drops events.", "Too expensive for what we use.",
]
AREAS = ["Web app", "Mobile app", "Integrations", "Billing"]


def _nps_score(rng, week: int) -> int:
    """Scores whose NPS climbs from about -5 to about +35 over twelve weeks."""
    promoter = 0.30 + 0.02 * week
    detractor = 0.35 - 0.015 * week
    roll = rng.random()
    if roll < promoter:
        return rng.choice([9, 10])
    if roll < promoter + detractor:
        return rng.choice([0, 2, 3, 4, 5, 5, 6, 6, 6])
    return rng.choice([7, 8])


def _comment(rng, score: int) -> str | None:
    if rng.random() < 0.45:
        return None
    if score in NPS_PROMOTERS:
        return rng.choice(PRAISE)
    return rng.choice(MIXED if score in NPS_PASSIVES else COMPLAINTS)


def seed(world: DemoWorld) -> None:
    """Add this domain's part of the demo company to ``world``."""
    rng = world.rng
    author = world.staff[0] if world.staff else world.admin
    now = utcnow()
    start = now - timedelta(weeks=12)

    quarterly = service.create_survey(
        author, "Quarterly NPS: how are we doing?",
        "Three questions, one minute. Your answers are **anonymous**: we read every one.",
        anonymous=True, area_slug=None, opens_at=start - timedelta(days=1),
        closes_at=now + timedelta(weeks=2), status="open",
        questions=[
            {"kind": "nps", "prompt": "How likely are you to recommend Northwind to a friend "
                                      "or colleague?"},
            {"kind": "single_choice", "prompt": "Which part of Northwind do you use most?",
             "choices": AREAS},
            {"kind": "text", "prompt": "What is the main reason for your score?",
             "required": False},
        ],
    )
    nps_q, area_q, reason_q = (q.id for q in quarterly.questions)
    moments = sorted(start + timedelta(minutes=rng.randrange(12 * 7 * 24 * 60))
                     for _ in range(260))
    for number, moment in enumerate(moments):
        week = (moment - start).days // 7
        score = _nps_score(rng, week)
        answers: dict[int, int | str] = {nps_q: score, area_q: rng.choice(AREAS)}
        comment = _comment(rng, score)
        if comment:
            answers[reason_q] = comment
        token = service.response_token(quarterly.id, f"demo-{number}")
        service.submit_response(quarterly.id, None, answers, anonymous_token=token,
                                submitted_at=moment)

    area = "support" if "support" in world.areas else None
    support = service.create_survey(
        author, "After your support conversation",
        "You recently talked to our support team. How did it go?",
        anonymous=False, area_slug=area, opens_at=start - timedelta(days=1), status="open",
        questions=[
            {"kind": "csat", "prompt": "How satisfied are you with the help you got?"},
            {"kind": "ces", "prompt": "How easy was it to get your issue resolved?"},
            {"kind": "text", "prompt": "Anything we could have done better?",
             "required": False},
        ],
    )
    csat_q, ces_q, better_q = (q.id for q in support.questions)
    moments = sorted(start + timedelta(minutes=rng.randrange(12 * 7 * 24 * 60))
                     for _ in world.customers)
    for customer, moment in zip(world.customers, moments, strict=True):
        csat = rng.choices([1, 2, 3, 4, 5], weights=[1, 1, 2, 5, 6])[0]
        ces = max(1, min(7, 7 - csat + rng.choice([-1, 0, 0, 1])))
        answers = {csat_q: csat, ces_q: ces}
        if csat in CSAT_DISSATISFIED:
            answers[better_q] = rng.choice(COMPLAINTS)
        elif rng.random() < 0.3:
            answers[better_q] = rng.choice(PRAISE)
        service.submit_response(support.id, customer, answers, submitted_at=moment)

    draft = service.create_survey(
        author, "Mobile app beta feedback", "For the beta testers of the new mobile app.",
        anonymous=False, area_slug="mobile-app" if "mobile-app" in world.areas else None,
        questions=[
            {"kind": "rating", "prompt": "Rate the new mobile app"},
            {"kind": "multi_choice", "prompt": "Which features did you try?",
             "choices": ["Offline mode", "Widgets", "Dark mode", "Share sheet"],
             "required": False},
        ],
    )
    world.surveys.extend([quarterly, support, draft])
