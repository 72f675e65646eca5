"""Identity from the host product (issue 15): ``POST /api/v1/identify``.

A JWT the host signs (HS256, ``IDENTIFY_SECRET``) becomes a bearer token of the customer
it names, created on first sight and updated after, with their typed attributes. Every
refusal is 401 ``invalid_identity`` and writes nothing: the rows of the four tables it
could touch are counted before and after (and the users' columns compared).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import PASSWORD, run_in_threads
from tests.factories import IDENTIFY_SECRET, identity_token
from voice.accounts import data as personal_data
from voice.accounts import service as accounts
from voice.accounts.models import ApiToken, ExternalIdentity, User, UserAttribute
from voice.extensions import db

PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDY/xQuIpoGSyh1PWl6pUWkbwvD
a6PiyjNDVT2f1yNP/K09jf+4ihkpIv10t0GSEINbuXfCi56EM+LDYecJ1YBN6VbX
MVYCi6ZhC46GgJ1v/azRnqdasgcy6TnvJXi3zCFzCec2eczYzsK11A3CJ/ygXD/S
P25Gc/KD6EgklVpvaQIDAQAB
-----END PUBLIC KEY-----
"""


@pytest.fixture
def app_config() -> dict:
    return {"IDENTIFY_SECRET": IDENTIFY_SECRET}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def handmade(header: dict, claims: dict, key: bytes | None = None) -> str:
    """A JWT signed by hand (PyJWT refuses to make the malicious ones): HMAC-SHA256 with
    ``key``, or no signature at all."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = b"" if key is None else hmac.new(key, signing_input.encode(),
                                                 hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def good_claims(**changes) -> dict:
    token = identity_token(**changes)
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def identify(client, token):
    return client.post("/api/v1/identify", json={"token": token})


def written(app) -> tuple:
    """The rows identify could write, and every user's columns."""
    with app.app_context():
        counts = tuple(db.session.scalar(select(func.count()).select_from(model))
                       for model in (User, ApiToken, ExternalIdentity, UserAttribute))
        users = db.session.execute(select(User.id, User.email, User.display_name, User.role,
                                          User.active).order_by(User.id)).all()
        return counts, [tuple(row) for row in users]


# --- first sight, then updates ----------------------------------------------------------


def test_first_sight_creates_the_customer_and_the_token_works(app, client):
    answer = identify(client, identity_token(
        "host-7", " Ada@HOST.example ", "  Ada   Lovelace ",
        attributes={"plan": "pro", "monthly_revenue": 1250, "seats": 3.5}))
    assert answer.status_code == 200, answer.json
    user = answer.json["user"]
    assert (user["email"], user["display_name"], user["role"]) == (
        "ada@host.example", "Ada Lovelace", "customer")
    assert user["balance"] == 1000  # granted like any new account
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {answer.json['token']}"})
    assert me.status_code == 200 and me.json["id"] == user["id"]
    with app.app_context():
        assert accounts.attributes_of(user["id"]) == {
            "monthly_revenue": 1250, "plan": "pro", "seats": 3.5}
        kinds = dict(db.session.execute(select(UserAttribute.name, UserAttribute.kind)).all())
        assert kinds == {"plan": "string", "monthly_revenue": "number", "seats": "number"}
        link = db.session.scalars(select(ExternalIdentity)).one()
        assert (link.user_id, link.source, link.subject) == (user["id"], "identify", "host-7")
        assert accounts.authenticate("ada@host.example", "") is None
        assert db.session.get(User, user["id"]).password_hash.startswith("!identify:")


def test_the_sub_keeps_the_account_through_a_new_email_and_name(app, client, make_user):
    first = identify(client, identity_token("host-7", "ada@host.example", "Ada",
                                            attributes={"plan": "free", "region": "eu"}))
    again = identify(client, identity_token("host-7", "ada@new.example", "Ada L.",
                                            attributes={"plan": "pro"}))
    assert again.status_code == 200, again.json
    assert again.json["user"]["id"] == first.json["user"]["id"]
    assert (again.json["user"]["email"], again.json["user"]["display_name"]) == (
        "ada@new.example", "Ada L.")
    with app.app_context():
        assert accounts.attributes_of(first.json["user"]["id"]) == {"plan": "pro"}
    # No attributes claim: the stored ones stay. An email another customer has: kept.
    other = make_user(email="taken@host.example")
    third = identify(client, identity_token("host-7", "taken@host.example", "Ada"))
    assert third.status_code == 200
    assert third.json["user"]["email"] == "ada@new.example"
    assert other.email == "taken@host.example"
    with app.app_context():
        assert accounts.attributes_of(first.json["user"]["id"]) == {"plan": "pro"}
        assert db.session.scalar(select(func.count()).select_from(User)) == 2


def test_a_customer_who_registered_is_linked_by_email(app, client, make_user):
    person = make_user(email="ada@host.example", name="Ada Registered")
    answer = identify(client, identity_token("host-7", "ADA@host.example", "Ada"))
    assert answer.status_code == 200 and answer.json["user"]["id"] == person.id
    with app.app_context():
        assert accounts.authenticate("ada@host.example", PASSWORD) is not None  # still works
    # Another sub with the same email is another person: refused, nothing written.
    before = written(app)
    refused = identify(client, identity_token("host-8", "ada@host.example", "Eve"))
    assert refused.status_code == 401 and refused.json["error"]["code"] == "invalid_identity"
    assert written(app) == before


