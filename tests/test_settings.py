"""The settings read from the environment: production passes `check --deploy`, secrets are required."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True
    )


def test_production_settings_pass_the_deploy_check():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="x8Jq-2vNn!r5Kp0zLw3Yt6Ue9Hs1Gd4Fa7Cb0Vm2Xn5Qk8Rj1Tz4Wy7Pu0Ie3Oa6Sd9",
        ALLOWED_HOSTS="tandem.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DEBUG="0", SECRET_KEY="", ALLOWED_HOSTS="tandem.example.org")
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_production_static_files_collect_with_their_manifest(tmp_path):
    # Compressed, cache-busted files fail to collect when a file names one that is not there (e.g. a
    # source map a vendored file points to).
    result = manage(
        "collectstatic",
        "--no-input",
        DEBUG="0",
        SECRET_KEY="x8Jq-2vNn!r5Kp0zLw3Yt6Ue9Hs1Gd4Fa7Cb0Vm2Xn5Qk8Rj1Tz4Wy7Pu0Ie3Oa6Sd9",
        ALLOWED_HOSTS="tandem.example.org",
        STATIC_ROOT=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "staticfiles.json").exists()
