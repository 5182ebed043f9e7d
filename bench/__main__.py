"""Entry point: ``python -m bench NAME [--scale S] ...`` runs one benchmark, ``all`` runs all."""

from __future__ import annotations

import argparse
import importlib
import json
import sys

# name -> module exposing ``run(args) -> dict`` and optionally ``add_arguments(parser)``.
BENCHMARKS: dict[str, str] = {
    "cli": "bench.cli",
    "dataset": "bench.dataset",
    "demo": "bench.demo",
    "fourw": "bench.fourw",
    "gaps": "bench.gaps",
    "referrals": "bench.referrals",
    "library": "bench.library",
    "search": "bench.search",
    "serve": "bench.serve",
    "partners": "bench.partners",
    "exports": "bench.exports",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("name", help="benchmark name, 'list' or 'all'")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of the national scale to build (default 1.0)")
    parser.add_argument("--seed", type=int, default=1)
    args, rest = parser.parse_known_args(argv)
    if args.name == "list":
        print("\n".join(sorted(BENCHMARKS)))
        return 0
    names = sorted(BENCHMARKS) if args.name == "all" else [args.name]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark {unknown[0]!r}; choose from {sorted(BENCHMARKS)}",
              file=sys.stderr)
        return 2
    for name in names:
        module = importlib.import_module(BENCHMARKS[name])
        sub = argparse.ArgumentParser(prog=f"python -m bench {name}")
        if hasattr(module, "add_arguments"):
            module.add_arguments(sub)
        extra = sub.parse_args(rest if args.name != "all" else [])
        for key, value in vars(args).items():
            setattr(extra, key, value)
        result = module.run(extra)
        print(json.dumps({"benchmark": name, **result}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
