"""Demo data of the ideas domain, made through its service functions."""

from __future__ import annotations

from voice.demo.world import DemoWorld
from voice.ideas import service

# (area slug, title, description)
IDEAS = [
    ("billing", "Export invoices as PDF",
     "Our accountant asks for every invoice as a PDF at the end of the month. Today I copy "
     "them out of the browser one by one."),
    ("billing", "Pay by SEPA direct debit",
     "Cards expire and payments fail. A **SEPA mandate** would save us a dunning mail a year."),
    ("billing", "Show VAT separately on invoices",
     "Our finance team must see the VAT amount on its own line for the tax return."),
    ("billing", "Annual plan with a discount",
     "We would happily pay a year up front for a lower price."),
    ("billing", "Several billing contacts",
     "Invoices go to one address only; our finance team shares the work between three people."),
    ("billing", "Download all invoices at once",
     "A zip of every invoice for the year would make our audit much quicker."),
    ("mobile-app", "Dark mode in the mobile app",
     "The app is far too bright at night. The web app has a dark theme already."),
    ("mobile-app", "Offline mode for field teams",
     "Our technicians work in basements without signal. Let them fill in forms offline and "
     "sync later."),
    ("mobile-app", "Face ID sign-in",
     "Typing a long password on a phone is painful; Face ID or fingerprint would be great."),
    ("mobile-app", "Push notifications for mentions",
     "I only learn that a colleague mentioned me when I open the app."),
    ("mobile-app", "Bigger text in the iPad layout",
     "The iPad app ignores the system text size, so some of our staff cannot read it."),
    ("mobile-app", "Scan receipts with the camera",
     "Snap a receipt and attach it to an expense, like the big expense apps do."),
    ("web-app", "Keyboard shortcuts in the editor",
     "Power users want `Ctrl+K` for links and `Ctrl+Shift+8` for lists, as in every editor."),
    ("web-app", "Custom fields on records",
     "We track contract numbers and regions; a few custom fields would replace a spreadsheet."),
    ("web-app", "Bulk edit in tables",
     "Select fifty rows and change their owner in one go."),
    ("web-app", "Saved filters on dashboards",
     "Every Monday I rebuild the same filter. Let me save it with a name."),
    ("web-app", "Two-factor authentication with an app",
     "Security asked us for TOTP two-factor sign-in for every account."),
    ("web-app", "Dark theme for the web editor",
     "The editor is the only screen still white when the rest of the app is dark."),
    ("web-app", "Undo for deleted records",
     "A colleague deleted a customer record by mistake; a trash bin with 30 days would help."),
    ("integrations", "Slack notifications for new invoices",
     "Post to our #finance channel when an invoice is issued or paid."),
    ("integrations", "Zapier trigger for closed cases",
     "We want to start a follow-up in our CRM when a case is closed."),
    ("integrations", "Webhooks with retries",
     "Webhooks are lost when our endpoint is down for a minute. Retry with backoff, please."),
    ("integrations", "Microsoft Teams integration",
     "Half of our customers live in Teams, not Slack."),
    ("integrations", "Sync contacts with HubSpot",
     "Two-way sync of contacts and companies would stop us from typing everything twice."),
    ("integrations", "Higher API rate limits for enterprise plans",
     "Our nightly import hits the limit after ten minutes."),
    ("support", "Live chat in the help centre",
     "Sometimes a quick question needs a quick answer, not a ticket."),
    ("support", "Status page with incident history",
     "When something is slow we cannot tell whether it is us or you."),
    ("support", "Help articles in German and French",
     "Many of our users do not read English comfortably."),
    ("support", "Show the ticket history to the whole team",
     "When a colleague is away nobody can see what support told them."),
    ("support", "Phone support for urgent outages",
     "A phone number for real emergencies would give our managers peace of mind."),
]

# Reworded duplicate, merged into "Dark mode in the mobile app" below.
DUPLICATE = ("mobile-app", "Night theme for the phone app",
             "Please add a dark colour scheme to the iOS and Android apps; my eyes hurt at night.")

COMMENTS = [
    "Yes please, this would save me an hour every week.",
    "We have the same problem in our team of twelve.",
    "+1, and it would be great if it worked on the phone too.",
    "This is the one thing that keeps us on a spreadsheet.",
    "Our auditors asked for exactly this last quarter.",
    "Would love this. Happy to test an early version.",
    "Same here; we asked our account manager about it in March.",
]

STATUS_PLAN = [
    # (index in IDEAS, status, note)
    (0, "planned", "We are building PDF export for invoices. It is planned for **June**."),
    (6, "in_progress", "Dark mode is in development; beta testers get it first."),
    (16, "done", "TOTP two-factor sign-in is live for every account. Turn it on under *Security*."),
    (21, "under_review", "We are looking at retry schedules and how long to keep failed events."),
    (29, "declined", "We will not run a phone line; urgent outages get a 30-minute chat answer."),
    (13, "under_review", "Custom fields come up in many calls; we are sizing the work."),
    (26, "planned", "A public status page with incident history is planned for next quarter."),
]


def seed(world: DemoWorld) -> None:
    """Ideas across every area, votes from many customers, comments, statuses and a merge."""
    rng = world.rng
    customers = world.customers
    staff = world.staff or ([world.admin] if world.admin else [])
    if not customers or not staff:
        return
    ideas = []
    for index, (area, title, description) in enumerate(IDEAS):
        author = customers[index % len(customers)]
        slug = area if area in world.areas else None
        ideas.append(service.submit_idea(author, title, description, slug))

    # Popularity varies: a few ideas are wanted by most customers, most by a handful.
    for idea in ideas:
        share = rng.choice([0.05, 0.1, 0.2, 0.3, 0.5, 0.7])
        for voter in customers:
            if rng.random() < share:
                service.cast_vote(voter, idea.id)
    # A staff member adds a vote heard on a sales call.
    service.add_vote_for(staff[0], ideas[13].id, customers[-1].email)

    for idea in ideas:
        for _ in range(rng.randint(0, 3)):
            service.add_comment(rng.choice(customers), idea.id, rng.choice(COMMENTS))
    service.add_comment(staff[0], ideas[0].id,
                        "Thanks, everyone. Which page size do you print on: A4 or Letter?")
    service.add_comment(staff[-1], ideas[0].id,
                        "Three enterprise accounts asked for this in renewals.", internal=True)

    for index, status, note in STATUS_PLAN:
        service.change_status(staff[index % len(staff)], ideas[index].id, status, note)

    area, title, description = DUPLICATE
    duplicate = service.submit_idea(customers[3], title, description,
                                    area if area in world.areas else None)
    for voter in customers[::4]:
        service.cast_vote(voter, duplicate.id)
    service.merge_ideas(staff[0], duplicate.id, ideas[6].id)

    world.ideas.extend(ideas)
