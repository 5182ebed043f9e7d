"""Access rules of the forum pages and API (reading needs sign-in; writing a member role of a
verified organisation, which the use cases check; moderation is for platform admins)."""

ALL = {"platform_admin", "org_admin", "supervisor", "caseworker", "planner", "viewer"}
WRITERS = {"platform_admin", "org_admin", "supervisor", "caseworker", "planner"}

RULES = {
    "forum.index": {"roles": ALL},
    "forum.category": {"roles": ALL},
    "forum.thread": {"roles": ALL},
    "forum.organization": {"roles": ALL},
    "forum.attachment": {"roles": ALL},
    "forum.follow": {"roles": ALL},
    "forum.report": {"roles": ALL},
    "forum.new_thread": {"roles": WRITERS},
    "forum.reply": {"roles": WRITERS},
    "forum.hide": {"roles": {"platform_admin"}},
    "forum.lock": {"roles": {"platform_admin"}},
    "forum.dismiss": {"roles": {"platform_admin"}},
    "forum.moderation": {"roles": {"platform_admin"}},
    "api.forum_categories": {"roles": ALL},
    "api.forum_threads": {"roles": ALL},
    "api.forum_thread": {"roles": ALL},
    "api.forum_create_thread": {"roles": WRITERS},
    "api.forum_reply": {"roles": WRITERS},
}
