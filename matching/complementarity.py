"""How much two service types complement each other for the same people (0 = not at all, 1 = fully).

The matrix blends three sources, each scaled to [0, 1]:

* a documented **domain prior** (:data:`DOMAIN_PRIOR`): pairs that protection, GBV, child
  protection, health, food security and WASH coordinators refer between as a matter of course
  (GBV case management with legal aid, PSS, reproductive health and cash; child protection with
  education; food with nutrition; ...);
* **co-occurrence** in the 4W data: the phi correlation of two activities being reported in the
  same communities (the idea behind the WoS inter-cluster ``activity_pairs.csv``), kept when
  positive and supported by at least ``min_support`` communities;
* **completed referrals**: for pairs of organisations that refer to each other, the completed
  referrals between the sender's service types and the service received, symmetrised and
  saturated as ``completed / (referred + half_saturation)``.

The blend is a weighted mean over the sources that have data; the diagonal is zero (the same
service is duplication, not complementarity) and the matrix is symmetric.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

__all__ = ["DOMAIN_PRIOR", "ComplementarityModel", "cooccurrence_matrix", "prior_matrix",
           "referral_matrix"]

#: (service type, service type, strength): the documented domain prior. Strength 1.0 means the
#: two are routinely delivered as one pathway for the same person; 0.5 means often useful.
DOMAIN_PRIOR: tuple[tuple[str, str, float], ...] = (
    # GBV survivors: case management is the hub of the pathway (GBV sub-cluster SOPs).
    ("gbv_case_management", "prot_legal", 0.9),
    ("gbv_case_management", "prot_pss", 0.8),
    ("gbv_case_management", "health_reproductive", 0.9),
    ("gbv_case_management", "health_mental", 0.8),
    ("gbv_case_management", "health_primary", 0.6),
    ("gbv_case_management", "cash_mpca", 0.7),
    ("gbv_case_management", "prot_cash", 0.8),
    ("gbv_case_management", "gbv_safe_spaces", 0.6),
    ("gbv_case_management", "shelter", 0.5),
    ("gbv_women_at_risk", "prot_legal", 0.8),
    ("gbv_women_at_risk", "prot_pss", 0.7),
    ("gbv_women_at_risk", "prot_cash", 0.7),
    ("gbv_women_at_risk", "cash_mpca", 0.6),
    ("gbv_women_at_risk", "erl_livelihoods", 0.5),
    ("gbv_safe_spaces", "erl_vocational", 0.5),
    ("gbv_dignity_kits", "wash_hygiene", 0.4),
    # Child protection with education and family support.
    ("cp_case_management", "edu_formal", 0.7),
    ("cp_case_management", "edu_nonformal", 0.8),
    ("cp_case_management", "prot_legal", 0.7),
    ("cp_case_management", "health_primary", 0.5),
    ("cp_case_management", "prot_cash", 0.6),
    ("cp_case_management", "cp_community", 0.6),
    ("cp_community", "edu_nonformal", 0.7),
    ("cp_community", "edu_school_pss", 0.6),
    # General protection.
    ("prot_case_management", "prot_legal", 0.8),
    ("prot_case_management", "prot_pss", 0.7),
    ("prot_case_management", "prot_cash", 0.7),
    ("prot_case_management", "cash_mpca", 0.6),
    ("prot_case_management", "health_primary", 0.5),
    ("prot_case_management", "shelter", 0.5),
    ("prot_case_management", "health_rehabilitation", 0.5),
    ("prot_legal", "shelter", 0.5),
    ("prot_legal", "edu_formal", 0.5),
    ("prot_pss", "health_mental", 0.8),
    # Mine action survivors.
    ("ma_victim_assistance", "health_rehabilitation", 0.9),
    ("ma_victim_assistance", "prot_pss", 0.6),
    ("ma_victim_assistance", "erl_livelihoods", 0.5),
    # Food with nutrition, nutrition with health and WASH.
    ("food_assistance", "nutrition_treatment", 0.8),
    ("food_assistance", "nutrition_iycf", 0.7),
    ("food_assistance", "food_livelihoods", 0.4),
    ("nutrition_treatment", "health_primary", 0.8),
    ("nutrition_treatment", "nutrition_iycf", 0.7),
    ("nutrition_treatment", "wash_water", 0.6),
    ("nutrition_treatment", "wash_hygiene", 0.6),
    ("nutrition_iycf", "health_reproductive", 0.6),
    # Shelter, camps and WASH.
    ("shelter", "nfi", 0.7),
    ("shelter", "wash_water", 0.6),
    ("cccm_site_management", "shelter", 0.7),
    ("cccm_site_management", "wash_water", 0.7),
    ("cccm_site_management", "wash_hygiene", 0.6),
    ("cccm_site_management", "nfi", 0.6),
    ("cccm_site_management", "health_primary", 0.5),
    # Education and livelihoods.
    ("edu_formal", "edu_school_pss", 0.6),
    ("edu_nonformal", "edu_school_pss", 0.6),
    ("erl_vocational", "erl_livelihoods", 0.7),
)


def _square(types: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(0.0, index=pd.Index(types, name="service_type"),
                        columns=pd.Index(types, name="partner_type"))


def _symmetric_zero_diagonal(values: np.ndarray) -> np.ndarray:
    values = np.maximum(values, values.T)
    np.fill_diagonal(values, 0.0)
    return np.clip(values, 0.0, 1.0)


def prior_matrix(service_types: Iterable[str],
                 pairs: Iterable[tuple[str, str, float]] = DOMAIN_PRIOR) -> pd.DataFrame:
    """The domain prior as a symmetric matrix over ``service_types`` (unknown codes ignored).

    Examples
    --------
    >>> m = prior_matrix(["gbv_case_management", "prot_legal", "food_assistance"])
    >>> float(m.loc["prot_legal", "gbv_case_management"])
    0.9
    """
    types = list(dict.fromkeys(service_types))
    out = _square(types)
    pos = {t: i for i, t in enumerate(types)}
    values = out.to_numpy(copy=True)
    for a, b, strength in pairs:
        if a in pos and b in pos:
            values[pos[a], pos[b]] = max(values[pos[a], pos[b]], float(strength))
    out.loc[:, :] = _symmetric_zero_diagonal(values)
    return out


def cooccurrence_matrix(activities: pd.DataFrame, service_types: Iterable[str], *,
                        min_support: int = 3) -> pd.DataFrame:
    """Phi correlation of service types being reported in the same places (positive part).

    ``activities`` has columns ``place`` (a community or area p-code) and ``service_type``;
    each (place, type) counts once. Pairs seen together in fewer than ``min_support`` places
    get 0. Computed as one sparse product ``B.T @ B`` of the place x type incidence matrix.
    """
    types = list(dict.fromkeys(service_types))
    out = _square(types)
    if activities is None or activities.empty:
        return out
    pos = pd.Index(types)
    frame = activities[["place", "service_type"]].dropna().drop_duplicates()
    col = pos.get_indexer(frame["service_type"])
    frame, col = frame[col >= 0], col[col >= 0]
    if frame.empty:
        return out
    row, places = pd.factorize(frame["place"])
    n = len(places)
    incidence = sparse.csr_matrix((np.ones(len(row)), (row, col)), shape=(n, len(types)))
    together = (incidence.T @ incidence).toarray()
    count = np.diag(together).copy()
    denom = np.sqrt(np.outer(count * (n - count), count * (n - count)))
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = (n * together - np.outer(count, count)) / denom
    phi = np.where(np.isfinite(phi) & (together >= min_support), phi, 0.0)
    out.loc[:, :] = _symmetric_zero_diagonal(phi)
    return out


def referral_matrix(referrals: pd.DataFrame, org_services: pd.DataFrame,
                    service_types: Iterable[str], *, half_saturation: float = 5.0
                    ) -> pd.DataFrame:
    """Complementarity shown by completed referrals between organisations.

    ``referrals``: columns ``sender``, ``service_type`` (the service received) and
    ``completed`` (bool). ``org_services``: columns ``org``, ``service_type`` (what each sender
    offers itself). Each referral spreads one unit over the sender's own types; the matrix is
    ``completed / (referred + half_saturation)`` after symmetrising, so it grows with both the
    completion rate and the volume.
    """
    types = list(dict.fromkeys(service_types))
    out = _square(types)
    if referrals is None or referrals.empty or org_services is None or org_services.empty:
        return out
    pos = pd.Index(types)
    own = org_services[["org", "service_type"]].drop_duplicates()
    own = own[pos.get_indexer(own["service_type"]) >= 0]
    orgs = pd.Index(own["org"].unique())
    ref = referrals[pos.get_indexer(referrals["service_type"]) >= 0]
    ref = ref[orgs.get_indexer(ref["sender"]) >= 0]
    if ref.empty:
        return out
    offered = sparse.csr_matrix(
        (np.ones(len(own)), (orgs.get_indexer(own["org"]), pos.get_indexer(own["service_type"]))),
        shape=(len(orgs), len(types)))
    offered = sparse.diags(1.0 / np.maximum(offered.sum(axis=1).A1, 1.0)) @ offered
    k = len(ref)
    sender = sparse.csr_matrix((np.ones(k), (np.arange(k), orgs.get_indexer(ref["sender"]))),
                               shape=(k, len(orgs)))
    received = sparse.csr_matrix(
        (np.ones(k), (np.arange(k), pos.get_indexer(ref["service_type"]))), shape=(k, len(types)))
    done = sparse.diags(ref["completed"].astype(float).to_numpy())
    from_types = sender @ offered  # referral x sender's types
    referred = (from_types.T @ received).toarray()
    completed = (from_types.T @ done @ received).toarray()
    referred, completed = referred + referred.T, completed + completed.T
    out.loc[:, :] = _symmetric_zero_diagonal(completed / (referred + half_saturation))
    return out


class ComplementarityModel(BaseEstimator):
    """Blend the domain prior, 4W co-occurrence and completed referrals into one matrix.

    Parameters
    ----------
    prior_weight, cooccurrence_weight, referral_weight : float
        Weights of the three sources in the mean (a source without data is left out).
    min_support : int
        Minimum number of shared places for a co-occurrence to count.
    half_saturation : float
        Referrals needed for the referral term to reach half of its completion rate.

    Attributes
    ----------
    matrix_ : pandas.DataFrame
        Symmetric service type x service type matrix in [0, 1] with a zero diagonal.
    components_ : dict[str, pandas.DataFrame]
        The ``prior``, ``cooccurrence`` and ``referrals`` matrices before blending.

    Examples
    --------
    >>> import pandas as pd
    >>> types = ["gbv_case_management", "prot_legal", "food_assistance", "nutrition_treatment"]
    >>> acts = pd.DataFrame({"place": ["C1", "C1", "C2", "C2", "C3"],
    ...                      "service_type": ["food_assistance", "nutrition_treatment"] * 2
    ...                      + ["prot_legal"]})
    >>> m = ComplementarityModel(min_support=2).fit(types, activities=acts)
    >>> round(float(m.matrix_.loc["food_assistance", "nutrition_treatment"]), 2)  # (0.8 + 1) / 2
    0.9
    >>> round(float(m.matrix_.loc["gbv_case_management", "prot_legal"]), 2)  # (0.9 + 0) / 2
    0.45
    >>> float(m.matrix_.loc["food_assistance", "food_assistance"])
    0.0
    """

    def __init__(self, *, prior_weight: float = 1.0, cooccurrence_weight: float = 1.0,
                 referral_weight: float = 1.0, min_support: int = 3,
                 half_saturation: float = 5.0):
        self.prior_weight = prior_weight
        self.cooccurrence_weight = cooccurrence_weight
        self.referral_weight = referral_weight
        self.min_support = min_support
        self.half_saturation = half_saturation

    def fit(self, service_types: Iterable[str], *, activities: pd.DataFrame | None = None,
            referrals: pd.DataFrame | None = None, org_services: pd.DataFrame | None = None
            ) -> ComplementarityModel:
        """Build the matrix over ``service_types`` from whatever data is given."""
        types = list(dict.fromkeys(service_types))
        if not types:
            raise ValueError("service_types is empty: give at least one service type code")
        for name in ("prior_weight", "cooccurrence_weight", "referral_weight"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        parts = {
            "prior": prior_matrix(types),
            "cooccurrence": cooccurrence_matrix(activities, types,
                                                min_support=self.min_support),
            "referrals": referral_matrix(referrals, org_services, types,
                                         half_saturation=self.half_saturation),
        }
        weights = {"prior": self.prior_weight, "cooccurrence": self.cooccurrence_weight,
                   "referrals": self.referral_weight}
        has_data = {"prior": True,
                    "cooccurrence": activities is not None and not activities.empty,
                    "referrals": referrals is not None and not referrals.empty}
        used = [k for k in parts if has_data[k] and weights[k] > 0]
        total = sum(weights[k] for k in used)
        blended = _square(types)
        if total > 0:
            blended.loc[:, :] = sum(weights[k] * parts[k].to_numpy() for k in used) / total
        self.components_ = parts
        self.sources_ = used
        self.matrix_ = blended
        return self

    def pairs(self, *, top: int = 20) -> pd.DataFrame:
        """The ``top`` most complementary pairs, as ``type_a, type_b, strength`` rows."""
        check_is_fitted(self, "matrix_")
        m = self.matrix_
        i, j = np.triu_indices(len(m), k=1)
        values = m.to_numpy()[i, j]
        order = np.argsort(-values, kind="stable")[:top]
        order = order[values[order] > 0]
        return pd.DataFrame({"type_a": m.index[i[order]], "type_b": m.columns[j[order]],
                             "strength": values[order]})
