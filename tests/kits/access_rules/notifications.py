"""Access rules of the notifications page: every signed-in user sees only their own."""

ALL = {"platform_admin", "org_admin", "supervisor", "caseworker", "planner", "viewer"}

RULES = {
    "notifications.index": {"roles": ALL},
    "notifications.read": {"roles": ALL},
}
