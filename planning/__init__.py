"""The planners' use cases: the ranked gap table of need against presence, its exports and map.

The maths is pure (``matching.gaps``); the facts come from ``data.gapdata``; ``cli`` holds
``tasharuk gaps``.
"""
