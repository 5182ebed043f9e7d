"""A served worker's loaded app, kept out of the cyclic garbage collector's full scans.

The app a gunicorn worker loads (its libraries' modules, classes and functions, the routes,
SQLAlchemy's mappings) is ~170,000 objects that the garbage collector can track, and they live
as long as the worker. Python's full collection walked all of them each time it ran: ~100 ms
with the worker's lock on the interpreter held, so every request of that worker waited (85-410
ms pauses, a few a worker every ~10 s under load, measured with ``gc.callbacks`` in served
workers; docs/performance.md, gcfreeze). ``gc.freeze`` moves what exists once the app is loaded
into the permanent generation, which no collection scans; what requests create is collected
as before (the worker's full collections then took 2-17 ms). Only objects alive at that moment
are frozen, so nothing a request leaves behind is kept.
"""

from __future__ import annotations

import gc

__all__ = ["freeze_loaded_app"]


def freeze_loaded_app() -> int:
    """Freeze every object now tracked (call once the app is loaded); how many there are,
    also published as ``tasharuk_gc_frozen_objects``."""
    gc.collect()  # (the garbage of loading is freed, not frozen)
    gc.freeze()
    frozen = gc.get_freeze_count()
    from web.ops.metrics import GC_FROZEN

    GC_FROZEN.set(frozen)
    return frozen
