"""Persistence: engine and session, typed ORM models, migrations, reference data, importers."""
