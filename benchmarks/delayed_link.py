"""A network link with a round-trip time and a rate, for benchmarks: a
point-to-point link from this host into a network namespace of its own,
through ``delay_line.c`` (two TUN devices; every packet held for half the RTT
each way, sent no faster than the rate, behind a bounded bottleneck queue).

Needs root, ``ip`` (iproute2), /dev/net/tun and a C compiler; ``missing()``
says which is not there. A server listens on ``NEAR`` (this namespace); a
client runs in the namespace (``in_namespace``) and connects to ``NEAR``.
Loopback and everything else on the host are left alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

NAMESPACE = "mailroom-wan"
NEAR_DEVICE, FAR_DEVICE = "mrwan0", "mrwan1"
NEAR, FAR = "10.201.0.1", "10.201.0.2"
SOURCE = Path(__file__).resolve().parent / "delay_line.c"


def missing() -> str | None:
    """Why a link cannot be built here, or None."""
    if os.geteuid() != 0:
        return "it needs root (network namespaces and TUN devices)"
    if shutil.which("ip") is None:
        return "it needs ip (iproute2)"
    if not os.path.exists("/dev/net/tun"):
        return "it needs /dev/net/tun"
    if _compiler() is None:
        return "it needs a C compiler (cc or $CC)"
    return None


def _compiler() -> str | None:
    return shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


def remove_stale() -> None:
    """What a killed run left: the namespace (its device goes with it) and
    the near device (gone with its delay line, unless that still runs)."""
    if NAMESPACE in _ip("netns", "list").stdout.split():
        _ip("netns", "del", NAMESPACE, check=False)
    if _ip("link", "show", NEAR_DEVICE, check=False).returncode == 0:
        _ip("link", "del", NEAR_DEVICE, check=False)


def in_namespace(command: list[str]) -> list[str]:
    """``command`` run inside the link's namespace, at its far end."""
    return ["ip", "netns", "exec", NAMESPACE, *command]


class DelayedLink:
    """The link, up between ``__enter__`` and ``__exit__``; ``set(rtt_ms)``
    changes its RTT (and rate) for the packets that follow."""

    def __init__(
        self, rtt_ms: float, rate_mbit: float, queue_packets: int, congestion: str | None = None
    ) -> None:
        self.rtt_ms, self.rate_mbit, self.queue_packets = rtt_ms, rate_mbit, queue_packets
        self.congestion = congestion
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._line: subprocess.Popen[str] | None = None

    def _arguments(self) -> list[str]:
        one_way_us = round(self.rtt_ms * 500)
        return [str(one_way_us), str(round(self.rate_mbit * 1000))]

    def __enter__(self) -> DelayedLink:
        remove_stale()
        try:
            self._start()
        except BaseException:
            self._stop()
            raise
        return self

    def _start(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="mailroom-link-")
        exe = os.path.join(self._tmp.name, "delay_line")
        cc = _compiler()
        assert cc is not None
        subprocess.run([cc, "-O2", "-o", exe, str(SOURCE)], check=True)
        self._line = subprocess.Popen(
            [exe, NEAR_DEVICE, FAR_DEVICE, *self._arguments(), str(self.queue_packets)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._line.stdout is not None
        if self._line.stdout.readline().strip() != "ready":
            raise RuntimeError("the delay line did not start (see its message above)")
        _ip("netns", "add", NAMESPACE)
        _ip("link", "set", FAR_DEVICE, "netns", NAMESPACE)
        _ip("addr", "add", NEAR, "peer", FAR, "dev", NEAR_DEVICE)
        _ip("link", "set", NEAR_DEVICE, "mtu", "1500", "up")
        _ip("-n", NAMESPACE, "addr", "add", FAR, "peer", NEAR, "dev", FAR_DEVICE)
        _ip("-n", NAMESPACE, "link", "set", FAR_DEVICE, "mtu", "1500", "up")
        _ip("-n", NAMESPACE, "link", "set", "lo", "up")
        if self.congestion:
            # TCP congestion control for what this host sends over the link
            # only (a route's congctl), the system's default left alone.
            _ip("route", "replace", FAR, "dev", NEAR_DEVICE, "congctl", self.congestion)

    def _command(self, line: str) -> str:
        assert self._line is not None and self._line.stdin and self._line.stdout
        self._line.stdin.write(line + "\n")
        self._line.stdin.flush()
        return self._line.stdout.readline().strip()

    def set(self, rtt_ms: float, rate_mbit: float | None = None) -> None:
        self.rtt_ms = rtt_ms
        self.rate_mbit = rate_mbit or self.rate_mbit
        if self._command("set " + " ".join(self._arguments())) != "ok":
            raise RuntimeError("the delay line refused the new RTT")

    def dropped(self) -> int:
        """Packets the bottleneck queue dropped so far (both ways)."""
        words = self._command("stats").split()
        return int(words[4]) + int(words[5])

    @property
    def pid(self) -> int:
        assert self._line is not None
        return self._line.pid

    def _stop(self) -> None:
        if self._line is not None:
            assert self._line.stdin is not None
            self._line.stdin.close()  # its end of input: it exits, the devices go
            try:
                self._line.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._line.kill()
                self._line.wait()
            self._line = None
        remove_stale()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop()
