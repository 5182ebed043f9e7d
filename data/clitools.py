"""Command-line plumbing: our errors become a message on stderr and an exit code (2 = bad
input), and commands are found by name, their modules imported only when one is run."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import click
from flask import has_app_context
from flask.cli import AppGroup

from data.errors import TasharukError

__all__ = ["ErrorMappingGroup", "LazyCommands", "LazyGroup", "MapsErrors", "load_command",
           "report"]


def report(ctx: click.Context, exc: TasharukError) -> None:
    """Print ``exc`` for a person and exit with its code."""
    click.echo(f"error: {exc.message}", err=True)
    if exc.details:
        click.echo(f"details: {exc.details}", err=True)
    ctx.exit(exc.exit_code)


class MapsErrors:
    """Mixin for a click group: a TasharukError raised by a command exits cleanly with its
    message and exit code (the one place the CLI maps our errors), and so does a database
    that does not answer or is not migrated (``data.dbproblems``)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)  # type: ignore[misc]
        except TasharukError as exc:
            report(ctx, exc)
        except Exception as exc:
            from data.dbproblems import explain

            ours = explain(exc, lambda: _database_url(ctx))
            if ours is None:
                raise
            report(ctx, ours)


def _database_url(ctx: click.Context) -> str | None:
    """The database the command used: its app's ``DATABASE_URL`` (Flask's script info loads
    the app once), else the environment's."""
    import os

    from flask.cli import NoAppException, ScriptInfo

    info = ctx.find_object(ScriptInfo)
    try:
        app = info.load_app() if info is not None else None
    except NoAppException:
        app = None
    url = app.config.get("DATABASE_URL") if app is not None else None
    return url or os.environ.get("DATABASE_URL")


class ErrorMappingGroup(MapsErrors, AppGroup):
    """A room's command group (an AppGroup: its commands run inside the app context)."""


def load_command(spec: str) -> click.Command:
    """The command object that ``spec`` ("package.module:attribute") names."""
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


class LazyCommands:
    """Mixin for a click group whose commands are listed from a table (name -> (spec, short
    help)) and imported only when run: listing them (``--help``) imports no room."""

    def __init__(self, *args: Any, lazy: Mapping[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})  # type: ignore[attr-defined]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy and name not in self.commands:  # type: ignore[attr-defined]
            self.add_command(load_command(self.lazy[name][0]), name)  # type: ignore[attr-defined]
        return self.commands.get(name)  # type: ignore[attr-defined]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names), default=0)
        for name in names:
            if name in self.lazy and name not in self.commands:  # type: ignore[attr-defined]
                short = click.Command(name, help=self.lazy[name][1]).get_short_help_str(limit)
                rows.append((name, short))
                continue
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class LazyGroup(MapsErrors, LazyCommands, AppGroup):
    """An app's own command group (``app.cli``): lazy, error-mapping, and every command run
    inside that app's context."""

    def __init__(self, app: Any, commands: Mapping[str, tuple[str, str]], **kwargs: Any):
        super().__init__(app.name, lazy=commands, **kwargs)
        self.app = app

    def invoke(self, ctx: click.Context) -> Any:
        if has_app_context():
            return super().invoke(ctx)
        with self.app.app_context():
            return super().invoke(ctx)
