"""Complementary partner suggestions and duplication alerts, with sparse matrix products.

For organisations ``a`` and ``b``:

* **shared reach** ``R[a, b] = P[a] W P[b]ᵀ / sqrt(P[a] W P[a]ᵀ · P[b] W P[b]ᵀ)``: the cosine of
  their presence over (area, target group) cells, each cell weighted by ``w = log1p(people in
  need)`` (or the need itself);
* **complementarity** ``K[a, b] = s[a] C s[b]ᵀ``: the mean complementarity between their
  service types (``s`` is the row-normalised organisation x service type matrix, ``C`` the
  service-complementarity matrix with a zero diagonal);
* **duplication** ``D[a, b]``: the same cosine as the reach, over (area, group, service type)
  offers: the same service to the same group in the same area;
* **score** ``= R · K − duplication_weight · D``; only positive scores are suggested.

All pairs are scored by blocks of rows (``block_size`` organisations at a time) so that memory
stays ``O(block_size x n_orgs)`` floats; no Python loop runs over pairs. Reasons (the shared
cells and the complementary service pairs) are computed for the few suggestions returned only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

__all__ = ["PartnerRecommender", "Suggestion"]

NEED_SCALES = ("log", "linear", "none")


@dataclass(frozen=True)
class Suggestion:
    """One suggested partner with the parts of its score and the reasons, as codes."""

    partner: object
    score: float
    reach: float
    complementarity: float
    duplication: float
    #: (area, group, need) cells both organisations serve, most in need first.
    shared_cells: list[tuple[str, str, float]] = field(default_factory=list)
    #: (own type, partner's type, strength) complementary pairs, strongest first.
    service_pairs: list[tuple[str, str, float]] = field(default_factory=list)
    #: (area, group, service type) offers both make: what they duplicate.
    duplicated: list[tuple[str, str, str]] = field(default_factory=list)


def _need_weight(need: np.ndarray, scale: str) -> np.ndarray:
    need = np.nan_to_num(np.asarray(need, dtype=float), nan=0.0).clip(min=0.0)
    if scale == "log":
        return np.log1p(need) + 1e-9
    if scale == "linear":
        top = need.max() if len(need) and need.max() > 0 else 1.0
        return need / top + 1e-9
    return np.ones_like(need)


def _require(frame: pd.DataFrame, name: str, columns: tuple[str, ...]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {missing}; it needs {list(columns)}")


class PartnerRecommender(BaseEstimator):
    """Suggest complementary partners and flag duplication between organisations.

    Parameters
    ----------
    duplication_weight : float, default 0.5
        How much duplicated offers (same service, group and area) lower a pair's score.
    need_scale : {"log", "linear", "none"}, default "log"
        How people in need weight an (area, group) cell: ``log1p(need)``, need divided by
        the largest need, or 1 for every cell.
    n_reasons : int, default 3
        How many shared cells, service pairs and duplicated offers each suggestion carries.
    block_size : int, default 512
        Organisations scored at a time by :meth:`suggest_all` (memory is about
        ``block_size x n_orgs x 8`` bytes per term).

    Attributes
    ----------
    orgs_ : numpy.ndarray
        Organisation ids, in the row order of every matrix.
    cells_ : pandas.DataFrame
        The (area, group) cells with their ``need`` and ``weight``.
    service_types_ : pandas.Index
        Service type codes, in the column order of ``services_`` and ``complementarity_``.
    presence_ : scipy.sparse.csr_matrix
        Organisation x cell incidence.
    services_ : scipy.sparse.csr_matrix
        Organisation x service type, each row summing to 1.
    complementarity_ : numpy.ndarray
        Service type x service type, symmetric, zero diagonal.
    offers_ : scipy.sparse.csr_matrix
        Organisation x (cell, service type) incidence.
    offer_keys_ : pandas.DataFrame
        For each offer column: ``area, group, service_type, need, capacity``.

    Examples
    --------
    >>> import pandas as pd
    >>> presence = pd.DataFrame({
    ...     "org": [1, 1, 2, 2, 3],
    ...     "area": ["SY070100", "SY070101", "SY070100", "SY070101", "SY070100"],
    ...     "group": ["women"] * 5,
    ...     "service_type": ["gbv_case_management"] * 2 + ["prot_legal"] * 2
    ...                     + ["food_assistance"],
    ...     "need": [5000, 3000, 5000, 3000, 5000]})
    >>> services = presence[["org", "service_type"]].drop_duplicates()
    >>> types = ["gbv_case_management", "prot_legal", "food_assistance"]
    >>> comp = pd.DataFrame([[0, .9, .1], [.9, 0, .1], [.1, .1, 0]], index=types, columns=types)
    >>> model = PartnerRecommender().fit(presence, services, comp)
    >>> [s.partner for s in model.suggest(1, top=2)]
    [2, 3]
    >>> model.suggest(1)[0].service_pairs[0][:2]
    ('gbv_case_management', 'prot_legal')
    """

    def __init__(self, *, duplication_weight: float = 0.5, need_scale: str = "log",
                 n_reasons: int = 3, block_size: int = 512):
        self.duplication_weight = duplication_weight
        self.need_scale = need_scale
        self.n_reasons = n_reasons
        self.block_size = block_size

    # ------------------------------------------------------------------ fitting
    def fit(self, presence: pd.DataFrame, services: pd.DataFrame,
            complementarity: pd.DataFrame) -> PartnerRecommender:
        """Learn the matrices from the three frames.

        Parameters
        ----------
        presence : DataFrame
            One row per offer: ``org, area, group, service_type``, with optional ``need``
            (people in need in that area and group; default 1) and ``capacity`` (what the
            offer can serve there, e.g. per month; used for coverage ratios).
        services : DataFrame
            ``org, service_type`` and an optional ``weight`` (default 1).
        complementarity : DataFrame
            Square service type x service type matrix (index and columns are type codes).

        Returns
        -------
        self
        """
        self._validate_params()
        _require(presence, "presence", ("org", "area", "group", "service_type"))
        _require(services, "services", ("org", "service_type"))
        if not isinstance(complementarity, pd.DataFrame):
            raise TypeError("complementarity must be a square DataFrame of service types")
        if list(complementarity.index) != list(complementarity.columns):
            raise ValueError("complementarity must have the same service types as index and "
                             "columns, in the same order")
        presence = presence.assign(
            need=presence["need"] if "need" in presence else 1.0,
            capacity=presence["capacity"] if "capacity" in presence else np.nan)
        presence = presence.dropna(subset=["org", "area", "group", "service_type"])
        weight = services["weight"] if "weight" in services else 1.0
        services = services.assign(weight=weight).dropna(subset=["org", "service_type"])

        orgs = pd.Index(pd.unique(pd.concat([presence["org"], services["org"]],
                                            ignore_index=True))).sort_values()
        types = pd.Index(pd.unique(pd.concat(
            [pd.Series(complementarity.index), services["service_type"],
             presence["service_type"]], ignore_index=True)))
        n = len(orgs)

        # (area, group) cells, their need and weight
        cell_of, cells = pd.factorize(pd.MultiIndex.from_arrays(
            [presence["area"].astype(str), presence["group"].astype(str)]))
        need = pd.Series(presence["need"].to_numpy(float)).groupby(cell_of).max()
        cell_need = need.reindex(np.arange(len(cells))).to_numpy()
        cell_weight = _need_weight(cell_need, self.need_scale)
        org_row = orgs.get_indexer(presence["org"])
        presence_m = sparse.csr_matrix((np.ones(len(cell_of)), (org_row, cell_of)),
                                       shape=(n, len(cells)))
        presence_m.data[:] = 1.0  # duplicates summed by the constructor: back to incidence

        # offers: (cell, type)
        type_col = types.get_indexer(presence["service_type"])
        offer_code = cell_of.astype(np.int64) * len(types) + type_col
        offer_of, offer_codes = pd.factorize(offer_code, sort=True)
        offers_m = sparse.csr_matrix((np.ones(len(offer_of)), (org_row, offer_of)),
                                     shape=(n, len(offer_codes)))
        offers_m.data[:] = 1.0
        offer_cell = (offer_codes // len(types)).astype(np.int64)
        offer_type = (offer_codes % len(types)).astype(np.int64)
        capacity = pd.Series(presence["capacity"].to_numpy(float)).groupby(offer_of).sum(
            min_count=1).reindex(np.arange(len(offer_codes))).to_numpy()

        # services, each row summing to 1
        srow = orgs.get_indexer(services["org"])
        scol = types.get_indexer(services["service_type"])
        services_m = sparse.csr_matrix((services["weight"].to_numpy(float), (srow, scol)),
                                       shape=(n, len(types)))
        row_sum = np.asarray(services_m.sum(axis=1)).ravel()
        services_m = (sparse.diags(1.0 / np.where(row_sum > 0, row_sum, 1.0)) @ services_m
                      ).tocsr()

        comp = complementarity.reindex(index=types, columns=types).fillna(0.0).to_numpy(float)
        comp = np.clip(np.maximum(comp, comp.T), 0.0, None)
        np.fill_diagonal(comp, 0.0)

        self.orgs_ = orgs.to_numpy()
        self.cells_ = pd.DataFrame({"area": cells.get_level_values(0),
                                    "group": cells.get_level_values(1),
                                    "need": cell_need, "weight": cell_weight})
        self.service_types_ = types
        self.presence_ = presence_m
        self.services_ = services_m
        self.complementarity_ = comp
        self.offers_ = offers_m
        self.offer_keys_ = pd.DataFrame({
            "area": self.cells_["area"].to_numpy()[offer_cell],
            "group": self.cells_["group"].to_numpy()[offer_cell],
            "service_type": types.to_numpy()[offer_type],
            "need": cell_need[offer_cell], "capacity": capacity})
        self.offer_weight_ = cell_weight[offer_cell]
        # precomputed halves of the products
        self._presence_wt = (presence_m @ sparse.diags(cell_weight)).T.tocsr()  # cells x orgs
        self._offers_wt = (offers_m @ sparse.diags(self.offer_weight_)).T.tocsr()
        self._services_t = services_m.T.tocsr()
        self._services_comp = np.asarray(services_m @ comp)  # orgs x types
        self.self_reach_ = np.asarray(presence_m @ cell_weight).ravel()
        self.self_offers_ = np.asarray(offers_m @ self.offer_weight_).ravel()
        self._org_pos = pd.Index(self.orgs_)
        self._cell_arrays = tuple(self.cells_[c].to_numpy() for c in
                                  ("area", "group", "need", "weight"))
        self._type_array = types.to_numpy()
        self._offer_arrays = tuple(self.offer_keys_[c].to_numpy() for c in
                                   ("area", "group", "service_type"))
        return self

    def _validate_params(self) -> None:
        if self.need_scale not in NEED_SCALES:
            raise ValueError(f"need_scale must be one of {NEED_SCALES}, got {self.need_scale!r}")
        if self.duplication_weight < 0:
            raise ValueError(f"duplication_weight must be >= 0, got {self.duplication_weight}")
        if int(self.block_size) < 1 or int(self.n_reasons) < 0:
            raise ValueError("block_size must be >= 1 and n_reasons >= 0")

    # ------------------------------------------------------------------ scoring
    def _index(self, org: object) -> int:
        check_is_fitted(self, "presence_")
        i = self._org_pos.get_indexer([org])[0]
        if i < 0:
            raise KeyError(f"organisation {org!r} was not in the data the model was fitted on")
        return int(i)

    def _block(self, rows: np.ndarray, cell_mask: np.ndarray | None = None,
               type_mask: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
        """Scores of ``rows`` against every organisation: (score, reach, comp, dup) arrays."""
        presence_wt = self._presence_wt
        if cell_mask is not None:
            presence_wt = sparse.diags(cell_mask.astype(float)) @ presence_wt
        shared = (self.presence_[rows] @ presence_wt).toarray()
        norm = np.sqrt(np.outer(self.self_reach_[rows], self.self_reach_))
        reach = np.divide(shared, norm, out=np.zeros_like(shared), where=norm > 0)

        services_t = self._services_t
        if type_mask is not None:
            services_t = sparse.diags(type_mask.astype(float)) @ services_t
        comp = np.asarray(services_t.T @ self._services_comp[rows].T).T  # rows x orgs

        dup_raw = (self.offers_[rows] @ self._offers_wt).toarray()
        dnorm = np.sqrt(np.outer(self.self_offers_[rows], self.self_offers_))
        dup = np.divide(dup_raw, dnorm, out=np.zeros_like(dup_raw), where=dnorm > 0)

        score = reach * comp - self.duplication_weight * dup
        score[np.arange(len(rows)), rows] = -np.inf  # never oneself
        score[shared <= 0] = -np.inf  # no shared reach (under the filters): not a partner
        if type_mask is not None:
            has_type = np.asarray(services_t.sum(axis=0)).ravel() > 0
            score[:, ~has_type] = -np.inf
        return score, reach, comp, dup

    def _masks(self, area: str | None, group: str | None,
               partner_types: list[str] | None) -> tuple[np.ndarray | None, ...]:
        cell_mask = None
        if area or group:
            cell_mask = np.ones(len(self.cells_), dtype=bool)
            if area:
                cell_mask &= self.cells_["area"].str.startswith(area).to_numpy()
            if group:
                cell_mask &= (self.cells_["group"] == group).to_numpy()
        type_mask = None
        if partner_types is not None:
            type_mask = self.service_types_.isin(list(partner_types))
        return cell_mask, type_mask

    def scores(self, org: object, *, area: str | None = None, group: str | None = None,
               partner_types: list[str] | None = None) -> pd.DataFrame:
        """Every other organisation's ``score, reach, complementarity, duplication`` for
        ``org`` (indexed by organisation id; non-candidates have score ``-inf``)."""
        i = self._index(org)
        masks = self._masks(area, group, partner_types)
        score, reach, comp, dup = (a[0] for a in self._block(np.array([i]), *masks))
        return pd.DataFrame({"score": score, "reach": reach, "complementarity": comp,
                             "duplication": dup}, index=pd.Index(self.orgs_, name="org"))

    def suggest(self, org: object, *, top: int = 10, area: str | None = None,
                group: str | None = None, partner_types: list[str] | None = None,
                exclude: list[object] | None = None) -> list[Suggestion]:
        """The ``top`` partners for ``org``, best first, each with its reasons.

        ``area`` (a p-code prefix) and ``group`` restrict the shared reach to those cells;
        ``partner_types`` keeps partners offering one of those service types and counts only
        those types' complementarity; ``exclude`` drops some organisations (e.g. partners
        already). Raises ``KeyError`` for an organisation the model has not seen.
        """
        i = self._index(org)
        if top < 1:
            raise ValueError(f"top must be >= 1, got {top}")
        cell_mask, type_mask = self._masks(area, group, partner_types)
        score, reach, comp, dup = (a[0] for a in self._block(np.array([i]), cell_mask,
                                                              type_mask))
        if exclude:
            drop = self._org_pos.get_indexer(list(exclude))
            score[drop[drop >= 0]] = -np.inf
        best = _top(score[None, :], top)[0]
        best = best[np.isfinite(score[best]) & (score[best] > 0)]
        return [self._explain(i, int(j), float(score[j]), float(reach[j]), float(comp[j]),
                              float(dup[j]), cell_mask, type_mask) for j in best]

    def suggest_all(self, *, top: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The ``top`` partners of every organisation, by blocks of rows.

        Only pairs with shared reach are scored: per block, the shared-reach product is kept
        sparse, the complementarity block is one dense ``block x n_orgs`` product, and the
        duplication product is looked up at the shared pairs. Returns ``(partners, scores)``,
        two ``n_orgs x top`` arrays: partner ids (``-1`` padding where fewer candidates exist)
        and their scores (``nan`` padding).
        """
        check_is_fitted(self, "presence_")
        n = len(self.orgs_)
        k = min(top, max(n - 1, 1))
        idx = np.full((n, k), -1, dtype=np.int64)
        val = np.full((n, k), np.nan)
        step = int(self.block_size)
        for start in range(0, n, step):
            rows = np.arange(start, min(start + step, n))
            r, c, score = self._sparse_block(rows)
            keep = (score > 0) & (rows[r] != c)
            r, c, score = r[keep], c[keep], score[keep]
            order = np.lexsort((c, -score, r))
            r, c, score = r[order], c[order], score[order]
            first = np.searchsorted(r, np.arange(len(rows)))
            rank = np.arange(len(r)) - first[r]
            top_k = rank < k
            idx[rows[r[top_k]], rank[top_k]] = c[top_k]
            val[rows[r[top_k]], rank[top_k]] = score[top_k]
        ids = np.where(idx >= 0, self.orgs_[np.maximum(idx, 0)], -1)
        return ids, val

    def _sparse_block(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(local row, column, score) of every pair of ``rows`` with shared reach."""
        shared = (self.presence_[rows] @ self._presence_wt).tocsr()
        shared.sort_indices()
        r = np.repeat(np.arange(len(rows)), np.diff(shared.indptr))
        c = shared.indices.astype(np.int64)
        reach = shared.data / np.sqrt(self.self_reach_[rows][r] * self.self_reach_[c])
        comp_block = np.asarray(self._services_t.T @ self._services_comp[rows].T).T
        comp = comp_block[r, c]
        dup_m = (self.offers_[rows] @ self._offers_wt).tocsr()
        dup_m.sort_indices()
        dr = np.repeat(np.arange(len(rows)), np.diff(dup_m.indptr))
        keys = r * len(self.orgs_) + c
        dkeys = dr * len(self.orgs_) + dup_m.indices.astype(np.int64)
        dup = np.zeros(len(keys))
        if len(dkeys):
            at = np.searchsorted(keys, dkeys)  # every duplicated pair shares reach
            dnorm = np.sqrt(self.self_offers_[rows][dr] * self.self_offers_[dup_m.indices])
            dup[at] = dup_m.data / dnorm
        return r, c, reach * comp - self.duplication_weight * dup

    def _explain(self, i: int, j: int, score: float, reach: float, comp: float, dup: float,
                 cell_mask: np.ndarray | None, type_mask: np.ndarray | None) -> Suggestion:
        """Reasons for one pair: shared cells, complementary service pairs, duplicated offers."""
        k = int(self.n_reasons)
        area, group, need, weight = self._cell_arrays
        common = np.intersect1d(_row(self.presence_, i), _row(self.presence_, j),
                                assume_unique=True)
        if cell_mask is not None:
            common = common[cell_mask[common]]
        order = common[np.argsort(-weight[common], kind="stable")][:k]
        shared = [(str(area[c]), str(group[c]), float(need[c])) for c in order]
        own, theirs = _row(self.services_, i), _row(self.services_, j)
        if type_mask is not None:
            theirs = theirs[type_mask[theirs]]
        sub = self.complementarity_[np.ix_(own, theirs)]
        flat = np.argsort(-sub, axis=None, kind="stable")[:k]
        ra, rb = np.unravel_index(flat, sub.shape) if sub.size else ((), ())
        types = self._type_array
        pairs = [(str(types[own[x]]), str(types[theirs[y]]), float(sub[x, y]))
                 for x, y in zip(ra, rb, strict=True) if sub[x, y] > 0]
        same = np.intersect1d(_row(self.offers_, i), _row(self.offers_, j), assume_unique=True)
        same = same[np.argsort(-self.offer_weight_[same], kind="stable")][:k]
        o_area, o_group, o_type = self._offer_arrays
        duplicated = [(str(o_area[o]), str(o_group[o]), str(o_type[o])) for o in same]
        partner = self.orgs_[j]
        return Suggestion(partner.item() if hasattr(partner, "item") else partner, score, reach,
                          comp, dup, shared, pairs, duplicated)

    # ------------------------------------------------------------------ duplication
    def duplication_alerts(self, *, org: object | None = None, area: str | None = None,
                           min_orgs: int = 2, periods: float = 1.0,
                           min_coverage: float | None = None) -> pd.DataFrame:
        """Offers made by ``min_orgs`` or more organisations: same service, group and area.

        Columns: ``area, group, service_type, orgs`` (tuple of ids), ``n_orgs, need,
        capacity, coverage_ratio`` (capacity x ``periods`` / need, e.g. ``periods=12`` for a
        year of monthly capacity against a year's need; NaN when either is unknown). Restrict
        to the offers of ``org`` and/or to areas whose p-code starts with ``area``; with
        ``min_coverage``, keep only offers whose organisations together cover at least that
        share of the need (duplication *beyond* the need, never where coverage is low).
        Sorted by the number of organisations, then the coverage ratio, both descending.
        """
        check_is_fitted(self, "offers_")
        csc = self.offers_.tocsc()
        counts = np.diff(csc.indptr)
        keep = counts >= min_orgs
        if org is not None:
            mine = np.zeros(len(counts), dtype=bool)
            mine[self.offers_[self._index(org)].indices] = True
            keep &= mine
        if area:
            keep &= self.offer_keys_["area"].str.startswith(area).to_numpy()
        cols = np.flatnonzero(keep)
        sub = csc[:, cols]
        members = np.split(sub.indices, sub.indptr[1:-1]) if len(cols) else []
        out = self.offer_keys_.iloc[cols].reset_index(drop=True)
        out.insert(3, "orgs", [tuple(self.orgs_[np.sort(m)].tolist()) for m in members])
        out.insert(4, "n_orgs", counts[cols])
        need = out["need"].to_numpy(float)
        out["coverage_ratio"] = np.divide(out["capacity"].to_numpy(float) * periods, need,
                                          out=np.full(len(out), np.nan), where=need > 0)
        if min_coverage is not None:
            out = out[out["coverage_ratio"].to_numpy(float) >= min_coverage]  # NaN: never
        return out.sort_values(["n_orgs", "coverage_ratio"], ascending=False,
                               na_position="last", kind="stable").reset_index(drop=True)


def _row(matrix: sparse.csr_matrix, i: int) -> np.ndarray:
    """Column indices of row ``i`` of a CSR matrix, without building a sub-matrix."""
    return matrix.indices[matrix.indptr[i]:matrix.indptr[i + 1]]


def _top(score: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the ``k`` largest values of each row, largest first (ties: lower id)."""
    n = score.shape[1]
    k = min(k, n)
    if k < n:
        part = np.argpartition(-score, k - 1, axis=1)[:, :k]
    else:
        part = np.broadcast_to(np.arange(n), score.shape).copy()
    vals = np.take_along_axis(score, part, axis=1)
    order = np.lexsort((part, -vals))  # along each row: score descending, then index
    return np.take_along_axis(part, order, axis=1)
