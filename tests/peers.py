"""Real peer servers for interop tests, started on loopback ports with
throwaway configurations: Dovecot (POP3) and Postfix (an SMTP relay)."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import pytest

from .conftest import require_program


def free_ports(count: int) -> list[int]:
    """`count` distinct free loopback ports: every socket stays bound until
    all are chosen, so the kernel cannot hand out one port twice."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def free_port() -> int:
    return free_ports(1)[0]


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


def self_signed_certificate(directory: Path, hostname: str) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for ``hostname`` (its own CA, so a
    client can trust exactly it): (cert.pem, key.pem) in ``directory``."""
    openssl = require_program("openssl")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN={hostname}",
            "-addext",
            f"subjectAltName=DNS:{hostname}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    key.chmod(0o600)
    return cert, key


class Dovecot:
    """Dovecot serving POP3 (and with ``imap=True`` IMAP on ``.imap_port``,
    "/" as the hierarchy separator, the RFC 6154 folders marked) from
    ``maildir_root/<user>`` Maildirs.

    Every user's password is ``password``. As root the mail is read as the
    ``dovecot`` user (the tree is handed over to it); otherwise as the
    current user. With ``tls=True`` it offers STLS on ``.port`` and POP3S on
    ``.pop3s_port`` with a self-signed certificate for ``hostname``
    (``.cert_file``), and takes passwords only inside TLS. With
    ``sasl_socket=True`` its authentication service also listens on
    ``.sasl_socket`` (PLAIN and LOGIN) for Postfix's SMTP AUTH. Its IMAP
    offers COMPRESS=DEFLATE (the ``imap_zlib`` plugin). ``settings``
    are appended to its configuration (process limits, say).
    """

    def __init__(
        self,
        workdir: Path,
        maildir_root: Path,
        password: str = "secret",
        *,
        tls: bool = False,
        hostname: str = "dovecot.mailroom.test",
        sasl_socket: bool = False,
        imap: bool = False,
        settings: str = "",
    ) -> None:
        self.dovecot = require_program("dovecot")
        self.settings = settings
        # POP3, then POP3S and IMAP when asked for: distinct ports, or Dovecot
        # refuses its configuration ("duplicate listener").
        ports = free_ports(3)
        self.port = ports[0]
        self.pop3s_port = ports[1] if tls else None
        self.imap_port = ports[2] if imap else None
        self.workdir = workdir
        self.maildir_root = maildir_root
        self.password = password
        self.tls = tls
        self.hostname = hostname
        self.cert_file: Path | None = None
        self.want_sasl_socket = sasl_socket
        self.sasl_socket: Path | None = None
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
        ssl = "ssl = no\ndisable_plaintext_auth = no"
        pop3s = ""
        if self.tls:
            self.cert_file, key = self_signed_certificate(self.workdir, self.hostname)
            # Loopback counts as secure for Dovecot unless told otherwise.
            ssl = (
                f"ssl = yes\nssl_cert = <{self.cert_file}\nssl_key = <{key}\n"
                "ssl_min_protocol = TLSv1.2\ndisable_plaintext_auth = yes\n"
                "login_trusted_networks ="
            )
            pop3s = f"inet_listener pop3s {{\n    port = {self.pop3s_port}\n    ssl = yes\n  }}"
        mechanisms, auth_service = "plain", ""
        if self.want_sasl_socket:
            self.sasl_socket = run / "auth-postfix"
            mechanisms = "plain login"
            auth_service = "service auth {\n  unix_listener auth-postfix {\n    mode = 0666\n  }\n}"
        protocols, imap_listener, namespace = "pop3", "", ""
        if self.imap_port is not None:
            protocols = "pop3 imap"
            imap_listener = f"inet_listener imap {{\n    port = {self.imap_port}\n  }}"
            folders = "\n".join(
                f"  mailbox {name} {{\n    special_use = \\{name}\n  }}"
                for name in ("Sent", "Drafts", "Trash", "Junk", "Archive")
            )
            namespace = f"namespace inbox {{\n  inbox = yes\n  separator = /\n{folders}\n}}"
            # COMPRESS=DEFLATE (RFC 4978), after login, from Debian's plugin.
            namespace += "\nprotocol imap {\n  mail_plugins = $mail_plugins imap_zlib\n}"
        self.config.write_text(
            f"""
