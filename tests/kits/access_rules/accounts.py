"""Access rules of sign-in, registration, organisation membership, tokens and admin pages."""

ALL = {"platform_admin", "org_admin", "supervisor", "caseworker", "planner", "viewer"}
ORG = {"org_admin", "supervisor", "caseworker", "planner", "viewer"}

RULES = {
    "auth.forgot": {"roles": {"public"}},
    "auth.reset": {"roles": {"public"}},
    "auth.register": {"roles": {"public"}},
    "auth.accept_invitation": {"roles": {"public"}},
    "auth.password": {"roles": ALL},
    "accounts.organization": {"roles": ORG},
    "api.list_members": {"roles": {"org_admin"}},
    "api.update_member": {"roles": {"org_admin"}},
    "accounts.edit_organization": {"roles": {"org_admin"}},
    "accounts.members": {"roles": {"org_admin"}},
    "accounts.invite": {"roles": {"org_admin"}},
    "accounts.change_role": {"roles": {"org_admin"}},
    "accounts.remove_member": {"roles": {"org_admin"}},
    "accounts.tokens": {"roles": {"org_admin"}},
    "accounts.revoke_token": {"roles": {"org_admin"}},
    "accounts.webhooks_page": {"roles": {"org_admin"}},
    "accounts.switch_webhook": {"roles": {"org_admin"}},
    "accounts.delete_webhook": {"roles": {"org_admin"}},
    "accounts.test_webhook": {"roles": {"org_admin"}},
    "accounts.changes_page": {"roles": {"org_admin", "platform_admin"}},
    "accounts.pending_organizations": {"roles": {"platform_admin"}},
    "accounts.decide_organization": {"roles": {"platform_admin"}},
    "accounts.audit_log": {"roles": {"platform_admin"}},
    "api.me": {"roles": ALL},
    "auth.sessions_page": {"roles": ALL},
    "auth.end_all_sessions": {"roles": ALL},
    "accounts.user_sessions": {"roles": {"platform_admin"}},
    "accounts.end_user_sessions": {"roles": {"platform_admin"}},
    "api.my_sessions": {"roles": ALL},
    "api.end_my_sessions": {"roles": ALL},
    "api.end_user_sessions": {"roles": {"platform_admin"}},
}
