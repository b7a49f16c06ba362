"""Real peer servers for interop tests, started on loopback ports with
throwaway configurations: Dovecot (POP3) for now."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from .conftest import require_program


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


class Dovecot:
    """Dovecot serving POP3 from ``maildir_root/<user>`` Maildirs.

    Every user's password is ``password``. As root the mail is read as the
    ``dovecot`` user (the tree is handed over to it); otherwise as the
    current user.
    """

    def __init__(self, workdir: Path, maildir_root: Path, password: str = "secret") -> None:
        self.dovecot = require_program("dovecot")
        self.workdir = workdir
        self.maildir_root = maildir_root
        self.password = password
        self.port = free_port()
        self.config = workdir / "dovecot.conf"
        self._owned: Path | None = None

    def __enter__(self) -> Dovecot:
        if os.getuid() == 0:
            # Dovecot will not read mail as root: hand a copy of the tree, in a
            # directory its users can reach, to the dovecot user.
            self._owned = Path(tempfile.mkdtemp(prefix="mailroom-dovecot-"))
            self._owned.chmod(0o755)
            self.workdir = self._owned / "work"
            copy = self._owned / "mail"
            shutil.copytree(self.maildir_root, copy)
            self.maildir_root = copy
            mail_user, login_user = "dovecot", "dovenull"
            for path in [copy, *copy.rglob("*")]:
                shutil.chown(path, "dovecot", "dovecot")
        else:
            mail_user = login_user = pwd.getpwuid(os.getuid()).pw_name
        run = self.workdir / "run"
        run.mkdir(parents=True, exist_ok=True)
        self.config = self.workdir / "dovecot.conf"
        mail = f"mail=maildir:{self.maildir_root}/%u"
        self.config.write_text(
            f"""
protocols = pop3
listen = 127.0.0.1
base_dir = {run}
state_dir = {run}/state
log_path = {self.workdir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_login_user = {login_user}
default_internal_user = {mail_user}
first_valid_uid = 1
pop3_uidl_format = %f
passdb {{
  driver = static
  args = password={self.password}
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_user} home={self.workdir}/home/%u {mail}
}}
service pop3-login {{
  chroot =
  inet_listener pop3 {{
    port = {self.port}
  }}
}}
service imap-login {{
  chroot =
}}
service anvil {{
  chroot =
}}
"""
        )
        subprocess.run([self.dovecot, "-c", str(self.config)], check=True, timeout=30)
        wait_for_port(self.port)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        subprocess.run([self.dovecot, "-c", str(self.config), "stop"], timeout=30, check=False)
        if self._owned is not None:
            shutil.rmtree(self._owned, ignore_errors=True)
