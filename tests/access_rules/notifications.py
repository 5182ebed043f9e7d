"""Access rules of the notifications page: every signed-in user, for their own rows."""

RULES = {
    "notifications.index": {"roles": {"platform_admin", "org_admin", "caseworker", "planner",
                                      "viewer"}},
    "notifications.mark_read": {"roles": {"platform_admin", "org_admin", "caseworker",
                                          "planner", "viewer"}},
}
