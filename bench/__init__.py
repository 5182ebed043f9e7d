"""National-scale benchmarks, each printing JSON with its figure and an in-run baseline.

Run ``python -m bench NAME [options]`` (``python -m bench list`` shows the names).
"""
