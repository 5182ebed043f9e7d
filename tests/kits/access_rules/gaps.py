"""Access to gap analyses: planners, platform admins and organisation admins.

Gap tables are aggregates (no case data), but failed referrals per area and the sensitivity of
some services make them planning material: planners and platform admins need them; an
organisation's admin uses them to place its own programmes. Caseworkers and viewers use the
directory instead; the public sees nothing.
"""

GAP = {"planner", "platform_admin", "org_admin"}

RULES = {
    "gaps.dashboard": {"roles": GAP},
    "gaps.map_view": {"roles": GAP},
    "gaps.map_download": {"roles": GAP},
    "gaps.export": {"roles": GAP},
    "api.gaps": {"roles": GAP},
}
RULES["gaps.fill"] = {"roles": GAP}
RULES["gaps.notebooks"] = {"roles": GAP}
RULES["gaps.notebook_page"] = {"roles": GAP}
RULES["gaps.notebook_download"] = {"roles": GAP}
