"""``tasharuk partners ORG`` and ``tasharuk partners train-acceptance``."""

from __future__ import annotations

import json

import pytest

from tests.kits.partners import build_world


@pytest.fixture
def world(session, make, boundaries):
    return build_world(session, make)


def test_table_lists_the_best_partner_with_reasons(runner, world):
    result = runner.invoke(args=["partners", "PTA", "--top", "2"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert world.b.name_en in lines[1] and "score" in lines[1]
    assert "Legal aid and civil documentation" in result.output


def test_table_in_arabic(runner, world):
    result = runner.invoke(args=["partners", str(world.a.id), "--lang", "ar"])
    assert result.exit_code == 0, result.output
    assert world.b.name_ar in result.output and "تخدم المنظمتان" in result.output


def test_json_format(runner, world):
    result = runner.invoke(args=["partners", "pta", "--format", "json", "--top", "1"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["organization"]["id"] == world.a.id
    (best,) = body["suggestions"]
    assert best["organization"]["id"] == world.b.id
    assert best["reasons_ar"] and best["reasons_en"]


@pytest.mark.parametrize("args", [["partners", "NO-SUCH-ORG"], ["partners", "999999999"],
                                  ["partners", "PTA", "--area", "SY99"]])
def test_unknown_org_or_bad_filter_exits_2(runner, world, args):
    result = runner.invoke(args=args)
    assert result.exit_code == 2
    assert "error:" in result.output


def test_train_acceptance_refuses_a_too_small_history(runner, session):
    result = runner.invoke(args=["partners", "train-acceptance"])
    assert result.exit_code == 2
    assert "decided referrals" in result.output
