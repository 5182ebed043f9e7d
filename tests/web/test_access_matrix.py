"""The access matrix: every route of the app (from its URL map) x every role.

Each feature lists its endpoints in ``tests/kits/access_rules/<feature>.py`` (``RULES``); this test
fails when an endpoint has no rule or a rule names no endpoint, then proves for each route
that the roles of its rule get through (anything but 401/403/405) and every other role is
refused: 401 (or a redirect to the sign-in page) for anonymous visitors, 403 for the rest.
"""

from __future__ import annotations

import importlib
import pkgutil
import uuid

import pytest

import tests.kits.access_rules as access_rules

ROLES = ("platform_admin", "org_admin", "supervisor", "caseworker", "planner", "viewer")
CALLERS = ("anonymous", *ROLES)
DUMMY = {"int": 999999, "float": 1.5, "uuid": uuid.UUID(int=999999), "path": "x",
         "default": "x"}


def load_rules() -> dict[str, set[str]]:
    """Every ``RULES`` table of tests/kits/access_rules, merged (a duplicate is an error)."""
    merged: dict[str, set[str]] = {}
    for info in pkgutil.iter_modules(access_rules.__path__):
        module = importlib.import_module(f"tests.kits.access_rules.{info.name}")
        for endpoint, rule in getattr(module, "RULES", {}).items():
            assert endpoint not in merged, f"{endpoint} has rules in two files ({info.name})"
            roles = set(rule["roles"])
            assert roles <= set(ROLES) | {"public"}, f"{endpoint}: unknown roles {roles}"
            merged[endpoint] = roles
    return merged


def _collection_app():
    """An app built at collection time only to read its URL map (no database is opened)."""
    from app import create_app

    return create_app({"TESTING": True, "SECRET_KEY": "collect",
                       "DATABASE_URL": "postgresql://collect@/none?host=/nonexistent"})


def dummy_values(rule) -> dict:
    """A dummy value for each argument of URL rule ``rule``, by its converter."""
    values = {}
    for name, conv in rule._converters.items():
        kind = type(conv).__name__.replace("Converter", "").lower()
        kind = {"integer": "int", "id": "int", "unicodestring": "default",
                "string": "default", "any": "default"}.get(kind, kind)
        value = DUMMY.get(kind, "x")
        if kind == "default" and "pcode" in name:
            value = "SY07"
        if kind == "any":
            value = conv.items[0] if hasattr(conv, "items") else "x"
        values[name] = value
    return values


def routes(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every rule, dummy values in its arguments."""
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        method = "GET" if "GET" in methods else methods[0]
        url = rule.build(dummy_values(rule), append_unknown=False)[1]
        out.append((rule.endpoint, method, url))
    return sorted(out)


ROUTES = routes(_collection_app())
RULES = load_rules()


def test_every_endpoint_has_a_rule_and_every_rule_an_endpoint(app):
    endpoints = {e for e, _m, _u in routes(app)}
    missing = sorted(endpoints - set(RULES))
    extra = sorted(set(RULES) - endpoints)
    assert not missing, f"endpoints without an access rule in tests/kits/access_rules: {missing}"
    assert not extra, f"access rules naming no endpoint: {extra}"


@pytest.fixture
def callers(app, make, login, session):
    """One test client per caller, signed in with a user of that role (own organisation)."""
    from data.models import User

    org = make.org()
    clients = {"anonymous": app.test_client()}
    for role in ROLES:
        # no password: hashing 5 x 30 times with argon2 would dominate the run
        user = User(email=f"matrix-{role}@example.org", role=role, password_hash=None,
                    organization_id=None if role == "platform_admin" else org.id)
        session.add(user)
        session.flush()
        clients[role] = (app.test_client(), user)
    return clients, login


def _denied(caller: str, resp) -> bool:
    if caller == "anonymous":
        return resp.status_code == 401 or (
            resp.status_code in (301, 302, 303) and "/auth/login" in resp.headers["Location"])
    return resp.status_code == 403


def mismatches(clients: dict, login, url: str, method: str, allowed: set[str]) -> list[str]:
    """What each caller got that the rule does not allow (empty: the route matches its rule)."""
    wrong = []
    for caller in CALLERS:
        if caller == "anonymous":
            client = clients[caller]
        else:
            client, user = clients[caller]
            login(user, client)  # again: a previous request may have signed out
        with client.open(url, method=method) as resp:
            status = resp.status_code
            may = "public" in allowed or caller in allowed
            if status == 405:
                wrong.append(f"{caller}: 405 for {method}")
            elif may and (status in (401, 403) or _denied(caller, resp)):
                wrong.append(f"{caller}: refused ({status}) but the rule allows it")
            elif not may and not _denied(caller, resp):
                wrong.append(f"{caller}: answered {status} but the rule refuses it")
    return wrong


@pytest.mark.parametrize(("endpoint", "method", "url"), ROUTES, ids=[r[0] for r in ROUTES])
def test_route_allows_exactly_its_roles(endpoint, method, url, callers):
    if endpoint not in RULES:
        pytest.fail(f"{endpoint} has no access rule in tests/kits/access_rules/")
    clients, login = callers
    wrong = mismatches(clients, login, url, method, RULES[endpoint])
    assert not wrong, f"{method} {url} ({endpoint}, allowed {sorted(RULES[endpoint])}): {wrong}"


@pytest.mark.parametrize(("declared", "rule", "caught"), [
    (("planner",), {"planner"}, []),
    (("planner",), {"viewer"}, ["planner", "viewer"]),
    (("planner", "viewer"), {"viewer"}, ["planner"]),
    (("public",), {"planner"}, ["anonymous", "platform_admin", "org_admin", "supervisor",
                                "caseworker", "viewer"]),
])
def test_the_matrix_catches_a_wrong_declaration(database_url, connection, callers, declared,
                                                 rule, caught):
    """A probe route declared one way and listed another: the checker names each caller."""
    from flask import Blueprint
    from sqlalchemy.orm import sessionmaker

    from app import create_app
    from data.db import Database
    from web.security import allow

    fresh = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "t",
                        "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    bp = Blueprint("matrix_probe", __name__)

    @bp.post("/__probe/<int:item>")
    @allow(*declared)
    def probe(item: int):
        return {"item": item}

    fresh.register_blueprint(bp)
    Database.bind(fresh, sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
    clients, login = callers
    fresh_clients = {"anonymous": fresh.test_client()}
    fresh_clients.update({r: (fresh.test_client(), clients[r][1]) for r in ROLES})
    [(_e, method, url)] = [r for r in routes(fresh) if r[0] == "matrix_probe.probe"]
    assert (method, url) == ("POST", "/__probe/999999")
    wrong = mismatches(fresh_clients, login, url, method, rule)
    assert [w.split(":")[0] for w in wrong] == caught


# Routes answering GET and POST were walked with GET only; a POST handled differently (a role
# check inside the view, another decorator) would have gone unseen.
_BOTH = {r.endpoint for r in _collection_app().url_map.iter_rules()
         if {"GET", "POST"} <= (r.methods or set())}
POSTS = [(e, "POST", u) for e, m, u in ROUTES if m == "GET" and e in _BOTH]


@pytest.mark.parametrize(("endpoint", "method", "url"), POSTS, ids=[r[0] for r in POSTS])
def test_post_of_get_and_post_routes_allows_exactly_its_roles(endpoint, method, url, callers):
    clients, login = callers
    wrong = mismatches(clients, login, url, method, RULES[endpoint])
    assert not wrong, f"{method} {url} ({endpoint}, allowed {sorted(RULES[endpoint])}): {wrong}"
