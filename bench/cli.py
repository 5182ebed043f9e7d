"""Command-line start-up: CPU seconds of ``tasharuk --help`` and ``tasharuk resolve NAME``
against ``python -c pass`` in the same run (the interpreter's own start-up, the floor).

``python -m bench cli [--repeat 5] [--area Idleb]`` runs each command ``repeat`` times as a
child process and prints JSON: the median user+system CPU seconds of each (from the
children's resource usage), the target (0.5 s), and whether resolve found the name (it reads
DATABASE_URL or the local cluster's database, which needs its admin areas loaded).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

TARGET_CPU_S = 0.5
ROOT = Path(__file__).resolve().parent.parent


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--area", default="Idleb", help="the area name resolve looks up")


def _tasharuk() -> list[str]:
    script = Path(sys.executable).parent / "tasharuk"
    return [str(script)] if script.exists() else [sys.executable, "-c",
                                                  "import sys; from app import cli; "
                                                  "sys.exit(cli())"]


def cpu_seconds(argv: list[str]) -> tuple[float, int]:
    """User+system CPU seconds one child process ``argv`` used, and its exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          env=os.environ.copy(), check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return used, done.returncode


def _median(argv: list[str], repeat: int) -> tuple[float, int]:
    runs = [cpu_seconds(argv) for _ in range(repeat)]
    return round(statistics.median(cpu for cpu, _ in runs), 3), runs[-1][1]


def run(args: argparse.Namespace) -> dict:
    tasharuk = _tasharuk()
    repeat = max(1, args.repeat)
    print(f"cli: {repeat} runs of each command", file=sys.stderr)
    floor, _ = _median([sys.executable, "-c", "pass"], repeat)
    help_cpu, help_rc = _median([*tasharuk, "--help"], repeat)
    resolve_cpu, resolve_rc = _median([*tasharuk, "resolve", args.area], repeat)
    return {
        "repeat": repeat,
        "target_cpu_s": TARGET_CPU_S,
        "baseline_python_pass_cpu_s": floor,
        "help_cpu_s": help_cpu,
        "help_exit": help_rc,
        "resolve_cpu_s": resolve_cpu,
        "resolve_exit": resolve_rc,
        "resolve_found": resolve_rc == 0,
        "help_within_target": help_rc == 0 and help_cpu <= TARGET_CPU_S,
        # a resolve that fails (no areas loaded, no database) proves nothing about the target
        "resolve_within_target": resolve_rc == 0 and resolve_cpu <= TARGET_CPU_S,
    }
