"""Use-case modules that need heavy libraries (pandas, scikit-learn, folium), imported on the
first request that uses them: building the app, and every command line, stays fast."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["lazy_module"]


class _LazyModule:
    """Stands for module ``name``; the first attribute read imports it."""

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_name", name)

    def _load(self) -> ModuleType:
        return importlib.import_module(object.__getattribute__(self, "_name"))

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._load(), attr)

    def __repr__(self) -> str:
        return f"<lazy module {object.__getattribute__(self, '_name')!r}>"


def lazy_module(name: str) -> Any:
    """Module ``name``, imported when one of its attributes is first read (``uc.search(...)``)."""
    return _LazyModule(name)
