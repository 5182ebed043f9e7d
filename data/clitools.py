"""Command-line plumbing: our errors become a message on stderr and an exit code (2 = bad input)."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import AppGroup

from data.errors import TasharukError

__all__ = ["ErrorMappingGroup", "report"]


def report(ctx: click.Context, exc: TasharukError) -> None:
    """Print ``exc`` for a person and exit with its code."""
    click.echo(f"error: {exc.message}", err=True)
    if exc.details:
        click.echo(f"details: {exc.details}", err=True)
    ctx.exit(exc.exit_code)


class ErrorMappingGroup(AppGroup):
    """An AppGroup whose commands' TasharukErrors exit cleanly with the error's exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TasharukError as exc:
            report(ctx, exc)
