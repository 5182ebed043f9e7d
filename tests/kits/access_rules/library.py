"""Access rules of the library pages and API."""

ALL = {"platform_admin", "org_admin", "supervisor", "caseworker", "planner", "viewer"}

RULES = {
    "library.index": {"roles": {"public"}},
    "library.document": {"roles": {"public"}},
    "library.attachment": {"roles": {"public"}},
    "library.new": {"roles": {"platform_admin"}},
    "library.edit": {"roles": {"platform_admin"}},
    "library.follow": {"roles": ALL},
    "api.library_documents": {"roles": {"public"}},
    "api.library_document": {"roles": {"public"}},
    "api.library_create": {"roles": {"platform_admin"}},
    "api.library_update": {"roles": {"platform_admin"}},
}
