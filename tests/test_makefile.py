"""make run / make serve hand the app a development data key kept in instance/, so the demo
can store referral names and seal its shelters; the environment's keys win."""
import base64
import os
import stat
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _make(*args: str, env: dict[str, str] | None = None) -> str:
    """Run make in the project without remaking the virtualenv; its standard output."""
    out = subprocess.run(["make", "-s", "-C", str(ROOT), "-o", ".venv/.installed-stamp", *args],
                         capture_output=True, text=True, check=True, env=env or os.environ.copy())
    return out.stdout


def test_dev_data_key_is_made_once_private_and_a_fernet_key(tmp_path):
    key = tmp_path / "instance" / "dev-data-key"
    _make(f"DEV_DATA_KEY={key}", str(key))
    first = key.read_text().strip()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert len(base64.urlsafe_b64decode(first)) == 32
    _make(f"DEV_DATA_KEY={key}", str(key))
    assert key.read_text().strip() == first


def test_run_and_serve_pass_the_key_to_every_tasharuk_step(tmp_path):
    key = tmp_path / "dev-data-key"
    for target in ("run", "serve"):
        plan = _make("-n", f"DEV_DATA_KEY={key}", target)
        steps = [line for line in plan.splitlines() if "bin/tasharuk " in line]
        assert len(steps) == 2, plan
        for line in steps:
            assert f'TASHARUK_DATA_KEYS="${{TASHARUK_DATA_KEYS:-$(cat {key})}}"' in line


def test_the_environments_keys_win(tmp_path):
    key = tmp_path / "dev-data-key"
    key.write_text("from-the-file\n")
    line = next(s for s in _make("-n", f"DEV_DATA_KEY={key}", "run").splitlines()
                if "bin/tasharuk run" in s)
    prefix = line.split(" .venv/bin/tasharuk")[0]
    env = {"PATH": os.environ["PATH"], "TASHARUK_DATA_KEYS": "from-the-environment"}
    got = subprocess.run(["bash", "-c", f'{prefix} bash -c \'echo "$TASHARUK_DATA_KEYS"\''],
                         capture_output=True, text=True, check=True, env=env).stdout.strip()
    assert got == "from-the-environment"
    env.pop("TASHARUK_DATA_KEYS")
    got = subprocess.run(["bash", "-c", f'{prefix} bash -c \'echo "$TASHARUK_DATA_KEYS"\''],
                         capture_output=True, text=True, check=True, env=env).stdout.strip()
    assert got == "from-the-file"
