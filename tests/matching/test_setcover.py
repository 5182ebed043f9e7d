"""Weighted set cover for multi-need bundles: hand-made cases with known optima."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from matching.setcover import greedy_bound, solve

INF = np.inf


def brute_force(d: np.ndarray) -> tuple[int, float]:
    """(fewest rows, least distance) over every subset: the reference optimum."""
    m, n = d.shape
    cols = np.flatnonzero(np.isfinite(d).any(axis=0))
    best = None
    for k in range(1, m + 1):
        for combo in itertools.combinations(range(m), k):
            sub = d[np.ix_(combo, cols)]
            if not np.isfinite(sub).any(axis=0).all():
                continue
            cost = (k, float(sub.min(axis=0).sum()))
            best = cost if best is None or cost < best else best
        if best is not None:
            return best
    return (0, 0.0)


CASES = [
    # one provider covers everything but is far: still fewest organisations first
    ("one_far_beats_two_near", [[1, INF], [INF, 1], [50, 50]], (2,), 100.0),
    # two providers of equal count: the nearer pair wins
    ("nearer_pair", [[1, INF], [INF, 2], [5, INF], [INF, 5]], (0, 1), 3.0),
    # each need assigned to the nearest chosen provider
    ("assignment_nearest", [[10, 1, INF, 3], [1, 10, 5, INF]], (0, 1), 1 + 1 + 5 + 3.0),
    # classic instance where greedy (by count) picks the big set first and needs 3
    ("greedy_trap", [[1, 1, 1, 1, INF, INF], [INF, INF, INF, 1, 1, 1],
                     [1, 1, 1, INF, INF, INF], [INF, INF, INF, INF, INF, INF]], None, None),
]


@pytest.mark.parametrize("name,d,rows,total", CASES)
def test_exact_matches_known_optimum(name, d, rows, total):
    d = np.array(d, dtype=float)
    result = solve(d, method="exact")
    assert result.exact and result.bound == 1.0
    assert (result.size, result.total_distance) == brute_force(d)
    if rows is not None:
        assert result.rows == rows and result.total_distance == total
    for need, row in enumerate(result.assignment):
        assert row in result.rows and np.isfinite(d[row, need])


def test_uncoverable_needs_are_reported():
    d = np.array([[1, INF, INF], [INF, 2, INF]])
    result = solve(d)
    assert result.uncovered == (2,)
    assert result.rows == (0, 1) and result.assignment == (0, 1, -1)


def test_nothing_coverable():
    result = solve(np.full((2, 2), INF))
    assert result.rows == () and result.uncovered == (0, 1)


@pytest.mark.parametrize("seed", range(25))
def test_exact_equals_brute_force_on_random_small_inputs(seed):
    rng = np.random.default_rng(seed)
    d = rng.uniform(0, 100, size=(7, 4))
    d[rng.random(d.shape) < 0.6] = INF
    result = solve(d, method="exact")
    assert (result.size, pytest.approx(result.total_distance)) == brute_force(d)


@pytest.mark.parametrize("seed", range(10))
def test_greedy_within_its_bound(seed):
    rng = np.random.default_rng(100 + seed)
    d = rng.uniform(0, 100, size=(8, 5))
    d[rng.random(d.shape) < 0.6] = INF
    exact = solve(d, method="exact")
    greedy = solve(d, method="greedy")
    assert not greedy.exact
    assert greedy.bound == pytest.approx(greedy_bound(int(np.isfinite(d).any(axis=0).sum())))
    assert greedy.size <= exact.size * greedy.bound + 1e-9
    covered = np.isfinite(d[list(greedy.rows)]).any(axis=0)
    assert covered.sum() == np.isfinite(d).any(axis=0).sum()


def test_greedy_bound_is_harmonic_and_below_ln_plus_one():
    for n in range(1, 30):
        assert greedy_bound(n) <= math.log(n) + 1 + 1e-12
    assert greedy_bound(3) == pytest.approx(1 + 1 / 2 + 1 / 3)


def test_auto_switches_to_greedy_on_large_inputs():
    rng = np.random.default_rng(7)
    d = rng.uniform(0, 100, size=(200, 8))
    d[rng.random(d.shape) < 0.9] = INF
    result = solve(d, exact_limit=1000)
    assert not result.exact
    assert solve(d[:5, :2], exact_limit=1000).exact


@pytest.mark.parametrize("bad", [np.zeros(3), np.array([[-1.0]])])
def test_bad_input(bad):
    with pytest.raises(ValueError):
        solve(bad)
    with pytest.raises(ValueError):
        solve(np.zeros((1, 1)), method="magic")


def test_matching_imports_nothing_of_ours():
    import ast
    from pathlib import Path

    src = Path(__file__).resolve().parents[2] / "matching" / "setcover.py"
    imported = set()
    for node in ast.walk(ast.parse(src.read_text())):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= {"__future__", "math", "dataclasses", "itertools", "numpy"}
