"""The command line starts fast: commands are found by name and imported when run, and
neither the CLI nor the app imports pandas, scikit-learn or folium until a command or a
view needs them. (Its CPU time is measured by ``python -m bench cli``, not asserted here.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pandas", "sklearn", "folium")
FLASK_BUILTINS = ("routes", "run", "shell")


def _python(code: str, **env: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON line, returned here."""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env={**os.environ, **env})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_help_lists_every_command():
    from app import TOP_COMMANDS, cli

    out = CliRunner().invoke(cli, ["--help"], terminal_width=200)
    assert out.exit_code == 0, out.output
    listed = {line.split()[0] for line in out.output.split("Commands:")[1].splitlines()
              if line.strip()}
    assert listed == {*TOP_COMMANDS, *FLASK_BUILTINS}


@pytest.mark.parametrize("name", sorted(__import__("app").TOP_COMMANDS))
def test_the_command_table_says_what_each_command_says(name):
    from app import TOP_COMMANDS
    from data.clitools import load_command

    spec, short_help = TOP_COMMANDS[name]
    command = load_command(spec)
    plugins = {ep.name: ep.value for ep in entry_points(group="flask.commands")}
    assert command.name == name or plugins.get(name) == spec  # a Flask plugin keeps its name
    assert command.get_short_help_str(limit=10**6) == short_help


def test_help_imports_no_room_and_no_heavy_library():
    loaded = _python(
        "import json, sys\n"
        "from click.testing import CliRunner\n"
        "from app import cli\n"
        "result = CliRunner().invoke(cli, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pandas', 'sklearn', 'folium', 'sqlalchemy', 'network', 'referral', 'planning', "
        "'jobs', 'web') or m == 'data.cli')))\n")
    assert loaded == []


def test_building_the_app_imports_no_heavy_library():
    loaded = _python(
        "import json, sys\n"
        "from app import create_app\n"
        "app = create_app({'TESTING': True})\n"
        "assert len(app.view_functions) > 50\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n")
    assert loaded == []


def test_resolve_reads_the_gazetteer_without_building_the_app(app):
    found = _python(
        "import json, sys\n"
        "from app import cli\n"
        "try:\n"
        "    cli(['resolve', 'Idleb', '--format', 'json'])\n"
        "except SystemExit as exit:\n"
        "    code = exit.code\n"
        "print(json.dumps({'code': code, 'sqlalchemy': 'sqlalchemy' in sys.modules,\n"
        "                  'web': 'web' in sys.modules}))\n",
        DATABASE_URL=app.config["DATABASE_URL"])
    assert found == {"code": 0, "sqlalchemy": False, "web": False}


def test_resolve_on_a_database_it_cannot_read_says_so(app):
    bad = app.config["DATABASE_URL"].replace("/tasharuk", "/no_such_database_tasharuk", 1)
    done = subprocess.run([sys.executable, "-c", "import sys; from app import cli; cli()",
                           "resolve", "Idleb"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "DATABASE_URL": bad})
    assert done.returncode == 1
    assert "Cannot read the admin areas from the database" in done.stderr