protocols = {protocols}
listen = 127.0.0.1
base_dir = {run}
state_dir = {run}/state
log_path = {self.workdir}/dovecot.log
{ssl}
auth_mechanisms = {mechanisms}
auth_failure_delay = 0
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
  {pop3s}
}}
service imap-login {{
  chroot =
  {imap_listener}
}}
{namespace}
service anvil {{
  chroot =
  # No auth penalty: a test's wrong password must not slow the next login.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
{auth_service}
{self.settings}
"""
        )
        subprocess.run([self.dovecot, "-c", str(self.config)], check=True, timeout=30)
        wait_for_port(self.port)
        if self.imap_port is not None:
            wait_for_port(self.imap_port)
        if self.pop3s_port is not None:
            wait_for_port(self.pop3s_port)
        if self.sasl_socket is not None:
            deadline = time.monotonic() + 15
            while not self.sasl_socket.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        return self

    def add_mailbox(self, user: str, messages: dict[str, bytes]) -> Path:
        """Create ``user``'s Maildir while running, with ``messages`` (file name:
        bytes) in ``new/``; returns the Maildir. Dovecot takes a few seconds to
        stop, so tests share one instance and each takes a fresh user."""
        box = self.maildir_root / user
        for sub in ("tmp", "new", "cur"):
            (box / sub).mkdir(parents=True)
        for name, data in messages.items():
            (box / "tmp" / name).write_bytes(data)
        if self._owned is not None:
            for path in [box, *box.rglob("*")]:
                shutil.chown(path, "dovecot", "dovecot")
        for name in messages:  # the Maildir way: written in tmp/, then renamed
            (box / "tmp" / name).rename(box / "new" / name)
        return box

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        subprocess.run([self.dovecot, "-c", str(self.config), "stop"], timeout=30, check=False)
        if self._owned is not None:
            shutil.rmtree(self._owned, ignore_errors=True)


# The services a relay-only Postfix needs: smtpd on one loopback port, the
# queue manager and its helpers, the SMTP client, and postlogd for maillog_file.
# Nothing is chrooted, so the throwaway directories need no copies of /etc.
_POSTFIX_MASTER_CF = """\
{listen} inet n - n - - smtpd
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


class Postfix:
    """A throwaway Postfix relaying everything it accepts to ``relay_port``.

    smtpd listens on ``.port`` (loopback) with SMTPUTF8 on; mail goes on to
    ``[127.0.0.1]:relay_port`` with short retry times. Recipients listed in
    ``refuse`` get ``550 5.1.1`` at RCPT. With ``starttls=False`` (the
    default) neither side offers or uses STARTTLS; with ``True`` smtpd offers
    it with a self-signed certificate for ``hostname`` (``.cert_file``). With
    ``sasl_path`` (a Dovecot auth socket) smtpd offers AUTH, inside TLS only
    when ``starttls``. Postfix's own log is ``.log`` (read it with
    ``.log_text()``). ``settings`` ("name = value") go into main.cf after
    these.

    Postfix starts only as root: config and queue directories are root's,
    the queue's subdirectories the ``postfix`` user's.
    """

    def __init__(
        self,
        relay_port: int,
        *,
        refuse: tuple[str, ...] = (),
        starttls: bool = False,
        hostname: str = "postfix.mailroom.test",
        sasl_path: Path | None = None,
        settings: tuple[str, ...] = (),
    ) -> None:
        self.postfix = require_program("postfix")
        self.settings = tuple(settings)
        self.postconf = require_program("postconf")
        if os.getuid() != 0:
            pytest.skip("Postfix starts only as root")
        if starttls:
            require_program("openssl")
        self.cert_file: Path | None = None  # with starttls: trust this to verify
        self.relay_port = relay_port
        self.refuse = tuple(refuse)
        self.starttls = starttls
        self.hostname = hostname
        self.sasl_path = sasl_path
        self.port = free_port()
        self.root = Path()
        self.config_dir = Path()
        self.log = Path()
        self._started = False

    def _postconf(self, *settings: str) -> None:
        subprocess.run(
            [self.postconf, "-c", str(self.config_dir), "-e", *settings],
            check=True,
            capture_output=True,
            timeout=30,
        )

    def __enter__(self) -> Postfix:
        # A directory the postfix user can reach (pytest's tmp_path is 0700).
        self.root = Path(tempfile.mkdtemp(prefix="mailroom-postfix-"))
        try:
            self._configure()
            self._start()
        except BaseException:
            self._stop()
            raise
        return self

    def _configure(self) -> None:
        self.root.chmod(0o755)
        self.config_dir = self.root / "etc"
        queue = self.root / "spool"
        data = self.root / "lib"
        self.config_dir.mkdir(mode=0o755)
        queue.mkdir(mode=0o755)
        data.mkdir(mode=0o700)
        shutil.chown(data, "postfix", "postfix")
        self.log = self.root / "postfix.log"
        (self.config_dir / "master.cf").write_text(
            _POSTFIX_MASTER_CF.format(listen=f"127.0.0.1:{self.port}")
        )
        refused = self.config_dir / "refused_recipients"
        refused.write_text(
            "".join(f"{a} 550 5.1.1 <{a}>: no such user here\n" for a in self.refuse)
        )
        settings = [
            "compatibility_level = 3.6",
            f"queue_directory = {queue}",
            f"data_directory = {data}",
            f"myhostname = {self.hostname}",
            "mydomain = mailroom.test",
            "myorigin = $myhostname",
            "mydestination =",
            "local_recipient_maps =",
            "local_transport = error:no local delivery",
            "alias_maps =",
            "alias_database =",
            "inet_interfaces = loopback-only",
            "inet_protocols = ipv4",
            "mynetworks = 127.0.0.0/8",
            f"relayhost = [127.0.0.1]:{self.relay_port}",
            "smtpd_relay_restrictions = permit_mynetworks, reject",
            f"smtpd_recipient_restrictions = check_recipient_access texthash:{refused}, "
            "permit_mynetworks, reject",
            "smtputf8_enable = yes",
            "biff = no",
            "append_dot_mydomain = no",
            "queue_run_delay = 1s",
            "minimal_backoff_time = 1s",
            "maximal_backoff_time = 2s",
            "maximal_queue_lifetime = 1h",
            "bounce_queue_lifetime = 1h",
            "in_flow_delay = 0",
            "smtp_connect_timeout = 5s",
            "smtp_helo_timeout = 10s",
            "smtp_tls_security_level = none",
            "smtpd_tls_security_level = none",
            "message_size_limit = 52428800",
            f"maillog_file = {self.log}",
            f"maillog_file_prefixes = {self.root}",
            "smtpd_banner = $myhostname ESMTP",
        ]
        if self.starttls:
            cert, key = self_signed_certificate(self.config_dir, self.hostname)
            self.cert_file = cert
            settings += [
                "smtpd_tls_security_level = may",
                f"smtpd_tls_chain_files = {key}, {cert}",
                "smtpd_tls_auth_only = yes",  # no AUTH offered in clear
            ]
        if self.sasl_path is not None:
            settings += [
                "smtpd_sasl_auth_enable = yes",
                "smtpd_sasl_type = dovecot",
                f"smtpd_sasl_path = {self.sasl_path}",
            ]
        settings += self.settings
        (self.config_dir / "main.cf").write_text("\n".join(settings) + "\n")

    def _start(self) -> None:
        done = subprocess.run(
            [self.postfix, "-c", str(self.config_dir), "start"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"postfix did not start:\n{done.stdout}{done.stderr}\n{self.log_text()}"
            )
        self._started = True
        wait_for_port(self.port)

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def _processes(self) -> list[int]:
        """Postfix processes of this instance (their MAIL_CONFIG names our config)."""
        marker = f"MAIL_CONFIG={self.config_dir}\0".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if marker in (entry / "environ").read_bytes():
                        found.append(int(entry.name))
                except OSError:
                    pass
        return found

    def _stop(self) -> None:
        if self._started:
            subprocess.run(
                [self.postfix, "-c", str(self.config_dir), "stop"],
                capture_output=True,
                timeout=60,
                check=False,
            )
            self._started = False
        deadline = time.monotonic() + 10
        while (left := self._processes()) and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.root != Path():
            shutil.rmtree(self.root, ignore_errors=True)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop()
