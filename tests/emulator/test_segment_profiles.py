"""Profiles built from connected sources, read through the Profile API."""

from __future__ import annotations

import pytest
import requests
from segment_helpers import client, unique

from workshop_lib.segment import profile_traits, profiles_url

pytest_plugins = ["segment_fixtures"]  # the ws, source and write_key fixtures


@pytest.fixture
def space(ws, source):
    space, token = ws.create_space(unique("personas"))
    ws.connect_space(space["id"], source["id"])
    return space["id"], token


def traits_url(space_id: str, identifier: str, what: str = "traits") -> str:
    return f"{profiles_url()}/v1/spaces/{space_id}/collections/users/profiles/{identifier}/{what}"


def get(space, identifier: str, what: str = "traits", token: str | None = None, **params):
    space_id, good_token = space
    return requests.get(
        traits_url(space_id, identifier, what),
        params=params,
        auth=(token if token is not None else good_token, ""),
        timeout=5,
    )


def test_identify_traits_merge_last_write_wins(space, write_key):
    user = unique("user")
    c = client(write_key)
    c.identify(user, {"email": f"{user}@example.com", "plan": "free", "tags": ["a", "b"]})
    c.identify(user, {"plan": "pro", "recommended_products": ["sku-1", "sku-2", "sku-3"]})
    reply = get(space, f"user_id:{user}")
    assert reply.status_code == 200 and reply.headers["Content-Type"] == "application/json"
    body = reply.json()
    assert body["traits"] == {
        "email": f"{user}@example.com",
        "plan": "pro",
        "recommended_products": ["sku-1", "sku-2", "sku-3"],
        "tags": ["a", "b"],
    }
    assert body["cursor"] == {
        "url": f"/v1/spaces/{space[0]}/collections/users/profiles/user_id:{user}/traits",
        "has_more": False,
        "next": "",
    }
    assert profile_traits(space[0], space[1], user) == body["traits"]


def test_limit_cursor_include_and_verbose(space, source, write_key):
    user = unique("user")
    client(write_key).identify(user, {f"t{i:02d}": i for i in range(12)})
    first = get(space, f"user_id:{user}").json()
    assert list(first["traits"]) == [f"t{i:02d}" for i in range(10)]  # default limit 10
    assert first["cursor"]["has_more"] is True and first["cursor"]["next"] == "t10"
    rest = get(space, f"user_id:{user}", limit=5, next=first["cursor"]["next"]).json()
    assert rest["traits"] == {"t10": 10, "t11": 11} and rest["cursor"]["has_more"] is False
    picked = get(space, f"user_id:{user}", include="t03,t07").json()["traits"]
    assert picked == {"t03": 3, "t07": 7}
    verbose = get(space, f"user_id:{user}", include="t01", verbose="true").json()["traits"]
    assert verbose["t01"]["value"] == 1 and verbose["t01"]["source_id"] == source["id"]
    assert get(space, f"user_id:{user}", **{"class": "audience"}).json()["traits"] == {}
    assert profile_traits(space[0], space[1], user, limit=5) == {f"t{i:02d}": i for i in range(12)}


def test_anonymous_activity_joins_the_profile_at_identify(space, write_key):
    user, anon = unique("user"), unique("anon")
    c = client(write_key)
    c.track(anonymous_id=anon, event="Product Viewed", properties={"sku": "s1"})
    c.identify(user, {"first_name": "Ada"}, anonymous_id=anon)
    by_anon = get(space, f"anonymous_id:{anon}").json()["traits"]
    assert by_anon == {"first_name": "Ada"}
    ids = get(space, f"user_id:{user}", "external_ids").json()["data"]
    assert {(i["type"], i["id"]) for i in ids} == {("anonymous_id", anon), ("user_id", user)}
    events = get(space, f"user_id:{user}", "events").json()["data"]
    assert [e["type"] for e in events] == ["identify", "track"]  # newest first
    metadata = get(space, f"user_id:{user}", "metadata").json()["metadata"]
    assert metadata["segment_id"].startswith("use_") and metadata["created_at"]


def test_email_links_profiles_without_giving_one_two_user_ids(space, write_key):
    first, second, email = unique("user"), unique("user"), f"{unique('e')}@example.com"
    c = client(write_key)
    c.identify(first, {"email": email})
    c.identify(second, {"email": email, "x": 1})
    assert get(space, f"user_id:{first}").json()["traits"] == {"email": email}
    assert get(space, f"user_id:{second}").json()["traits"]["x"] == 1


def test_sources_not_connected_build_no_profiles(ws, space):
    other = ws.create_source(unique("src"))
    user = unique("user")
    client(other["writeKeys"][0]).identify(user, {"plan": "pro"})
    assert get(space, f"user_id:{user}").status_code == 404


def test_profile_api_errors(space, write_key):
    user = unique("user")
    client(write_key).identify(user, {"a": 1})
    missing = get(space, "user_id:nobody-" + user)
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "not_found", "message": "Profile was not found."}}
    assert missing.headers["Request-Id"]
    unauthorized = get(space, f"user_id:{user}", token="wrong")
    assert unauthorized.status_code == 401
    assert unauthorized.json()["error"]["code"] == "authentication_error"
    assert requests.get(traits_url(space[0], f"user_id:{user}"), timeout=5).status_code == 401
    for params in ({"limit": "0"}, {"limit": "201"}, {"limit": "x"}, {"class": "nope"}):
        reply = get(space, f"user_id:{user}", **params)
        assert reply.status_code == 400 and reply.json()["error"]["code"] == "validation_error"
    assert get(space, f"USER_ID:{user}").status_code == 400
    assert get(space, user).status_code == 400
    assert get(space, f"user_id:{user}", "nothing").status_code == 404
    assert profile_traits(space[0], space[1], "nobody-" + user) == {}


def test_a_new_token_works_and_the_space_is_reused(ws, space):
    space_id, _ = space
    listed = {s["id"] for s in ws._call("GET", "/spaces")["spaces"]}
    assert space_id in listed
    name = next(s["name"] for s in ws._call("GET", "/spaces")["spaces"] if s["id"] == space_id)
    again, token = ws.create_space(name)
    assert again["id"] == space_id and token.startswith("sgp_")


def test_an_identify_with_300_traits_changes_no_traits(space, write_key):
    user = unique("user")
    c = client(write_key)
    c.identify(user, {"plan": "free"})
    c.identify(user, {f"t{i}": i for i in range(300)})
    assert get(space, f"user_id:{user}").json()["traits"] == {"plan": "free"}


def test_a_deleted_space_takes_its_profiles_along():
    """Cleanup deletes notebook 04's space; a space made again with that name (same id) must
    start empty, or the next run of 04 would find last run's shoppers."""
    from workshop_lib.emulator.segment.profiles import ProfileStore

    store = ProfileStore()
    message = {"type": "identify", "userId": "u1", "traits": {"a": 1}, "messageId": "m1"}
    store.apply("spa_1", "src", [{**message, "receivedAt": "2026-12-05T00:00:00.000Z"}])
    assert store.find("spa_1", "user_id", "u1") is not None
    store.drop("spa_1")
    assert store.find("spa_1", "user_id", "u1") is None
