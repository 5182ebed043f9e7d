"""A value per database engine kept fresh off the request path (the search's taxonomy and
admin polygons, read once a minute).

Once the value held is older than its time to live, the requests go on getting it while one
background thread reads it again (single flight: many threads finding it old start one read),
and the fresh value replaces it when ready. Only the first read (nothing held yet, or dropped
by ``forget``) is made by the asking request itself, one at a time: the others wait for it and
share it. A read begun before a ``forget`` is thrown away: it may predate the change that
called it. A background read that fails keeps the old value and is tried again after
``RETRY_S``.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy.engine import Engine

__all__ = ["RETRY_S", "PerEngine"]

T = TypeVar("T")
RETRY_S = 5.0  # a failed background read is tried again after this long, not at every request
log = logging.getLogger(__name__)


@dataclass(eq=False)
class _Held(Generic[T]):
    """One engine's value, when it was read, and whether a read of it is under way."""

    value: T | None = None
    read_at: float = 0.0
    generation: int = 0  # bumped by forget: a read begun before it is not kept
    reloading: bool = False
    retry_at: float = 0.0  # after a failed background read: not before then
    first: threading.Lock = field(default_factory=threading.Lock)  # one first read at a time


class PerEngine(Generic[T]):
    """``get(engine, ttl_s)``: the value ``load(engine)`` read, refreshed in the background
    once it is ``ttl_s`` old; ``forget(engine)``: the next ``get`` reads it again itself."""

    def __init__(self, name: str, load: Callable[[Engine], T]) -> None:
        self.name = name
        self._load = load
        self._held: weakref.WeakKeyDictionary[Engine, _Held[T]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()  # guards _held and every _Held's other fields

    def get(self, engine: Engine, ttl_s: float, first: Callable[[], T] | None = None) -> T:
        """The value held for ``engine`` (an old one starts a background read and is still
        returned); with nothing held, read now by ``first`` (default ``load(engine)``)."""
        now = time.monotonic()
        with self._lock:
            held = self._held.setdefault(engine, _Held())
            value, generation = held.value, held.generation
            refresh = (value is not None and now - held.read_at >= ttl_s
                       and now >= held.retry_at and not held.reloading)
            held.reloading = held.reloading or refresh
        if value is not None:
            if refresh:
                threading.Thread(target=self._reload, args=(engine, held, generation),
                                 name=f"read {self.name}", daemon=True).start()
            return value
        with held.first:  # the others wait for the first read and share it
            with self._lock:
                if held.value is not None:  # read by the request this one waited for
                    return held.value
                generation = held.generation
            started = time.monotonic()
            value = first() if first is not None else self._load(engine)
            with self._lock:
                if held.generation == generation:
                    held.value, held.read_at = value, started
            return value

    def _reload(self, engine: Engine, held: _Held[T], generation: int) -> None:
        """The background read: replace the value unless ``forget`` came in between."""
        started = time.monotonic()
        try:
            value: T | None = self._load(engine)
        except Exception:  # noqa: BLE001 - the old value serves on; logged, tried again
            log.warning("reading %s again failed; the last one is kept", self.name,
                        exc_info=True)
            value = None
        with self._lock:
            held.reloading = False
            if value is None:
                held.retry_at = time.monotonic() + RETRY_S
            elif held.generation == generation:
                held.value, held.read_at = value, started

    def forget(self, engine: Engine) -> None:
        """Drop ``engine``'s value now: the next ``get`` reads it itself (a read under way
        is not kept)."""
        with self._lock:
            held = self._held.get(engine)
            if held is not None:
                held.value = None
                held.generation += 1
