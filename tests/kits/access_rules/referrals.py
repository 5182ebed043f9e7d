"""Access rules of the referral pages and API (object-level checks come on top: only the two
organisations' users see a referral, others get 404)."""

STAFF = {"org_admin", "supervisor", "caseworker"}
READERS = {"org_admin", "supervisor", "caseworker", "viewer"}
GLASS = {"org_admin", "supervisor"}  # break the glass, end a grant early

RULES = {
    "referrals.new": {"roles": STAFF},
    "referrals.inbox": {"roles": READERS},
    "referrals.outbox": {"roles": READERS},
    "referrals.detail": {"roles": READERS},
    "referrals.act": {"roles": STAFF},
    "referrals.note": {"roles": STAFF},
    "referrals.print_form": {"roles": STAFF},
    "referrals.feedback_code": {"roles": STAFF},
    "referrals.bundle": {"roles": STAFF},
    "referrals.consent": {"roles": STAFF},
    "referrals.revoke": {"roles": STAFF},
    "referrals.renew": {"roles": STAFF},
    "referrals.glass": {"roles": GLASS},
    "referrals.glass_list": {"roles": {"org_admin"}},
    "referrals.glass_end": {"roles": GLASS},
    "api.create_referral": {"roles": STAFF},
    "api.list_referrals": {"roles": READERS},
    "api.get_referral": {"roles": READERS},
    "api.transition_referral": {"roles": STAFF},
    "api.get_consent": {"roles": STAFF},
    "api.revoke_referral_consent": {"roles": STAFF},
    "api.renew_referral_consent": {"roles": STAFF},
    "api.break_glass": {"roles": GLASS},
    "api.list_glass": {"roles": {"org_admin"}},
    "api.end_glass_access": {"roles": GLASS},
}
