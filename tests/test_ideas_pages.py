"""The ideas pages through the test client, CSRF on: forms, guards, XSS, CSV, query counts."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import counting_statements, test_config
from voice import create_app
from voice.extensions import db
from voice.ideas import service
from voice.ideas.models import Comment, Idea, Vote
from voice.loop.models import Notification

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def idea_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Idea.id)))


def text(response) -> str:
    return response.get_data(as_text=True)


# --- submitting ------------------------------------------------------------------------


def test_submit_through_the_form(app, login, customer, billing):
    browser = login(customer)
    assert browser.get("/ideas/new").status_code == 200
    response = browser.post("/ideas/new", data={
        "title": "Export  invoices to PDF", "description": "**Monthly**", "area": billing})
    assert response.status_code == 302
    page = browser.get(response.headers["Location"])
    body = text(page)
    assert "Export invoices to PDF" in body and "<strong>Monthly</strong>" in body
    assert "Billing" in body


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "abc"}, "A title has 5 to 120 characters"),
        ({"title": ""}, "Give your idea a title."),
        ({"description": "d" * 10_001}, "A description has at most 10,000 characters"),
        ({"area": "nowhere"}, "There is no such product area."),
        ({"website": "http://spam.example"}, "looked automated"),
    ],
)
def test_submit_refusals_re_render_with_the_message(app, login, customer, fields, message):
    data = {"title": "A good title", "description": "Why it matters"}
    data.update(fields)
    response = login(customer).post("/ideas/new", data=data)
    assert response.status_code == 400
    assert message in text(response)
    if fields.get("title", "x") not in ("", "abc"):
        assert 'value="A good title"' in text(response)
    assert idea_count(app) == 0


def test_submit_needs_a_sign_in(app, login):
    response = login().get("/ideas/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_xss_in_every_text_field_is_inert(app, login, customer, staff):
    idea_id = factories.idea(customer, title=f"Title {XSS}",
                             description=f"{XSS}\n\n[click](javascript:alert(1))")
    staff_browser = login(staff)
    staff_browser.post(f"/admin/ideas/{idea_id}/status",
                       data={"status-status": "planned", "status-note": f"Note {XSS}"})
    login(customer).post(f"/ideas/{idea_id}/comments", data={"comment-body": f"Hey {XSS}"})
    staff_browser.post(f"/ideas/{idea_id}/comments",
                       data={"comment-body": f"Internal {XSS}", "comment-internal": "y"})
    for browser in (login(), login(customer), staff_browser):
        for path in (f"/ideas/{idea_id}", "/ideas", "/ideas?q=title", "/me/activity"):
            response = browser.get(path)
            if response.status_code == 302:
                continue
            body = text(response)
            assert "<script>alert" not in body, path
            assert "onerror=alert" not in body.replace("onerror=alert(1)&gt;", ""), path
            assert 'href="javascript:' not in body, path
    page = text(staff_browser.get(f"/ideas/{idea_id}"))
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page  # the title, escaped
    api = login().api("GET", f"/api/v1/ideas/{idea_id}").json
    html = api["description_html"]
    assert "<script" not in html and "<img" not in html and "&lt;script&gt;" in html


# --- voting ----------------------------------------------------------------------------


def test_vote_and_unvote_as_plain_form_posts(app, login, customer, make_user):
    idea_id = factories.idea(make_user())
    browser = login(customer)
    response = browser.post(f"/ideas/{idea_id}/vote", data={"next": "/ideas"})
    assert response.status_code == 302 and response.headers["Location"] == "/ideas"
    listing = text(browser.get("/ideas"))
    assert 'aria-pressed="true"' in listing and f"/ideas/{idea_id}/unvote" in listing
    browser.post(f"/ideas/{idea_id}/vote", data={"next": "https://evil.example/"})
    with app.app_context():
        assert db.session.get(Idea, idea_id).vote_count == 1
    response = browser.post(f"/ideas/{idea_id}/unvote")
    assert response.headers["Location"] == f"/ideas/{idea_id}"
    with app.app_context():
        assert db.session.get(Idea, idea_id).vote_count == 0


def squeeze(html: str) -> str:
    """Markup with the CSRF tokens blanked and the whitespace between tags taken out."""
    html = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', html)
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


def test_board_cards_are_the_markup_the_card_macros_make(app, login, customer, staff,
                                                          make_user, billing):
    """The board writes its cards out in one loop (no macro call per card); each card's
    vote form and status badge must stay what vote_button and status_badge make."""
    from flask import get_template_attribute, url_for

    from voice.markets.service import linked_markets

    author = make_user()
    voted_id = factories.idea(author, "Open and voted for", area=billing)
    factories.idea(author, f"Open, not voted for {XSS}")
    done_id = factories.idea(author, "Done already")
    with app.app_context():
        from voice.markets.service import create_market

        service.cast_vote(customer, voted_id)
        service.add_comment(customer, voted_id, "One comment")
        service.change_status(staff, done_id, "done", "")
        create_market(staff, "Will invoices ship as PDF by May?", ["Yes", "No"],
                      liquidity=100, idea_id=voted_id)
    page = text(login(customer).get("/ideas?sort=top"))  # trending leaves done ideas out
    tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', page))
    assert tokens == set(re.findall(r'name="csrf-token" content="([^"]+)"', page))
    assert len(re.findall(r'class="vote-form"', page)) == 2
    with app.test_request_context("/ideas?sort=top"):
        vote_button = get_template_attribute("ideas/_ideas.html", "vote_button")
        status_badge = get_template_attribute("ideas/_ideas.html", "status_badge")
        market_badge = get_template_attribute("ideas/_ideas.html", "market_badge")
        items = service.list_ideas(None, sort="top").items
        linked = linked_markets([idea.id for idea in items])
        assert len(items) == 3 and list(linked) == [voted_id]
        for idea in items:
            card = re.search(rf'<li class="idea-row" id="idea-{idea.id}">(.*?)</li>', page,
                             re.S).group(1)
            assert squeeze(vote_button(idea, idea.id == voted_id)) in squeeze(card), idea
            assert squeeze(status_badge(idea)) in squeeze(card), idea
            market = linked.get(idea.id)
            assert ("market-badge" in card) == (market is not None)
            if market is not None:
                assert squeeze(market_badge(market)) in squeeze(card)
            detail = url_for("ideas.detail", idea_id=idea.id)
            assert f'<a class="idea-title" href="{detail}">' in card
            if idea.voting_open:
                for endpoint in ("ideas.vote", "ideas.unvote"):
                    assert f'"{url_for(endpoint, idea_id=idea.id)}"' in card
    card = re.search(rf'id="idea-{voted_id}">(.*?)</li>', page, re.S).group(1)
    assert 'aria-pressed="true"' in card and f'action="/ideas/{voted_id}/unvote"' in card
    assert '<span class="idea-area">Billing</span>' in card and "1 comment<" in card
    assert "50% likely" in card
    assert "<script>alert" not in page


def test_voting_on_a_closed_idea_says_so(app, login, customer, staff, make_user):
    idea_id = factories.idea(make_user())
    with app.app_context():
        service.change_status(staff, idea_id, "done", "Shipped!")
    response = login(customer).post(f"/ideas/{idea_id}/vote")
    assert response.status_code == 409
    assert "Voting is closed: this idea is done." in text(response)
    assert login(customer).post("/ideas/999/vote").status_code == 404


def test_anonymous_vote_goes_to_sign_in(app, login, make_user):
    idea_id = factories.idea(make_user())
    client = app.test_client()
    token = re.search(r'name="csrf-token" content="([^"]+)"',
                      text(client.get("/ideas"))).group(1)
    response = client.post(f"/ideas/{idea_id}/vote", data={"csrf_token": token})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- discussing and staff --------------------------------------------------------------


def test_comments_official_and_internal(app, login, customer, staff):
    idea_id = factories.idea(customer)
    login(customer).post(f"/ideas/{idea_id}/comments", data={"comment-body": "Please do"})
    # A customer cannot post an internal note even by sending the field.
    login(customer).post(f"/ideas/{idea_id}/comments",
                         data={"comment-body": "Sneaky note", "comment-internal": "y"})
    staff_browser = login(staff)
    staff_browser.post(f"/ideas/{idea_id}/comments", data={"comment-body": "On it"})
    staff_browser.post(f"/ideas/{idea_id}/comments",
                       data={"comment-body": "Acme asked too", "comment-internal": "y"})
    customer_page = text(login(customer).get(f"/ideas/{idea_id}"))
    assert "Please do" in customer_page and "On it" in customer_page
    assert "Sneaky note" in customer_page  # posted as a public comment
    assert "Acme asked too" not in customer_page and "Internal note" not in customer_page
    assert "Acme asked too" not in text(login().get(f"/ideas/{idea_id}"))
    assert "Official" in customer_page
    staff_page = text(staff_browser.get(f"/ideas/{idea_id}"))
    assert "Acme asked too" in staff_page and "Internal note" in staff_page
    api = login(customer).api("GET", f"/api/v1/ideas/{idea_id}/comments").json
    assert [c["body"] for c in api["items"]] == ["Please do", "Sneaky note", "On it"]
    assert api["total"] == 3


def test_empty_comment_re_renders_the_page(app, login, customer):
    idea_id = factories.idea(customer)
    response = login(customer).post(f"/ideas/{idea_id}/comments", data={"comment-body": " "})
    assert response.status_code == 400
    assert "Write a comment." in text(response)


def test_staff_pages_are_guarded(app, login, customer, make_user):
    idea_id = factories.idea(make_user())
    for path, data in ((f"/admin/ideas/{idea_id}/status", {"status-status": "planned"}),
                       (f"/admin/ideas/{idea_id}/merge", {"merge-into": "1"}),
                       (f"/admin/ideas/{idea_id}/unmerge", {}),
                       (f"/admin/ideas/{idea_id}/area", {"area-area": ""}),
                       (f"/admin/ideas/{idea_id}/votes", {"proxy-email": "a@b.c"}),
                       ("/admin/ideas/comments/1/hide", {})):
        assert login(customer).post(path, data=data).status_code == 403, path
        assert login().post(path, data=data).status_code == 302, path
    assert login(customer).get("/admin/ideas/export.csv").status_code == 403
    page = text(login(customer).get(f"/ideas/{idea_id}"))
    assert "Change the status" not in page


def test_status_change_through_the_page_notifies_the_customer(app, login, customer, staff):
    idea_id = factories.idea(customer)
    response = login(staff).post(f"/admin/ideas/{idea_id}/status", data={
        "status-status": "planned", "status-note": "Coming in **May**."})
    assert response.status_code == 302
    page = text(login(customer).get(f"/ideas/{idea_id}"))
    assert "Planned" in page and "Coming in <strong>May</strong>." in page
    with app.app_context():
        notice = db.session.scalar(select(Notification).where(Notification.user_id == customer.id))
        assert notice.subject == '"Export invoices to PDF" is now planned'
    bad = login(staff).post(f"/admin/ideas/{idea_id}/status", data={"status-status": "shipped"})
    assert bad.status_code == 400 and "A status is one of" in text(bad)


def test_merge_redirects_and_unmerge_through_the_pages(app, login, customer, staff, make_user):
    dup = factories.idea(customer, "Dark mode please")
    keep = factories.idea(make_user(), "Night theme for the app")
    with app.app_context():
        service.cast_vote(customer, dup)
    staff_browser = login(staff)
    response = staff_browser.post(f"/admin/ideas/{dup}/merge", data={"merge-into": str(dup)})
    assert response.status_code == 400 and "cannot be merged into itself" in text(response)
    response = staff_browser.post(f"/admin/ideas/{dup}/merge", data={"merge-into": "999"})
    assert response.status_code == 400 and "No idea has that number." in text(response)
    response = staff_browser.post(f"/admin/ideas/{dup}/merge",
                                  data={"merge-into": str(keep), "confirmed": "yes"})
    assert response.headers["Location"] == f"/ideas/{keep}"
    followed = login(customer).get(f"/ideas/{dup}")
    assert followed.status_code == 302
    assert followed.headers["Location"].startswith(f"/ideas/{keep}")
    survivor_page = text(login(customer).get(f"/ideas/{keep}"))
    assert "Dark mode please" in survivor_page  # listed under "Merged into this idea"
    stay = text(staff_browser.get(f"/ideas/{dup}?stay=1"))
    assert "This idea was merged into" in stay and "Undo the merge" in stay
    assert staff_browser.post(f"/admin/ideas/{dup}/unmerge").status_code == 302
    assert login(customer).get(f"/ideas/{dup}").status_code == 200
    with app.app_context():
        assert db.session.get(Idea, dup).vote_count == 1
        assert db.session.get(Idea, keep).vote_count == 0


def test_staff_hide_a_comment_and_vote_on_behalf(app, login, customer, staff, make_user):
    idea_id = factories.idea(make_user())
    login(customer).post(f"/ideas/{idea_id}/comments", data={"comment-body": "Rude words"})
    with app.app_context():
        comment_id = db.session.scalar(select(Comment.id))
    staff_browser = login(staff)
    assert staff_browser.post(f"/admin/ideas/comments/{comment_id}/hide").status_code == 302
    assert "Rude words" not in text(login(customer).get(f"/ideas/{idea_id}"))
    assert "Rude words" in text(staff_browser.get(f"/ideas/{idea_id}"))
    response = staff_browser.post(f"/admin/ideas/{idea_id}/votes",
                                  data={"proxy-email": customer.email})
    assert response.status_code == 302
    with app.app_context():
        vote = db.session.scalar(select(Vote))
        assert (vote.user_id, vote.on_behalf, vote.added_by_id) == (customer.id, True, staff.id)
    assert "added by staff on behalf" in text(login(customer).get(f"/ideas/{idea_id}"))
    again = staff_browser.post(f"/admin/ideas/{idea_id}/votes",
                               data={"proxy-email": customer.email})
    assert again.status_code == 400 and "has voted for this idea already" in text(again)


def test_area_change_by_staff(app, login, staff, customer, billing):
    idea_id = factories.idea(customer)
    response = login(staff).post(f"/admin/ideas/{idea_id}/area", data={"area-area": billing})
    assert response.status_code == 302
    assert "Billing" in text(login().get(f"/ideas/{idea_id}"))
    response = login(staff).post(f"/admin/ideas/{idea_id}/area", data={"area-area": "nope"})
    assert response.status_code == 400 and "There is no such product area." in text(response)


def test_csv_export_has_the_counts_and_defuses_formulas(app, login, staff, make_user):
    author, voter = make_user(), make_user()
    first = factories.idea(author, "=HYPERLINK(\"http://evil\") idea")
    factories.idea(author, "Second idea here")
    with app.app_context():
        service.cast_vote(voter, first)
    response = login(staff).get("/admin/ideas/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(text(response))))
    assert rows[0] == ["id", "title", "status", "area", "author", "votes", "comments",
                       "created_at", "merged_into"]
    assert rows[1][1].startswith("'=HYPERLINK") and rows[1][5] == "1"
    assert rows[2][1] == "Second idea here" and rows[2][5] == "0" and len(rows) == 3


# --- finding ---------------------------------------------------------------------------


def test_list_filters_search_and_bad_filters(app, login, customer, make_user, billing):
    mine = factories.idea(customer, "Export invoices to PDF", area=billing)
    factories.idea(make_user(), "Dark mode in the mobile app")
    browser = login(customer)
    assert "Dark mode" in text(browser.get("/ideas"))
    searched = text(browser.get("/ideas?q=invoices"))
    assert "Export invoices to PDF" in searched and "Dark mode" not in searched
    assert "1 idea matching" in searched
    mine_page = text(browser.get("/ideas?mine=1"))
    assert f"/ideas/{mine}" in mine_page and "Dark mode" not in mine_page
    assert "Dark mode" not in text(browser.get(f"/ideas?area={billing}"))
    assert browser.get("/ideas?sort=best").status_code == 400
    assert browser.get("/ideas?status=shipped").status_code == 400
    assert browser.get("/ideas?page=0").status_code == 400
    assert login().get("/ideas?voted=1").status_code == 302


def test_activity_page(app, login, customer, staff, make_user):
    other = factories.idea(make_user(), "Dark mode in the mobile app")
    factories.idea(customer, "Export invoices to PDF")
    with app.app_context():
        service.cast_vote(customer, other)
        service.change_status(staff, other, "planned", "")
    page = text(login(customer).get("/me/activity"))
    assert "Ideas I posted" in page and "Export invoices to PDF" in page
    assert "Dark mode in the mobile app" in page and "Planned" in page


def count_queries(app, fetch) -> int:
    with counting_statements(app) as statements:
        assert fetch().status_code == 200
    return len(statements)


def test_list_page_and_api_cost_the_same_queries_for_3_or_30_ideas(app, login, customer,
                                                                   make_user, billing):
    authors = [make_user() for _ in range(3)]
    for index in range(3):
        factories.idea(authors[index], f"Idea number {index}", area=billing)
    browser = login(customer)
    small_page = count_queries(app, lambda: browser.get("/ideas?per_page=50"))
    small_api = count_queries(app, lambda: browser.get("/api/v1/ideas?per_page=50"))
    for index in range(3, 30):
        factories.idea(authors[index % 3], f"Idea number {index}")
        with app.app_context():
            service.cast_vote(customer, index + 1)
    large_page = count_queries(app, lambda: browser.get("/ideas?per_page=50"))
    large_api = count_queries(app, lambda: browser.get("/api/v1/ideas?per_page=50"))
    assert large_page == small_page
    assert large_api == small_api
    # user, unread count, the page (its rows with author and area, the total from the
    # tallies, the viewer's votes), the linked markets, the areas for the filter form.
    assert large_page == 5
    assert large_api == 3  # the session user, the page, linked markets


def test_submitting_and_commenting_are_rate_limited(make_user, database_urls, backend):
    limited = create_app(test_config(database_urls[backend], RATELIMIT_ENABLED=True))
    user = make_user()
    from tests.conftest import Browser

    browser = Browser(limited, user)
    statuses = [browser.post("/ideas/new", data={"title": f"Idea number {i}"}).status_code
                for i in range(7)]
    assert statuses == [302] * 5 + [429, 429]
    headers = {"X-CSRFToken": browser.csrf_token()}
    api = browser.client.post("/api/v1/ideas", json={"title": "One more idea"}, headers=headers)
    assert api.status_code == 429 and api.json["error"]["code"] == "rate_limited"
    comments = [browser.post("/ideas/1/comments", data={"comment-body": f"c{i}"}).status_code
                for i in range(11)]
    assert comments == [302] * 10 + [429]
    with limited.app_context():
        assert db.session.scalar(select(func.count(Idea.id))) == 5
        assert db.session.scalar(select(func.count(Comment.id))) == 10
        db.engine.dispose()


# --- what an empty or singular list says --------------------------------------------------


def test_an_empty_list_says_what_happened(app, client, make_user):
    author = make_user()
    for number in range(3):
        factories.idea(author, f"Dark mode number {number}")
    nothing = text(client.get("/ideas?q=spreadsheet"))
    assert "Be the first" not in nothing and "No ideas here yet" not in nothing
    assert "No idea matches “spreadsheet”." in nothing
    assert 'href="/ideas/new?title=spreadsheet"' in nothing
    past = text(client.get("/ideas?page=999"))
    assert "Be the first" not in past
    assert "Page 999 is past the end: there are 3 ideas on 1 page." in past
    filtered = text(client.get("/ideas?status=declined"))
    assert "No idea matches these filters." in filtered and "Be the first" not in filtered
    empty_sort = text(client.get("/ideas?sort=new&area=&q="))
    assert "Dark mode number 2" in empty_sort


def test_an_empty_board_still_invites_the_first_idea(app, client):
    assert "Be the first to suggest one." in text(client.get("/ideas?sort=new"))
    assert "No idea is trending right now." in text(client.get("/ideas"))


def test_one_vote_and_one_comment_are_singular_on_the_activity_page(app, login, customer,
                                                                    make_user):
    mine = factories.idea(customer, "Export invoices to PDF", voters=[make_user()],
                          comments=[(make_user(), "Yes please")])
    assert mine
    page = text(login(customer).get("/me/activity"))
    assert "1 vote · 1 comment ·" in page
    assert "1 votes" not in page and "1 comments" not in page


def test_a_settled_market_is_shown_as_its_outcome_on_the_board_idea_and_dashboard(
        app, login, staff, customer):
    """Issue 13: a resolved market was still shown as a forecast ("33% likely") on the
    board, the idea page and the staff dashboard; a voided one as a forecast too."""
    from voice.markets import service as markets

    shipped = factories.idea(customer, "Export invoices as PDF files")
    dropped = factories.idea(customer, "A dark theme for the mobile app")
    resolved_id, (yes, _no) = factories.market(staff, idea_id=shipped,
                                               question="Will PDF export ship?")
    voided_id, _ = factories.market(staff, idea_id=dropped, question="Will dark mode ship?")
    with app.app_context():
        markets.resolve_market(staff, resolved_id, yes)
        markets.void_market(staff, voided_id)
    browser = login(customer)
    for path in ("/ideas?sort=new", f"/ideas/{shipped}"):
        page = browser.get(path).get_data(as_text=True)
        assert "Resolved: Yes" in page, path
        assert "% likely" not in page, path
    assert "Voided" in browser.get(f"/ideas/{dropped}").get_data(as_text=True)
    dashboard = login(staff).get("/admin").get_data(as_text=True)
    assert "Resolved: Yes" in dashboard and "Voided" in dashboard
