"""Access rules of the background-jobs pages: platform admins only."""

RULES = {
    "jobs.index": {"roles": {"platform_admin"}},
    "jobs.retry": {"roles": {"platform_admin"}},
}