# --- refusals: 401 invalid_identity, nothing written -------------------------------------


def claims_without(name: str) -> dict:
    claims = good_claims()
    del claims[name]
    return claims


BAD_TOKENS = {
    "other secret": lambda: identity_token(secret="not-the-host-secret-but-as-long-as-it-0123"),
    "alg none": lambda: handmade({"alg": "none", "typ": "JWT"}, good_claims()),
    "alg none signed": lambda: handmade({"alg": "none"}, good_claims(), IDENTIFY_SECRET.encode()),
    "alg RS256": lambda: handmade({"alg": "RS256", "typ": "JWT"}, good_claims(), b"x"),
    "public key as HMAC secret": lambda: handmade({"alg": "HS256", "typ": "JWT"},
                                                  good_claims(), PUBLIC_KEY.encode()),
    "HS512": lambda: identity_token(algorithm="HS512"),
    "tampered claims": lambda: ".".join(
        [identity_token().split(".")[0], b64(json.dumps(good_claims(sub="host-1")).encode()),
         identity_token(sub="host-2").split(".")[2]]),
    "not a JWT": lambda: "not.a.jwt",
    "empty": lambda: "",
    "a number": lambda: 12345,
    "no sub": lambda: handmade({"alg": "HS256"}, claims_without("sub"), IDENTIFY_SECRET.encode()),
    "no email": lambda: handmade({"alg": "HS256"}, claims_without("email"),
                                 IDENTIFY_SECRET.encode()),
    "no name": lambda: handmade({"alg": "HS256"}, claims_without("name"),
                                IDENTIFY_SECRET.encode()),
    "no exp": lambda: handmade({"alg": "HS256"}, claims_without("exp"), IDENTIFY_SECRET.encode()),
    "unknown claim": lambda: identity_token(role="admin"),
    "expired": lambda: identity_token(expires_in=-1),
    "more than 24 h ahead": lambda: identity_token(expires_in=24 * 3600 + 60),
    "exp not a number": lambda: identity_token(exp="tomorrow"),
    "exp a boolean": lambda: identity_token(exp=True),
    "not valid yet": lambda: identity_token(nbf=10**10),
    "sub a number": lambda: identity_token(sub=42),
    "sub blank": lambda: identity_token(sub="  "),
    "bad email": lambda: identity_token(email="not an email"),
    "blank name": lambda: identity_token(name=" "),
    "attributes a list": lambda: identity_token(attributes=["pro"]),
    "attribute an object": lambda: identity_token(attributes={"plan": {"name": "pro"}}),
    "attribute a list": lambda: identity_token(attributes={"plan": ["pro"]}),
    "attribute a boolean": lambda: identity_token(attributes={"vip": True}),
    "attribute null": lambda: identity_token(attributes={"plan": None}),
    "attribute 10 kB": lambda: identity_token(attributes={"notes": "x" * 10_000}),
    "attribute 501 characters": lambda: identity_token(attributes={"notes": "x" * 501}),
    "attribute NaN": lambda: handmade({"alg": "HS256"}, good_claims(attributes={"mrr": 1}) | {
        "attributes": {"mrr": float("nan")}}, IDENTIFY_SECRET.encode()),
    "attribute past a double": lambda: identity_token(attributes={"mrr": 10**400}),
    "attribute name upper case": lambda: identity_token(attributes={"Plan": "pro"}),
    "attribute name too long": lambda: identity_token(attributes={"a" * 41: "pro"}),
    "51 attributes": lambda: identity_token(attributes={f"a{i}": i for i in range(51)}),
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_a_bad_token_is_refused_and_writes_nothing(app, client, case):
    identify(client, identity_token("host-1", "first@host.example", "First"))
    before = written(app)
    answer = identify(client, BAD_TOKENS[case]())
    assert answer.status_code == 401, answer.json
    assert answer.json["error"]["code"] == "invalid_identity"
    assert written(app) == before


def test_the_edges_that_pass(app, client):
    """Exactly 500 characters, 50 attributes, a 40-character name, iat/iss/aud/jti."""
    many = {f"a{i}": i for i in range(49)} | {"b" * 40: "x" * 500}
    answer = identify(client, identity_token(attributes=many, iat=1, iss="host", aud="voice",
                                             jti="once", expires_in=24 * 3600 - 60))
    assert answer.status_code == 200, answer.json
    with app.app_context():
        assert len(accounts.attributes_of(answer.json["user"]["id"])) == 50


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_a_staff_email_is_refused(app, client, make_user, role):
    person = make_user(role, email="boss@host.example", name="The Boss")
    before = written(app)
    for token in (identity_token("host-9", "boss@host.example", "Mallory"),
                  identity_token("host-9", "BOSS@host.example", "Mallory")):
        answer = identify(client, token)
        assert answer.status_code == 401 and answer.json["error"]["code"] == "invalid_identity"
    assert written(app) == before
    # A customer identified earlier cannot move onto the staff address either.
    identify(client, identity_token("host-1", "ada@host.example", "Ada"))
    before = written(app)
    moved = identify(client, identity_token("host-1", "boss@host.example", "Ada"))
    assert moved.status_code == 401
    assert written(app) == before
    assert person.email == "boss@host.example"


def test_a_deactivated_or_promoted_account_is_refused(app, client, make_user):
    made = identify(client, identity_token("host-1", "ada@host.example", "Ada")).json["user"]
    with app.app_context():
        accounts.set_active(made["id"], False)
    before = written(app)
    assert identify(client, identity_token("host-1", "ada@host.example", "Ada")).status_code == 401
    assert written(app) == before
    with app.app_context():
        accounts.set_active(made["id"], True)
        accounts.set_role("ada@host.example", "staff")
    before = written(app)
    assert identify(client, identity_token("host-1", "ada@x.example", "Ada")).status_code == 401
    assert written(app) == before


def test_identify_is_off_without_a_secret(app, client):
    app.config["IDENTIFY_SECRET"] = ""
    before = written(app)
    answer = identify(client, identity_token())
    assert answer.status_code == 404 and answer.json["error"]["code"] == "identify_off"
    assert written(app) == before


def test_a_token_is_good_until_its_exp_as_often_as_it_is_sent(app, client):
    """Replay: documented as allowed until ``exp`` (at most 24 h); each call one token."""
    token = identity_token(expires_in=60)
    first, second = identify(client, token), identify(client, token)
    assert first.status_code == second.status_code == 200
    assert first.json["user"]["id"] == second.json["user"]["id"]
    assert first.json["token"] != second.json["token"]


# --- concurrency, rate limit ------------------------------------------------------------


def test_two_first_calls_at_once_make_one_customer(app):
    tokens = [identity_token("host-race", "race@host.example", f"Racer {i}") for i in range(2)]
    results = run_in_threads(app, lambda i: accounts.identify(tokens[i], IDENTIFY_SECRET)[0].id,
                             2)
    assert all(isinstance(result, int) for result in results), results
    assert results[0] == results[1]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        assert db.session.scalar(select(func.count()).select_from(ExternalIdentity)) == 1
        assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 2


def test_two_subs_claiming_one_new_email_at_once_make_one_customer(app):
    tokens = [identity_token(f"host-{i}", "same@host.example", "Same") for i in range(2)]

    def work(i: int):
        return accounts.identify(tokens[i], IDENTIFY_SECRET)[0].id

    results = run_in_threads(app, work, 2)
    ids = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if not isinstance(r, int)]
    assert len(ids) == 1 and len(refused) == 1, results
    assert getattr(refused[0], "code", None) == "invalid_identity"


