"""Demo data of the ideas domain, made through its service functions.

Ideas were submitted over ten weeks (so trending is not top), each with a discussion
of its own; some moved through review and planning, a few shipped (the updates of the
staff step announce them) and one was declined. A reworded duplicate is merged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from voice.clock import utcnow
from voice.demo.timeline import at, days_ago, moments
from voice.demo.world import DemoWorld
from voice.ideas import service


@dataclass(frozen=True)
class DemoIdea:
    area: str  # slug
    title: str
    description: str
    age_days: float  # submitted this many days ago
    popularity: float  # the share of customers who vote for it
    comments: tuple[str, ...]


IDEAS = [
    DemoIdea("billing", "Export invoices as PDF",
             "Our accountant asks for every invoice as a PDF at the end of the month. Today I "
             "copy them out of the browser one by one.", 68, 0.7,
             ("Our accountant refuses anything that is not a PDF.",
              "Please put our VAT number on the PDF too.")),
    DemoIdea("billing", "Pay by SEPA direct debit",
             "Cards expire and payments fail. A **SEPA mandate** would save us a dunning mail "
             "a year.", 61, 0.3,
             ("Our card expired in May and the account was locked for a day.",)),
    DemoIdea("billing", "Show VAT separately on invoices",
             "Our finance team must see the VAT amount on its own line for the tax return.",
             44, 0.2,
             ("In Germany we cannot book an invoice without the VAT on its own line.",
              "Reverse charge should say so on the invoice as well.")),
    DemoIdea("billing", "Annual plan with a discount",
             "We would happily pay a year up front for a lower price.", 33, 0.5,
             ("Our budget is approved once a year, so monthly billing is a hassle.",
              "Two months free would get us to switch today.",
              "Would the annual plan lock the price for the year?")),
    DemoIdea("billing", "Several billing contacts",
             "Invoices go to one address only; our finance team shares the work between "
             "three people.", 26, 0.1,
             ("A shared finance@ mailbox is our workaround, and nobody reads it.",)),
    DemoIdea("billing", "Download all invoices at once",
             "A zip of every invoice for the year would make our audit much quicker.", 50, 0.5,
             ("The auditors asked for all twelve invoices in one folder.",
              "A year at a time is enough for us.")),
    DemoIdea("mobile-app", "Dark mode in the mobile app",
             "The app is far too bright at night. The web app has a dark theme already.",
             58, 0.7,
             ("I check the app in bed and it blinds me every time.",
              "Please follow the phone's system setting rather than a switch of its own.")),
    DemoIdea("mobile-app", "Offline mode for field teams",
             "Our technicians work in basements without signal. Let them fill in forms "
             "offline and sync later.", 63, 0.5,
             ("Our inspectors lose half a form whenever the lift doors close.",
              "What happens when two people edit the same record offline?",
              "Happy to join a beta with our field team of twelve.")),
    DemoIdea("mobile-app", "Face ID sign-in",
             "Typing a long password on a phone is painful; Face ID or fingerprint would be "
             "great.", 39, 0.3,
             ("Our passwords are 20 characters; typing them on a phone is a pain.",)),
    DemoIdea("mobile-app", "Push notifications for mentions",
             "I only learn that a colleague mentioned me when I open the app.", 21, 0.2,
             ("A daily digest would do for me; instant pushes for direct mentions only.",
              "Let me mute a thread I no longer care about.")),
    DemoIdea("mobile-app", "Bigger text in the iPad layout",
             "The iPad app ignores the system text size, so some of our staff cannot read it.",
             15, 0.1,
             ("Two of our warehouse staff need large text to use the iPad at all.",)),
    DemoIdea("mobile-app", "Scan receipts with the camera",
             "Snap a receipt and attach it to an expense, like the big expense apps do.",
             9, 0.2,
             ("Our sales team photographs receipts and mails them to themselves.",)),
    DemoIdea("web-app", "Keyboard shortcuts in the editor",
             "Power users want `Ctrl+K` for links and `Ctrl+Shift+8` for lists, as in every "
             "editor.", 47, 0.3,
             ("Ctrl+K for a link is muscle memory by now.",
              "A cheat sheet behind the question mark key, please.")),
    DemoIdea("web-app", "Custom fields on records",
             "We track contract numbers and regions; a few custom fields would replace a "
             "spreadsheet.", 54, 0.5,
             ("We keep a spreadsheet next to Northwind only for the contract numbers.",
              "Dropdown fields would be enough for us; free text invites typos.")),
    DemoIdea("web-app", "Bulk edit in tables",
             "Select fifty rows and change their owner in one go.", 30, 0.2,
             ("When someone leaves, we reassign two hundred records by hand.",)),
    DemoIdea("web-app", "Saved filters on dashboards",
             "Every Monday I rebuild the same filter. Let me save it with a name.", 12, 0.3,
             ("Sharing a saved filter with the team would be even better.",)),
    DemoIdea("web-app", "Two-factor authentication with an app",
             "Security asked us for TOTP two-factor sign-in for every account.", 70, 0.7,
             ("Our insurer made two-factor sign-in a condition of our cyber policy.",
              "Please support recovery codes for when a phone is lost.")),
    DemoIdea("web-app", "Dark theme for the web editor",
             "The editor is the only screen still white when the rest of the app is dark.",
             6, 0.1,
             ("The white editor flashes every time I open a record at night.",)),
    DemoIdea("web-app", "Undo for deleted records",
             "A colleague deleted a customer record by mistake; a trash bin with 30 days "
             "would help.", 24, 0.3,
             ("We lost a customer's history last week with one wrong click.",
              "Thirty days in a trash bin would be plenty.")),
    DemoIdea("integrations", "Slack notifications for new invoices",
             "Post to our #finance channel when an invoice is issued or paid.", 19, 0.1,
             ("Our #finance channel would love a note when an invoice is paid.",)),
    DemoIdea("integrations", "Zapier trigger for closed cases",
             "We want to start a follow-up in our CRM when a case is closed.", 36, 0.2,
             ("We would send a thank-you mail from our CRM when a case closes.",)),
    DemoIdea("integrations", "Webhooks with retries",
             "Webhooks are lost when our endpoint is down for a minute. Retry with backoff, "
             "please.", 42, 0.3,
             ("Our endpoint restarts during deploys and we lose those events.",
              "Send a header with the attempt number so we can spot retries.")),
    DemoIdea("integrations", "Microsoft Teams integration",
             "Half of our customers live in Teams, not Slack.", 28, 0.3,
             ("We moved from Slack to Teams last year and miss the notifications.",)),
    DemoIdea("integrations", "Sync contacts with HubSpot",
             "Two-way sync of contacts and companies would stop us from typing everything "
             "twice.", 17, 0.2,
             ("We type every new contact twice today, once in HubSpot and once here.",)),
    DemoIdea("integrations", "Higher API rate limits for enterprise plans",
             "Our nightly import hits the limit after ten minutes.", 4, 0.05,
             ("Our import of 40,000 records stops at the limit every night.",)),
    DemoIdea("support", "Live chat in the help centre",
             "Sometimes a quick question needs a quick answer, not a ticket.", 11, 0.2,
             ("A ticket for a one-line question feels like overkill.",)),
    DemoIdea("support", "Status page with incident history",
             "When something is slow we cannot tell whether it is us or you.", 37, 0.5,
             ("Last Tuesday we spent an hour debugging our network before we asked you.",
              "An RSS feed or mail subscription for incidents, please.")),
    DemoIdea("support", "Help articles in German and French",
             "Many of our users do not read English comfortably.", 8, 0.1,
             ("Our staff in Lyon use the browser's translation, and it mangles the steps.",)),
    DemoIdea("support", "Show the ticket history to the whole team",
             "When a colleague is away nobody can see what support told them.", 2, 0.05,
             ("While our admin was on holiday nobody knew what support had promised.",)),
    DemoIdea("support", "Phone support for urgent outages",
             "A phone number for real emergencies would give our managers peace of mind.",
             48, 0.2,
             ("When everything is down, a chat window feels slow.",)),
]

# Reworded duplicate, merged into "Dark mode in the mobile app".
DUPLICATE = DemoIdea(
    "mobile-app", "Night theme for the phone app",
    "Please add a dark colour scheme to the iOS and Android apps; my eyes hurt at night.",
    40, 0.25, ("My eyes hurt after ten minutes in the app at night.",))
DUPLICATE_MERGED_DAYS_AGO = 35

# title -> [(days ago, status, public note)], oldest first
STATUS_HISTORY: dict[str, list[tuple[float, str, str]]] = {
    "Export invoices as PDF": [
        (60, "under_review", "Many of you asked; we are sizing PDF export with the billing team."),
        (45, "planned", "We are building PDF export for invoices, with a yearly zip."),
        (9, "done", "PDF export is live: every invoice has a **Download PDF** button."),
    ],
    "Download all invoices at once": [
        (40, "planned", "This comes with PDF export: a zip of a year's invoices."),
        (9, "done", "Billing › Invoices now downloads a whole year as one zip."),
    ],
    "Two-factor authentication with an app": [
        (50, "planned", "Two-factor sign-in with an authenticator app is planned."),
        (35, "in_progress", "Two-factor sign-in is in development, recovery codes included."),
        (16, "done", "TOTP two-factor sign-in is live. Turn it on under *Security*."),
    ],
    "Offline mode for field teams": [
        (55, "under_review", "We are talking to field teams about what offline must cover."),
        (38, "planned", "Offline forms are planned for the mobile apps."),
        (20, "in_progress", "Offline forms are in beta with three field teams; the public "
                            "release follows once sync conflicts are settled."),
    ],
    "Dark mode in the mobile app": [
        (30, "in_progress", "Dark mode is part of the mobile redesign; beta testers get it "
                            "first."),
    ],
    "Annual plan with a discount": [
        (21, "under_review", "We are modelling an annual plan; a market asks what it would "
                             "do to churn."),
    ],
    "Custom fields on records": [
        (18, "under_review", "Custom fields come up in many calls; we are sizing the work."),
    ],
    "Webhooks with retries": [
        (12, "under_review", "We are looking at retry schedules and how long to keep failed "
                             "events."),
    ],
    "Status page with incident history": [
        (14, "planned", "A public status page with incident history is planned for next "
                        "quarter."),
    ],
    "Phone support for urgent outages": [
        (25, "declined", "We will not run a phone line; urgent outages get a 30-minute chat "
                         "answer."),
    ],
}
CLOSING = ("done", "declined")


def closed_days_ago(title: str) -> float:
    """When voting on the idea closed (shipped or declined), 0 if it is still open."""
    return next((days for days, status, _ in STATUS_HISTORY.get(title, [])
                 if status in CLOSING), 0.0)


def seed(world: DemoWorld) -> None:
    """Ideas across every area over ten weeks: votes, discussions, statuses and a merge."""
    customers = world.customers
    staff = world.staff or ([world.admin] if world.admin else [])
    if not customers or not staff:
        return
    now = utcnow()
    made = {entry.title: _submit(world, entry, number, now)
            for number, entry in sorted(enumerate(IDEAS), key=lambda pair: -pair[1].age_days)}
    for entry in IDEAS:
        _votes_and_comments(world, made[entry.title], entry,
                            days_ago(now, closed_days_ago(entry.title)))
    _staff_comments(world, staff, made, now)
    for title, history in STATUS_HISTORY.items():
        for number, (days, status, note) in enumerate(history):
            at(days_ago(now, days), service.change_status, staff[number % len(staff)],
               made[title].id, status, note)
    _merge_duplicate(world, staff[0], made["Dark mode in the mobile app"], now)
    world.ideas.extend(made[entry.title] for entry in IDEAS)


def _submit(world: DemoWorld, entry: DemoIdea, number: int, now: datetime):
    author = world.customers[number % len(world.customers)]
    area = entry.area if entry.area in world.areas else None
    return at(days_ago(now, entry.age_days), service.submit_idea, author, entry.title,
              entry.description, area)


def _votes_and_comments(world: DemoWorld, idea, entry: DemoIdea, open_until: datetime) -> None:
    """Votes while voting was open; the idea's own comments by customers, in time order."""
    rng = world.rng
    created = idea.created_at
    voters = [voter for voter in world.customers if rng.random() < entry.popularity]
    for voter, when in zip(voters, moments(rng, created, open_until, len(voters)), strict=True):
        at(when, service.cast_vote, voter, idea.id)
    writers = [c for c in world.customers if c.id != idea.author_id]
    times = moments(rng, created, open_until, len(entry.comments))
    for body, when in zip(entry.comments, times, strict=True):
        at(when, service.add_comment, rng.choice(writers), idea.id, body)


def _staff_comments(world: DemoWorld, staff: list, made: dict, now: datetime) -> None:
    pdf = made["Export invoices as PDF"]
    at(days_ago(now, 58), service.add_comment, staff[0], pdf.id,
       "Thanks, everyone. Which page size do you print on: A4 or Letter?")
    at(days_ago(now, 57), service.add_comment, staff[-1], pdf.id,
       "Three enterprise accounts asked for this in renewals.", internal=True)
    # A staff member adds a vote heard on a sales call.
    at(days_ago(now, 20), service.add_vote_for, staff[0], made["Custom fields on records"].id,
       world.customers[-1].email)


def _merge_duplicate(world: DemoWorld, actor, into, now: datetime) -> None:
    """The reworded duplicate, voted on for a few days, then merged into the original."""
    entry = DUPLICATE
    duplicate = _submit(world, entry, 3, now)
    merged_at = days_ago(now, DUPLICATE_MERGED_DAYS_AGO)
    _votes_and_comments(world, duplicate, entry, merged_at)
    at(merged_at, service.merge_ideas, actor, duplicate.id, into.id)
