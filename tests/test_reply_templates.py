"""Reply templates per team (issue 14): the rules of the service (names unique per team,
a body required and bounded, owners and admins edit, any staff uses), the filling of
{customer} and {title}, and the pages (the team page, the owners' page, editing, deleting
after a question)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import run_in_threads
from voice.admin import service
from voice.admin.models import AuditEntry, Case, ReplyTemplate
from voice.admin.service.reply_templates import MAX_BODY, MAX_NAME
from voice.errors import Conflict, Forbidden, Invalid, NotFound
from voice.extensions import db


@pytest.fixture
def owner(make_user):
    return make_user("staff", name="Olive Owner")


@pytest.fixture
def team_id(app, admin, owner) -> int:
    return factories.team(admin, "Billing", owners=[owner.email])


def names(app, team: int) -> list[str]:
    with app.app_context():
        return [t.name for t in service.reply_templates(team)]


# --- the service -----------------------------------------------------------------------------


def test_owners_and_admins_write_templates_listed_by_name(app, admin, owner, team_id):
    factories.reply_template(owner, team_id, "thanks", "Thanks!")
    factories.reply_template(admin, team_id, "Apology", "Sorry, {customer}.")
    assert names(app, team_id) == ["Apology", "thanks"]
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions[-2:] == ["template.create", "template.create"]


def test_other_staff_use_templates_but_do_not_write_them(app, staff, owner, team_id):
    template_id = factories.reply_template(owner, team_id)
    with app.app_context():
        with pytest.raises(Forbidden):
            service.create_reply_template(staff, team_id, "Mine", "Hello.")
        with pytest.raises(Forbidden):
            service.update_reply_template(staff, template_id, "Mine", "Hello.")
        with pytest.raises(Forbidden):
            service.delete_reply_template(staff, template_id)
        assert service.can_edit_templates(staff, team_id) is False
        assert service.can_edit_templates(owner, team_id) is True
    assert names(app, team_id) == ["Thanks"]


def test_a_name_is_unique_within_its_team_only(app, admin, owner, team_id):
    factories.reply_template(owner, team_id, "Thanks")
    other_team = factories.team(admin, "Mobile")
    factories.reply_template(admin, other_team, "Thanks")  # another team: fine
    with app.app_context(), pytest.raises(Conflict) as taken:
        service.create_reply_template(owner, team_id, "  THANKS ", "Again.")
    assert (taken.value.code, taken.value.field, taken.value.status) == (
        "template_exists", "name", 409)
    second = factories.reply_template(owner, team_id, "Apology", "Sorry.")
    with app.app_context(), pytest.raises(Conflict):
        service.update_reply_template(owner, second, "thanks", "Sorry.")
    assert names(app, team_id) == ["Apology", "Thanks"]


@pytest.mark.parametrize(("name", "body", "field"), [
    ("", "Hello.", "name"), ("   ", "Hello.", "name"), ("x" * (MAX_NAME + 1), "Hello.", "name"),
    ("Thanks", "", "body"), ("Thanks", " \n ", "body"), ("Thanks", "x" * (MAX_BODY + 1), "body"),
])
def test_a_name_and_a_bounded_body_are_required(app, owner, team_id, name, body, field):
    with app.app_context(), pytest.raises(Invalid) as refused:
        service.create_reply_template(owner, team_id, name, body)
    assert refused.value.field == field
    assert names(app, team_id) == []


def test_an_unknown_team_or_template_is_a_404(app, owner, team_id):
    with app.app_context():
        with pytest.raises(NotFound):
            service.create_reply_template(owner, 9999, "Thanks", "Hi.")
        with pytest.raises(NotFound):
            service.update_reply_template(owner, 9999, "Thanks", "Hi.")
        with pytest.raises(NotFound):
            service.fill_reply_template(9999, 1)


def test_two_owners_saving_the_same_name_at_once_get_one_template_and_one_409(
        app, admin, owner, team_id):
    def work(index: int):
        actor = owner if index == 0 else admin
        return service.create_reply_template(actor, team_id, "Thanks", f"Body {index}").id

    results = run_in_threads(app, work, 2)
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(conflicts) == 1 and conflicts[0].code == "template_exists", results
    assert names(app, team_id) == ["Thanks"]


# --- filling ---------------------------------------------------------------------------------


def test_filling_puts_in_the_customers_name_and_the_cases_title(app, owner, team_id,
                                                              make_user):
    customer = make_user(name="Ada {title}")  # braces in a name stay as typed
    template_id = factories.reply_template(
        owner, team_id, body="Hi {customer}, about {title}: done. {unknown} stays; {{x}}.")
    case_id = factories.case(customer_id=customer.id, title="Export to PDF")
    with app.app_context():
        filled = service.fill_reply_template(template_id, case_id)
    assert filled == "Hi Ada {title}, about Export to PDF: done. {unknown} stays; {{x}}."


def test_an_anonymous_case_is_there(app, owner, team_id):
    template_id = factories.reply_template(owner, team_id, body="Hi {customer}!")
    case_id = factories.case(customer_id=None)
    with app.app_context():
        assert service.fill_reply_template(template_id, case_id) == "Hi there!"


def test_an_idea_case_is_filled_with_the_ideas_title(app, admin, owner, team_id, customer):
    factories.rule(admin, name="New ideas", source="idea_created", team_id=team_id)
    idea_id = factories.idea(customer, "Dark mode for the dashboard")
    template_id = factories.reply_template(owner, team_id, body="{title}: planned.")
    with app.app_context():
        case_id = db.session.scalar(select(Case.id).where(Case.source_id == idea_id))
        assert service.fill_reply_template(template_id, case_id) == (
            "Dark mode for the dashboard: planned.")


# --- the pages -------------------------------------------------------------------------------


def test_the_team_page_lists_and_adds_templates_for_admins(app, admin, team_id, login):
    browser = login(admin)
    page = browser.get(f"/admin/teams/{team_id}").get_data(as_text=True)
    assert "Reply templates" in page and "no reply template yet" in page
    saved = browser.post(f"/admin/teams/{team_id}/templates", data={
        "template-name": "Shipped", "template-body": "Hi {customer}, **it shipped**.",
        "back": f"/admin/teams/{team_id}"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(
        f"/admin/teams/{team_id}")
    page = browser.get(f"/admin/teams/{team_id}").get_data(as_text=True)
    assert "<strong>Shipped</strong>" in page and "<strong>it shipped</strong>" in page


def test_an_error_keeps_what_was_typed(app, owner, team_id, login):
    factories.reply_template(owner, team_id, "Shipped", "First.")
    browser = login(owner)
    page = browser.post(f"/admin/teams/{team_id}/templates", data={
        "template-name": "shipped", "template-body": "My long careful reply."})
    text = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "This team has a template of that name already." in text
    assert "My long careful reply." in text and 'value="shipped"' in text
    empty = browser.post(f"/admin/teams/{team_id}/templates", data={
        "template-name": "New one", "template-body": ""})
    assert empty.status_code == 400
    assert "Write the reply the template holds." in empty.get_data(as_text=True)
    assert names(app, team_id) == ["Shipped"]


def test_owners_write_on_their_teams_page_and_other_staff_only_read(app, owner, staff,
                                                                   team_id, login):
    factories.reply_template(owner, team_id, "Shipped", "<script>alert(1)</script>Done.")
    mine = login(owner).get(f"/admin/teams/{team_id}/templates").get_data(as_text=True)
    assert "Add a template" in mine and "<script>alert" not in mine
    browser = login(staff)
    theirs = browser.get(f"/admin/teams/{team_id}/templates").get_data(as_text=True)
    assert "Shipped" in theirs and "Add a template" not in theirs
    refused = browser.post(f"/admin/teams/{team_id}/templates", data={
        "template-name": "Mine", "template-body": "Hello."})
    assert refused.status_code == 403
    index = browser.get("/admin/templates").get_data(as_text=True)
    assert f"/admin/teams/{team_id}/templates" in index
    assert login(staff).get(f"/admin/teams/{team_id}").status_code == 403  # admins' page


def test_editing_a_template(app, owner, team_id, login):
    template_id = factories.reply_template(owner, team_id, "Shipped", "First.")
    browser = login(owner)
    path = f"/admin/teams/{team_id}/templates/{template_id}"
    assert "First." in browser.get(path).get_data(as_text=True)
    saved = browser.post(path, data={"template-name": "Shipped!", "template-body": "Second."})
    assert saved.status_code == 302
    with app.app_context():
        template = db.session.get(ReplyTemplate, template_id)
        assert (template.name, template.body) == ("Shipped!", "Second.")
    other_team = factories.team(factories.user("admin"), "Mobile")
    assert browser.get(f"/admin/teams/{other_team}/templates/{template_id}").status_code == 404


def test_deleting_asks_first_then_deletes(app, owner, staff, team_id, login):
    template_id = factories.reply_template(owner, team_id, "Shipped", "Done.")
    path = f"/admin/teams/{team_id}/templates/{template_id}/delete"
    assert login(staff).post(path).status_code == 403  # asked nothing: not theirs to delete
    browser = login(owner)
    asked = browser.post(path)
    assert asked.status_code == 200
    assert "Delete the reply template “Shipped”?" in asked.get_data(as_text=True)
    assert names(app, team_id) == ["Shipped"]
    done = browser.post(path, data={"confirmed": "yes"})
    assert done.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(ReplyTemplate.id))) == 0
