"""A real Dovecot IMAP server for the tests: a plain process (``dovecot -F -c <conf>``) with its
own configuration, password file and maildir under a temporary folder, on a free loopback port.

No systemd and nothing outside the temporary folder. When it cannot start, :func:`start_dovecot`
raises: a missing server is a failure (in CI above all), never a silent skip.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

USER = "mailroom"
PASSWORD = "s3cret-imap-pass"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Dovecot:
    root: Path
    port: int
    process: subprocess.Popen[bytes]
    mail_root: Path
    given: Path
    tls_port: int | None = None
    ca_file: Path | None = None
    user: str = USER
    password: str = PASSWORD

    @property
    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def client(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        conn.login(self.user, self.password)
        return conn

    @contextlib.contextmanager
    def session(self, folder: str = "INBOX") -> Iterator[imaplib.IMAP4]:
        conn = self.client()
        try:
            conn.select(f'"{folder}"')
            yield conn
        finally:
            with contextlib.suppress(Exception):
                conn.logout()

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        conn = self.client()
        try:
            typ, data = conn.append(folder, "", imaplib.Time2Internaldate(time.time()), raw)
            assert typ == "OK", data
        finally:
            conn.logout()

    def uids(self, folder: str = "INBOX", criteria: str = "ALL") -> list[int]:
        """UIDs matching ``criteria`` in ``folder``; none when the folder does not exist."""
        with self.session(folder) as conn:
            if conn.state != "SELECTED":
                return []
            typ, data = conn.uid("SEARCH", criteria)
            assert typ == "OK", data
            return [int(u) for u in data[0].split()]

    def flags(self, uid: int, folder: str = "INBOX") -> str:
        with self.session(folder) as conn:
            typ, data = conn.uid("FETCH", str(uid), "(FLAGS)")
            assert typ == "OK", data
            return b" ".join(d for d in data if isinstance(d, bytes)).decode()

    def imap_children(self) -> list[int]:
        """Pids of the ``imap`` processes serving logged-in clients (children of the master)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, IndexError):
                stat = (entry / "stat").read_text()
                comm = stat[stat.index("(") + 1 : stat.rindex(")")]
                ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
                if ppid == self.process.pid and comm == "imap":
                    pids.append(int(entry.name))
        return pids

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.mail_root != self.given:
            # keep the log beside the test's files, remove the folder made for nobody
            with contextlib.suppress(OSError):
                shutil.copy(self.root / "dovecot.log", self.given / "dovecot.log")
            shutil.rmtree(self.mail_root, ignore_errors=True)


def _tls(root: Path) -> tuple[str, Path]:
    """A self-signed certificate for localhost / 127.0.0.1, and Dovecot's lines to use it."""
    cert, key = root / "cert.pem", root / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return f"ssl = yes\nssl_cert = <{cert}\nssl_key = <{key}\n", cert


def _config(
    root: Path, port: int, mail_root: Path, uid: int, gid: int, tls: str, tls_port: int
) -> str:
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{tls or "ssl = no"}
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 0
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:{mail_root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={mail_root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service imap {{
  process_limit = 20
}}
protocol imap {{
  mail_max_userip_connections = 50
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
"""


def _mail_owner(root: Path) -> tuple[int, int, Path]:
    """Dovecot never gives mail access as root: as root, the server's files live in a folder of
    their own that its unprivileged users can reach (pytest's temporary folders are 0700), and
    the maildir belongs to ``nobody``. It is removed when the server stops."""
    if os.geteuid() != 0:
        return os.getuid(), os.getgid(), root
    import pwd

    user = pwd.getpwnam("nobody")
    mail_root = Path(tempfile.mkdtemp(prefix="mailroom-maildir-"))
    mail_root.chmod(0o755)
    return user.pw_uid, user.pw_gid, mail_root


def start_dovecot(root: Path, *, tls: bool = False, timeout_s: float = 20.0) -> Dovecot:
    """Start Dovecot under ``root`` and wait until it accepts a login; raise if it cannot.

    With ``tls``, STARTTLS is offered on the plain port and implicit TLS on ``tls_port``, with a
    self-signed certificate (``ca_file``) for localhost and 127.0.0.1."""
    binary = shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
    )
    if binary is None:
        raise RuntimeError(
            "dovecot is not installed (apt-get install -y dovecot-imapd; scripts/setup.sh)"
        )
    root.mkdir(parents=True, exist_ok=True)
    uid, gid, mail_root = _mail_owner(root)
    # Dovecot's unprivileged processes must reach the password file and the maildir.
    given, root = root, mail_root
    for sub in ("run", "state"):
        (root / sub).mkdir(exist_ok=True)
    for sub in ("mail", "home"):
        (mail_root / sub).mkdir(exist_ok=True)
        os.chown(mail_root / sub, uid, gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    port = free_port()
    conf = root / "dovecot.conf"
    tls_lines, ca_file = _tls(root) if tls else ("", None)
    tls_port = free_port() if tls else 0
    conf.write_text(_config(root, port, mail_root, uid, gid, tls_lines, tls_port))
    process = subprocess.Popen(
        [binary, "-F", "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=(root / "dovecot.stderr").open("wb"),
    )
    server = Dovecot(
        root=root,
        port=port,
        process=process,
        mail_root=mail_root,
        given=given,
        tls_port=tls_port or None,
        ca_file=ca_file,
    )
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            server.client().logout()
            return server
        except (OSError, imaplib.IMAP4.error) as e:
            last = e
            time.sleep(0.1)
    server.stop()
    stderr = (root / "dovecot.stderr").read_text(errors="replace")
    raise RuntimeError(
        f"dovecot did not start on port {port} ({last}); stderr: {stderr[-2000:]}; "
        f"log: {server.log[-2000:]}"
    )
