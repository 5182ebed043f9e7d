"""Geometry and geography: Arabic-aware name resolution, metric distances, maps.

The pure part (``arabic``, ``shapes``) does no I/O; ``resolver`` and ``maps`` take a session.
"""
