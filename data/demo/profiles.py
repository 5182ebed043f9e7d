"""Plausibility tables for the demo generator: who each service type is for, its eligibility,
its typical capacity and how hard referrals to it are (a term of the referral outcome model).

Keys are service-type codes or their prefixes (``gbv_`` matches every GBV type); the longest
matching key wins, then the sector code, then ``*``.
"""

from __future__ import annotations

# service type -> plausible target groups (the first ones are the most typical).
TARGET_GROUPS: dict[str, tuple[str, ...]] = {
    "gbv_": ("women", "adolescent_girls", "gbv_survivors", "female_headed_households"),
    "gbv_capacity": ("women", "host_community"),
    "cp_": ("children", "uasc", "adolescents", "adolescent_girls"),
    "cp_capacity": ("children", "host_community"),
    "prot_": ("idps", "returnees", "host_community", "women", "pwd", "older_people", "men"),
    "prot_legal": ("idps", "returnees", "female_headed_households", "women", "men"),
    "ma_": ("children", "adolescents", "idps", "returnees", "men"),
    "ma_victim_assistance": ("pwd", "children", "men"),
    "health_": ("idps", "host_community", "women", "children", "older_people", "pwd"),
    "health_reproductive": ("women", "adolescent_girls"),
    "health_mental": ("idps", "women", "men", "youth", "gbv_survivors"),
    "health_rehabilitation": ("pwd", "older_people", "children"),
    "nutrition_": ("children", "women"),
    "edu_": ("children", "adolescents", "adolescent_girls", "youth"),
    "erl_": ("youth", "women", "female_headed_households", "men", "pwd", "returnees"),
    "food_": ("idps", "host_community", "returnees", "female_headed_households"),
    "shelter": ("idps", "returnees", "female_headed_households", "older_people"),
    "nfi": ("idps", "female_headed_households", "older_people", "children"),
    "wash_": ("idps", "host_community", "women"),
    "cccm_": ("idps",),
    "cash_": ("female_headed_households", "idps", "pwd", "older_people", "returnees"),
    "*": ("idps", "host_community", "returnees"),
}

# service type -> (min_age, max_age, share of services for women and girls only).
ELIGIBILITY: dict[str, tuple[int | None, int | None, float]] = {
    "cp_": (0, 17, 0.0),
    "cp_capacity": (18, None, 0.0),
    "gbv_": (12, None, 0.9),
    "gbv_safe_spaces": (12, None, 1.0),
    "gbv_dignity_kits": (12, 49, 1.0),
    "gbv_awareness": (None, None, 0.5),
    "gbv_capacity": (18, None, 0.0),
    "health_reproductive": (15, 49, 1.0),
    "nutrition_treatment": (0, 5, 0.0),
    "edu_formal": (6, 17, 0.0),
    "edu_nonformal": (5, 24, 0.0),
    "edu_school_pss": (6, 17, 0.0),
    "erl_vocational": (15, 35, 0.0),
    "erl_livelihoods": (18, 60, 0.0),
    "prot_training": (18, None, 0.0),
    "*": (None, None, 0.0),
}

# sector -> median capacity (people a month).
CAPACITY: dict[str, int] = {
    "protection": 80, "child_protection": 40, "gbv": 40, "mine_action": 200, "health": 450,
    "food_security": 600, "nutrition": 200, "shelter_nfi": 300, "wash": 1000,
    "education": 120, "early_recovery": 50, "cccm": 1500, "cash": 250, "*": 100,
}

# sector -> weight of the sector among organisations' focus areas.
SECTOR_WEIGHT: dict[str, float] = {
    "protection": 0.16, "child_protection": 0.10, "gbv": 0.10, "mine_action": 0.03,
    "health": 0.12, "food_security": 0.10, "nutrition": 0.05, "shelter_nfi": 0.08,
    "wash": 0.07, "education": 0.08, "early_recovery": 0.07, "cccm": 0.02, "cash": 0.02,
    "*": 0.03,
}

# service type -> additive term of the acceptance logit (scarce services decline more).
TYPE_EFFECT: dict[str, float] = {
    "gbv_": 0.3, "cp_": 0.2, "health_": 0.4, "food_": 0.2, "nutrition_": 0.5,
    "prot_legal": -0.4, "prot_cash": -0.7, "shelter": -0.7, "nfi": -0.2,
    "erl_livelihoods": -0.9, "erl_vocational": -0.3, "cash_": -0.8,
    "health_rehabilitation": -0.3, "edu_": 0.1, "*": 0.0,
}

# Opening-hour patterns: (weekday ISO 1=Mon..7=Sun, opens, closes). Friday/Saturday weekend.
_WORKWEEK = (7, 1, 2, 3, 4)
HOURS_PATTERNS: tuple[tuple[tuple[int, str, str], ...], ...] = (
    tuple((d, "08:00", "14:00") for d in _WORKWEEK),                         # 0 office
    tuple(p for d in _WORKWEEK for p in ((d, "08:00", "12:00"),
                                         (d, "13:00", "16:00"))),             # 1 split day
    tuple((d, "09:00", "15:00") for d in _WORKWEEK) + ((6, "09:00", "13:00"),),  # 2 + Sat
    tuple((d, "08:30", "13:30") for d in (7, 2, 4)),                          # 3 mobile team
    tuple((d, "09:00", "21:00") for d in range(1, 8)),                        # 4 hotline
    tuple(p for d in _WORKWEEK for p in ((d, "08:00", "13:00"),
                                         (d, "17:00", "20:00"))),             # 5 evenings
)

# modality -> (pattern indices, probabilities)
HOURS_BY_MODALITY: dict[str, tuple[tuple[int, ...], tuple[float, ...]]] = {
    "static": ((0, 1, 2, 5), (0.4, 0.25, 0.15, 0.2)),
    "mobile": ((3, 0), (0.6, 0.4)),
    "remote": ((4, 0), (0.7, 0.3)),
}


def lookup(table: dict, code: str, sector: str | None = None):
    """The entry of ``table`` for a service type: longest key prefix, else sector, else ``*``."""
    best = None
    for key in table:
        if key != "*" and code.startswith(key) and (best is None or len(key) > len(best)):
            best = key
    if best is not None:
        return table[best]
    if sector is not None and sector in table:
        return table[sector]
    return table["*"]
