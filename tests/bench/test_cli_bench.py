"""``python -m bench cli`` prints the CPU seconds of the CLI's start-up beside its floor."""

from __future__ import annotations

import json

from bench.__main__ import main


def test_the_cli_bench_measures_help_and_resolve_against_python(app, capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", app.config["DATABASE_URL"])
    assert main(["cli", "--repeat", "1", "--area", "Idleb"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["benchmark"] == "cli" and result["target_cpu_s"] == 0.5
    assert result["help_exit"] == 0 and result["resolve_found"] is True
    assert 0 < result["baseline_python_pass_cpu_s"] < result["help_cpu_s"]
    assert result["resolve_cpu_s"] > result["baseline_python_pass_cpu_s"]


def test_a_failing_resolve_is_never_reported_within_target(app, capsys, monkeypatch):
    """A resolve that exits non-zero (name not found) is fast but proves nothing: not in target."""
    monkeypatch.setenv("DATABASE_URL", app.config["DATABASE_URL"])
    assert main(["cli", "--repeat", "1", "--area", "Nowhere-at-all-zz"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["resolve_found"] is False and result["resolve_exit"] != 0
    assert result["resolve_within_target"] is False
