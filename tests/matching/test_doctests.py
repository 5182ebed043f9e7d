"""The examples in matching/'s docstrings run and hold (the pure package documents itself)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import matching

MODULES = sorted(m.name for m in pkgutil.iter_modules(matching.__path__))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name):
    module = importlib.import_module(f"matching.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_the_package_has_examples():
    attempted = sum(doctest.testmod(importlib.import_module(f"matching.{n}")).attempted
                    for n in MODULES)
    assert attempted >= 5
