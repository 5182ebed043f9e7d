"""Multi-need bundles as a weighted set cover: fewest providers first, then least distance.

Rows are providers (organisations), columns are the person's needs. ``distance[i, j]`` is the
distance in metres from the person to provider ``i``'s nearest eligible service for need ``j``
(``inf`` where ``i`` cannot serve ``j``). A bundle is a set of rows covering every coverable
need; each need is served by the nearest chosen row. Its cost is the pair
(number of rows, total distance), compared lexicographically.

* Exact (``method="exact"``): enumeration of row subsets by increasing size after removing
  dominated rows, so the first size with a cover is optimal and the least-distance subset of
  that size wins. Used while the number of subsets to examine stays under ``exact_limit``.
* Greedy (``method="greedy"``): repeatedly take the row with most newly covered needs per unit
  weight, ``weight = 1 + d / (D + 1)`` where ``d`` is the row's distance over the needs it
  would newly serve and ``D`` the sum of all finite distances (so every weight lies in
  [1, 2) and the count dominates). Chvátal's bound: the greedy weight is at most
  ``H(n) <= ln(n) + 1`` times the optimal weight, ``n`` the number of needs.

Example
-------
>>> import numpy as np
>>> inf = np.inf
>>> d = np.array([[1.0, inf, inf], [inf, 2.0, 3.0], [5.0, 5.0, inf]])
>>> solve(d).rows
(0, 1)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations

import numpy as np

__all__ = ["Bundle", "greedy_bound", "solve"]


@dataclass(frozen=True)
class Bundle:
    """The chosen rows, which row serves each need (-1: nobody can), and the costs."""

    rows: tuple[int, ...]
    assignment: tuple[int, ...]
    total_distance: float
    uncovered: tuple[int, ...]
    exact: bool
    bound: float  # guaranteed ratio to the optimum (1.0 when exact)

    @property
    def size(self) -> int:
        return len(self.rows)


def greedy_bound(n_needs: int) -> float:
    """Chvátal's guarantee for greedy weighted set cover: H(n) <= ln(n) + 1."""
    return float(sum(1.0 / k for k in range(1, max(n_needs, 1) + 1)))


def _assign(distance: np.ndarray, rows: tuple[int, ...], cols: np.ndarray) -> tuple[
        np.ndarray, float]:
    sub = distance[np.ix_(np.asarray(rows, dtype=int), cols)]
    best = sub.argmin(axis=0)
    return np.asarray(rows)[best], float(sub.min(axis=0).sum())


def _undominated(distance: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Drop a row when another row serves every need it serves, at least as near (of two
    identical rows the first is kept)."""
    sub = distance[rows]
    keep = []
    for pos, i in enumerate(rows):
        no_worse = (sub <= sub[pos]).all(axis=1)
        better = (sub < sub[pos]).any(axis=1) | (rows < i)
        no_worse[pos] = False
        if not (no_worse & better).any():
            keep.append(i)
    return np.asarray(keep, dtype=int)


def _count_subsets(m: int, k_max: int) -> int:
    return sum(math.comb(m, k) for k in range(1, k_max + 1))


def _exact(distance: np.ndarray, cols: np.ndarray) -> tuple[tuple[int, ...], float] | None:
    cover = np.isfinite(distance[:, cols])
    candidates = _undominated(distance[:, cols], np.flatnonzero(cover.any(axis=1)))
    for k in range(1, len(cols) + 1):
        best: tuple[float, tuple[int, ...]] | None = None
        for combo in combinations(candidates.tolist(), k):
            if not cover[list(combo)].any(axis=0).all():
                continue
            _, total = _assign(distance, combo, cols)
            if best is None or total < best[0]:
                best = (total, tuple(sorted(combo)))
        if best is not None:
            return best[1], best[0]
    return None


def _greedy(distance: np.ndarray, cols: np.ndarray) -> tuple[int, ...]:
    sub = distance[:, cols]
    finite = np.isfinite(sub)
    scale = float(sub[finite].sum()) + 1.0
    uncovered = np.ones(len(cols), dtype=bool)
    chosen: list[int] = []
    while uncovered.any():
        gain = (finite & uncovered).sum(axis=1).astype(float)
        dist = np.where(finite & uncovered, sub, 0.0).sum(axis=1)
        weight = 1.0 + dist / scale
        score = np.where(gain > 0, gain / weight, -1.0)
        row = int(score.argmax())
        chosen.append(row)
        uncovered &= ~finite[row]
    return tuple(sorted(chosen))


def solve(distance: np.ndarray, *, method: str = "auto", exact_limit: int = 200_000) -> Bundle:
    """The bundle covering every coverable need (see the module docstring).

    ``method``: "exact", "greedy", or "auto" (exact while at most ``exact_limit`` subsets of
    the undominated providers would be examined in the worst case, greedy beyond).
    """
    if method not in ("auto", "exact", "greedy"):
        raise ValueError("method must be 'auto', 'exact' or 'greedy'")
    distance = np.asarray(distance, dtype=float)
    if distance.ndim != 2:
        raise ValueError("distance must be a 2-D array (providers x needs)")
    if np.any(distance < 0):
        raise ValueError("distances must be >= 0 (use inf where a provider cannot serve)")
    m, n = distance.shape
    coverable = np.isfinite(distance).any(axis=0) if m else np.zeros(n, dtype=bool)
    cols = np.flatnonzero(coverable)
    uncovered = tuple(int(j) for j in np.flatnonzero(~coverable))
    if len(cols) == 0:
        return Bundle((), tuple([-1] * n), 0.0, uncovered, True, 1.0)
    if method == "auto":
        finite = distance[:, cols]
        rows_left = _undominated(finite, np.flatnonzero(np.isfinite(finite).any(axis=1)))
        use_exact = _count_subsets(len(rows_left), len(cols)) <= exact_limit
    else:
        use_exact = method == "exact"
    if use_exact:
        found = _exact(distance, cols)
        assert found is not None  # every column is coverable
        rows, _ = found
    else:
        rows = _greedy(distance, cols)
    served, total = _assign(distance, rows, cols)
    assignment = np.full(n, -1, dtype=int)
    assignment[cols] = served
    return Bundle(rows, tuple(int(x) for x in assignment), total, uncovered, use_exact,
                  1.0 if use_exact else greedy_bound(len(cols)))
