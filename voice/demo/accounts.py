"""Demo people and product areas."""

from __future__ import annotations

from voice.accounts import service
from voice.areas import service as areas
from voice.demo.world import DEMO_PASSWORD, DemoWorld

AREAS = [
    ("Billing", "Invoices, plans, payment methods and refunds."),
    ("Mobile app", "The iOS and Android apps."),
    ("Web app", "The browser app: dashboards, editor, settings."),
    ("Integrations", "Slack, Zapier, the public API and webhooks."),
    ("Support", "Help centre, chat and the support team."),
]

STAFF = [
    ("maya.okafor@northwind.example", "Maya Okafor"),
    ("leo.brandt@northwind.example", "Leo Brandt"),
    ("sofia.reyes@northwind.example", "Sofia Reyes"),
]

CUSTOMERS = [
    "Alice Martin", "Bilal Haddad", "Chen Wei", "Dana Kowalski", "Emeka Nwosu",
    "Fatima Zahra", "Gabriel Silva", "Hannah Becker", "Ivan Petrov", "Julia Rossi",
    "Kenji Tanaka", "Lena Johansson", "Marco Bianchi", "Nadia Ahmed", "Oscar Lindqvist",
    "Priya Raman", "Quentin Dubois", "Rosa Alvarez", "Samuel Osei", "Tara Murphy",
    "Umar Farooq", "Vera Novak", "William Chen", "Yara Haddad",
]


def seed(world: DemoWorld) -> None:
    for name, description in AREAS:
        area = areas.create_area(name, description)
        world.areas[area.slug] = area
    world.admin = service.create_user(
        "admin@northwind.example", DEMO_PASSWORD, "Ada Admin", role="admin"
    )
    for email, name in STAFF:
        world.staff.append(service.create_user(email, DEMO_PASSWORD, name, role="staff"))
    for name in CUSTOMERS:
        email = name.lower().replace(" ", ".") + "@customer.example"
        world.customers.append(service.create_user(email, DEMO_PASSWORD, name))
