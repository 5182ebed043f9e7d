"""Access rules of the core pages and reference API."""

ALL = {"platform_admin", "org_admin", "supervisor", "caseworker", "planner", "viewer"}

RULES = {
    "main.index": {"roles": {"public"}},
    "main.set_language": {"roles": {"public"}},
    "main.leaflet_asset": {"roles": {"public"}},
    "auth.login": {"roles": {"public"}},
    "auth.logout": {"roles": ALL},
    "api.root": {"roles": {"public"}},
    "api.openapi": {"roles": {"public"}},
    "api.areas": {"roles": {"public"}},
    "api.taxonomy": {"roles": {"public"}},
}
