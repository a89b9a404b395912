"""Done when: behind gunicorn with two workers, on the configured database, the 11th wrong password
within a minute is refused whatever X-Forwarded-For says, and the right one is accepted once the
cool-off (4 seconds here, LOGIN_COOLOFF_SECONDS in the server's environment) is over."""

import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection

COOL_OFF = 4  # seconds
PASSWORD = "a-test-password-1"

# Tandem's settings as deployed (DEBUG off), with the tests' fast password hasher (the test's user has
# an MD5 hash) and plain static file storage (no collectstatic for a test).
SERVER_SETTINGS = """from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
"""


def database_url() -> str:
    """The test database, for the server to use the same (on SQLite a file, never in memory)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        assert Path(db["NAME"]).is_file(), "the server's workers must share the test database's file"
        return f"sqlite:///{db['NAME']}"
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(folder: Path) -> Iterator[tuple[int, Path]]:
    (folder / "signin_server_settings.py").write_text(SERVER_SETTINGS)
    port, log = free_port(), folder / "access.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "signin_server_settings",
        "PYTHONPATH": str(folder),
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url(),
        "LOGIN_FAILURE_LIMIT": "10",
        "LOGIN_COOLOFF_SECONDS": str(COOL_OFF),
        # The default: no proxy trusted, so the X-Forwarded-For each try claims is ignored. (Behind a
        # trusted proxy each would be another client, and the account's count alone would pause it:
        # test_signin.py checks that.)
        "TRUSTED_PROXY_COUNT": "0",
    }
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}",
        "--access-logfile", str(log), "--access-logformat", "%(p)s %(m)s %(U)s %(s)s",
        "--error-logfile", str(folder / "error.log"),
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start: {(folder / 'error.log').read_text()[-2000:]}")
            time.sleep(0.1)
        yield port, log
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


class Browser:
    """Just enough of one: the CSRF cookie and token of the sign-in page, X-Forwarded-Proto: https as a
    TLS proxy would add, and an X-Forwarded-For of the client's choosing."""

    def __init__(self, port: int) -> None:
        self.port = port
        status, headers, body = self.request("GET", "/accounts/login/", forwarded_for="192.0.2.1")
        assert status == 200, body[:500]
        cookie = next(
            value for name, value in headers if name.lower() == "set-cookie" and "csrftoken" in value
        )
        self.cookie = cookie.split(";")[0]
        self.token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)[1]

    def request(
        self, method: str, path: str, *, forwarded_for: str, form: dict | None = None, cookie: str = ""
    ):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": forwarded_for,
            "Origin": f"https://127.0.0.1:{self.port}",
        }
        if cookie:
            headers["Cookie"] = cookie
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.getheaders(), response.read().decode()
        finally:
            conn.close()

    def sign_in(self, password: str, forwarded_for: str) -> int:
        form = {"csrfmiddlewaretoken": self.token, "username": "rosalind", "password": password}
        status, _, _ = self.request(
            "POST", "/accounts/login/", forwarded_for=forwarded_for, form=form, cookie=self.cookie
        )
        return status


@pytest.mark.django_db(transaction=True)
def test_two_workers_refuse_the_eleventh_wrong_password_then_accept_the_right_one_after_the_cool_off(
    tmp_path,
):
    get_user_model().objects.create_user(username="rosalind", password=PASSWORD)
    with gunicorn(tmp_path) as (port, log):
        browser = Browser(port)
        # Wrong passwords two at a time, so both workers answer; each claiming another address.
        with ThreadPoolExecutor(max_workers=2) as pool:
            wrong = list(pool.map(lambda n: browser.sign_in(f"guess-{n}", f"198.51.100.{n}"), range(10)))
        # The form again with its error, until the 10th failure pauses signing in (two tries at once
        # may both count the other's failure, so the 9th may be refused too).
        assert set(wrong) == {200, 429} and wrong.count(200) >= 8, wrong
        assert browser.sign_in("guess-10", "203.0.113.10") == 429  # the 11th
        assert browser.sign_in(PASSWORD, "203.0.113.11") == 429  # the right one, during the pause
        # The API's token endpoint shares the count.
        status, _, body = browser.request(
            "POST",
            "/api/v1/auth/token/",
            forwarded_for="203.0.113.12",
            form={"username": "rosalind", "password": PASSWORD},
        )
        assert status == 429 and "token" not in body, body
        paused_at = time.monotonic()

        time.sleep(max(0.0, paused_at + COOL_OFF + 0.5 - time.monotonic()))
        assert browser.sign_in(PASSWORD, "203.0.113.13") == 302  # signed in, sent home

        # Both workers took sign-ins: the count was shared, not per process.
        for _ in range(50):
            lines = [line.split() for line in log.read_text().splitlines()]
            if sum(1 for line in lines if line[1] == "POST") >= 14:
                break
            time.sleep(0.1)
        workers = {line[0] for line in lines if line[1] == "POST" and line[2] == "/accounts/login/"}
        assert len(workers) == 2, lines
