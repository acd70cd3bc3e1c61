"""Real servers for the integration tests: S3 (moto), PostgreSQL and Redis.

Each ``*_service`` function returns what a test needs to connect, starting the server when it
is not answering. When a server cannot be had, the test is skipped on a workstation and fails
under ``CI=true`` (a missing service is a failure there, never a skip).

- S3: ``moto``'s ``ThreadedMotoServer`` on a loopback port, one per test session, in a child
  process.
- PostgreSQL: 127.0.0.1:5432, trust auth; started with ``pg_ctlcluster`` when down. Each
  session gets a fresh database ``mailroom_test_<random>``, dropped at the end.
- Redis: 127.0.0.1:6379; started with ``redis-server --daemonize yes`` when down. Each session
  uses its own database number picked at random, flushed at the end.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_HOST, PG_PORT = "127.0.0.1", 5432
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
PG_ADMIN_URL = os.environ.get(
    "MAILROOM_TEST_PG_ADMIN_URL", f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/test"
)


def unavailable(what: str) -> None:
    """Skip, or fail in CI."""
    if IN_CI:
        pytest.fail(f"CI needs {what}", pytrace=False)
    pytest.skip(what)


def _answers(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _start(command: list[str] | str, host: str, port: int, wait_s: float = 20.0) -> bool:
    try:
        subprocess.run(
            command,
            shell=isinstance(command, str),
            check=False,
            capture_output=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if _answers(host, port):
            return True
        time.sleep(0.2)
    return False


# --------------------------------------------------------------------------- S3


@dataclass(frozen=True)
class S3Service:
    endpoint: str  # host:port, no scheme
    access_key: str = "testing"
    secret_key: str = "testing"


_MOTO_SCRIPT = """
import sys, threading
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
host, port = server.get_host_and_port()
print(f"{host}:{port}", flush=True)
sys.stdin.read()  # until the test session closes our stdin
server.stop()
"""


@contextmanager
def s3_service() -> Iterator[S3Service]:
    """moto's ThreadedMotoServer on a loopback port, in a child process of its own (so the
    objects it keeps in memory do not count in the tests' memory measurements)."""
    import sys

    try:
        import moto.server  # noqa: F401
    except ImportError as e:  # pragma: no cover - depends on the environment
        unavailable(f"moto[server] is not installed ({e})")
    proc = subprocess.Popen(
        [sys.executable, "-c", _MOTO_SCRIPT],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        endpoint = proc.stdout.readline().strip()
        if not endpoint:
            unavailable("moto's ThreadedMotoServer did not start")
        yield S3Service(endpoint=endpoint)
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --------------------------------------------------------------------------- PostgreSQL


def _postgres_up() -> bool:
    if _answers(PG_HOST, PG_PORT):
        return True
    clusters = sorted(Path("/etc/postgresql").glob("*")) if Path("/etc/postgresql").is_dir() else []
    if not clusters:
        return False
    return _start(
        [
            "pg_ctlcluster",
            "--skip-systemctl-redirect",
            clusters[-1].name,
            "main",
            "start",
        ],
        PG_HOST,
        PG_PORT,
    )


@contextmanager
def postgres_database() -> Iterator[str]:
    """The SQLAlchemy URL of a fresh database, dropped afterwards."""
    if not _postgres_up():
        unavailable(f"PostgreSQL on {PG_HOST}:{PG_PORT}")
    import sqlalchemy as sa

    name = f"mailroom_test_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as e:
        admin.dispose()
        unavailable(f"PostgreSQL at {PG_ADMIN_URL}: {e}")
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --------------------------------------------------------------------------- Redis


def _redis_up() -> bool:
    if _answers(REDIS_HOST, REDIS_PORT):
        return True
    return _start(
        [
            "redis-server",
            "--daemonize",
            "yes",
            "--bind",
            REDIS_HOST,
            "--port",
            str(REDIS_PORT),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        REDIS_HOST,
        REDIS_PORT,
    )


@contextmanager
def redis_database() -> Iterator[str]:
    """A redis:// URL on a database number of its own, flushed afterwards."""
    if not _redis_up():
        unavailable(f"Redis on {REDIS_HOST}:{REDIS_PORT}")
    import redis

    number = 1 + secrets.randbelow(15)
    url = f"redis://{REDIS_HOST}:{REDIS_PORT}/{number}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()
