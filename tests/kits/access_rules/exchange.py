"""Access rules of the data-exchange pages and export API."""

ALL = {"platform_admin", "org_admin", "supervisor", "caseworker", "planner", "viewer"}

RULES = {
    "exchange.index": {"roles": ALL},
    "exchange.upload": {"roles": {"platform_admin", "org_admin"}},
    "exchange.confirm": {"roles": {"platform_admin", "org_admin"}},
    "exchange.download_export": {"roles": ALL},
    "exchange.aliases": {"roles": {"platform_admin"}},
    "exchange.review": {"roles": {"platform_admin"}},
    "api.export_hsds": {"roles": ALL},
    "api.export_4w_csv": {"roles": ALL},
    "api.export_4w_xlsx": {"roles": ALL},
    "api.export_geojson": {"roles": ALL},
}
