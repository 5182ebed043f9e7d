"""Access rules of the service directory pages and the services/organisations API."""

RULES = {
    "directory.search": {"roles": {"public"}},
    "directory.organization": {"roles": {"public"}},
    "directory.service": {"roles": {"public"}},
    "directory.basemap": {"roles": {"public"}},
    "directory.review": {"roles": {"public"}},
    "directory.service_new": {"roles": {"org_admin", "platform_admin"}},
    "directory.service_edit": {"roles": {"org_admin", "platform_admin"}},
    "directory.service_verify": {"roles": {"org_admin", "platform_admin"}},
    "api.list_services": {"roles": {"public"}},
    "api.get_service": {"roles": {"public"}},
    "api.create_service": {"roles": {"org_admin", "platform_admin"}},
    "api.update_service": {"roles": {"org_admin", "platform_admin"}},
    "api.list_organizations": {"roles": {"public"}},
    "api.get_organization": {"roles": {"public"}},
    "api.update_organization": {"roles": {"org_admin", "platform_admin"}},
}
