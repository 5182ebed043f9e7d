"""``tasharuk library import DIR`` and ``tasharuk forum seed``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app

from data.clitools import ErrorMappingGroup
from data.db import db

library_cli = ErrorMappingGroup("library", help="The library of laws, decisions and circulars.")
forum_cli = ErrorMappingGroup("forum", help="The organisations' forum.")


@library_cli.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def import_cmd(folder: Path) -> None:
    """Load FOLDER/metadata.csv and the files it names: every row, or nothing (exit 2)."""
    from data.attachments import DEFAULT_MAX_BYTES

    from .library import import_folder

    cfg = current_app.config
    try:
        counts = import_folder(db.session, folder, None,
                               max_bytes=int(cfg.get("ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES)),
                               upload_folder=cfg["UPLOAD_FOLDER"])
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    click.echo(f"documents: {counts['documents']}, files: {counts['files']}")


@forum_cli.command("seed")
def seed_cmd() -> None:
    """Create the forum categories (topical, per sector, per governorate); idempotent."""
    from .forum import seed_categories

    added = seed_categories(db.session)
    db.session.commit()
    click.echo(f"categories added: {added}")


def register(app: Flask) -> None:
    """Mount the library and forum commands on the app's CLI."""
    app.cli.add_command(library_cli)
    app.cli.add_command(forum_cli)
