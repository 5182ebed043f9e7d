"""Access rules of focal-point routing (issue 23): staff send and handle requests; the
organisation's admins designate focal points."""

STAFF = {"org_admin", "supervisor", "caseworker"}

RULES = {
    "focal.index": {"roles": STAFF},
    "focal.new_request": {"roles": STAFF},
    "focal.call_back": {"roles": STAFF},
    "focal.convert": {"roles": STAFF},
    "focal.points": {"roles": {"org_admin"}},
    "focal.remove_point": {"roles": {"org_admin"}},
    "api.list_focal_points": {"roles": STAFF},
    "api.designate_focal_point": {"roles": {"org_admin"}},
    "api.designate_member_focal_point": {"roles": {"org_admin"}},
    "api.remove_focal_point": {"roles": {"org_admin"}},
    "api.list_focal_requests": {"roles": STAFF},
    "api.create_focal_request": {"roles": STAFF},
    "api.call_back_focal_request": {"roles": STAFF},
    "api.convert_focal_request": {"roles": STAFF},
}
