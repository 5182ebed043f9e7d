"""Hand-made organisations for the partner tests: a known best partner and a duplicate.

A (GBV case management) and B (legal aid) serve displaced women in Dana, Salqin and Harim
(Idleb); C offers psychosocial support there; D offers legal aid in Aleppo only; E duplicates
A's GBV case management in Dana and Salqin: beyond the need for displaced people (1,000 in need
in each, 520 a month offered), not for women (12,000 and 8,000 in need: a gap, not a
duplication).
"""

from __future__ import annotations

from dataclasses import dataclass

SUBS = ["SY070301", "SY070302", "SY070300"]  # Dana, Salqin, Harim
GROUPS = ["idps", "women"]


@dataclass
class World:
    a: object
    b: object
    c: object
    d: object
    e: object


def build_world(session, make) -> World:
    from data.models import Need

    def org_with(code, coverage, acronym, capacity=50):
        org = make.org(acronym=acronym, hq_pcode="SY07")
        make.service(organization=org, service_type_code=code, coverage=coverage,
                     target_groups=GROUPS, capacity_per_month=capacity)
        return org

    world = World(
        a=org_with("gbv_case_management", SUBS, "PTA", capacity=60),
        b=org_with("prot_legal", SUBS, "PTB"),
        c=org_with("prot_pss", SUBS, "PTC"),
        d=org_with("prot_legal", ["SY0200"], "PTD"),
        e=org_with("gbv_case_management", SUBS[:2], "PTE", capacity=1000),
    )
    for pcode, pin in zip(SUBS, (12000, 8000, 30000), strict=True):
        session.add(Need(pcode=pcode, sector_code="gbv", target_group_code="women",
                         period="2099", people_in_need=pin, source="test"))
        session.add(Need(pcode=pcode, sector_code=None, target_group_code=None,
                         period="2099", people_in_need=1000, source="test"))
    session.flush()
    return world
