"""The partners benchmark runs at a tiny scale, and its loop over pairs agrees with the sparse
scores (the full-scale run is ``python -m bench partners``)."""

from __future__ import annotations

import argparse


def test_bench_partners_tiny_scale():
    from bench import partners

    args = argparse.Namespace(scale=0.01, seed=2, top=5, loop_sample=5)
    result = partners.run(args)
    assert result["orgs"] == 50 and result["orgs_with_suggestions"] > 0
    assert result["loop_vs_sparse_max_score_diff"] < 1e-9
    assert result["loop_all_orgs_s_extrapolated"] > 0
    assert set(result["targets"]) == {"one_org_ms", "all_orgs_s", "all_orgs_peak_mb"}


def test_bench_is_registered():
    from bench.__main__ import BENCHMARKS

    assert BENCHMARKS["partners"] == "bench.partners"
