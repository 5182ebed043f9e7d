"""Access rules of the partners pages and API."""

ORG_ROLES = {"org_admin", "supervisor", "caseworker", "viewer", "planner", "platform_admin"}
ALL = {"platform_admin", "org_admin", "supervisor", "caseworker", "planner", "viewer"}

RULES = {
    "partners.index": {"roles": ORG_ROLES},
    "partners.create_request": {"roles": {"org_admin"}},
    "partners.requests": {"roles": {"org_admin"}},
    "partners.answer": {"roles": {"org_admin"}},
    "partners.create_pathway_request": {"roles": {"org_admin"}},
    "partners.answer_pathway": {"roles": {"org_admin"}},
    "partners.end": {"roles": {"org_admin"}},
    "partners.duplication": {"roles": ORG_ROLES},
    "partners.area_duplication": {"roles": {"planner", "platform_admin"}},
    "partners.network": {"roles": ALL},
    "api.org_partner_suggestions": {"roles": ORG_ROLES},
    "api.org_duplication": {"roles": ORG_ROLES},
    "api.area_duplication": {"roles": {"planner", "platform_admin"}},
    "api.org_partnerships": {"roles": {"public"}},
    "api.partnership_requests": {"roles": {"org_admin"}},
    "api.create_partnership_request": {"roles": {"org_admin"}},
    "api.answer_partnership_request": {"roles": {"org_admin"}},
}