@pytest.mark.parametrize("app_config", [{"IDENTIFY_SECRET": IDENTIFY_SECRET,
                                         "RATELIMIT_ENABLED": True}])
def test_identify_is_rate_limited_per_address(app, client):
    statuses = [identify(client, "bad").status_code for _ in range(61)]
    assert statuses[:60] == [401] * 60
    assert statuses[60] == 429
    other = app.test_client().post("/api/v1/identify", json={"token": "bad"},
                                   environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 401


# --- the staff's customer page, the download, closing ----------------------------------


def test_the_customer_page_and_api_show_the_attributes(app, login, token_for, staff):
    person = factories.identified(plan="pro", region="eu-west", monthly_revenue=1250)
    page = login(staff).get(f"/admin/customers/{person.id}").get_data(as_text=True)
    for term, value in (("plan", "pro"), ("region", "eu-west"), ("monthly_revenue", "1250")):
        assert f"<dt>{term}</dt><dd>{value}</dd>" in page
    data = login(staff).client.get(f"/api/v1/admin/customers/{person.id}",
                                   headers=token_for(staff)).json
    assert data["attributes"] == {"monthly_revenue": 1250, "plan": "pro", "region": "eu-west"}


def test_the_download_has_the_identity_and_closing_erases_it(app, client, make_user):
    person = make_user(email="ada@host.example")
    token = identify(client, identity_token("host-7", "ada@host.example", "Ada",
                                            attributes={"plan": "pro", "mrr": 9.5})).json["token"]
    data = client.get("/api/v1/me/data", headers={"Authorization": f"Bearer {token}"}).json
    assert data["attributes"] == {"mrr": 9.5, "plan": "pro"}
    assert [(i["source"], i["subject"]) for i in data["external_identities"]] == [
        ("identify", "host-7")]
    with app.app_context():
        personal_data.delete_account(db.session.get(User, person.id), PASSWORD)
        assert db.session.scalar(select(func.count()).select_from(ExternalIdentity)) == 0
        assert db.session.scalar(select(func.count()).select_from(UserAttribute)) == 0
    # The closed account's sub names nobody now: the host's next call makes a new account.
    again = identify(client, identity_token("host-7", "ada@host.example", "Ada"))
    assert again.status_code == 200 and again.json["user"]["id"] != person.id
