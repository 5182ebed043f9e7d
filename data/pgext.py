"""Check that the PostgreSQL server offers the extensions we need, before migrating.

Without this, a server lacking PostGIS fails deep inside the first migration with a raw driver
error; here the message names the missing extension and the Debian/Ubuntu package to install.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from data.errors import TasharukError

__all__ = ["REQUIRED", "MissingExtension", "package_for", "require_extensions"]

REQUIRED = ("postgis", "pg_trgm", "btree_gist", "btree_gin", "unaccent")  # btree_gin: 0014_search2


class MissingExtension(TasharukError):
    """The database server cannot create an extension we need (a set-up problem, exit 1)."""

    code = "missing_extension"


def package_for(extension: str, server_major: int) -> str:
    """The Debian/Ubuntu package that ships ``extension`` for PostgreSQL ``server_major``."""
    if extension.startswith("postgis"):
        return f"postgresql-{server_major}-postgis-3"
    return "postgresql-contrib"


def require_extensions(conn: Connection, names: tuple[str, ...] | None = None) -> None:
    """Raise MissingExtension naming every extension the server cannot create, and its package."""
    names = REQUIRED if names is None else names
    available = set(conn.scalars(text("SELECT name FROM pg_available_extensions")))
    missing = [n for n in names if n not in available]
    if not missing:
        return
    major = int(conn.scalar(text("SHOW server_version_num"))) // 10000
    packages = sorted({package_for(n, major) for n in missing})
    raise MissingExtension(
        f"The PostgreSQL {major} server lacks the extension(s) {', '.join(missing)}. "
        f"Install on the database server: sudo apt-get install -y {' '.join(packages)} "
        "(or unset DATABASE_URL to use the project's own PostGIS cluster).",
        details={"missing": missing, "packages": packages})
