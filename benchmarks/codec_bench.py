"""Codec throughput: mailroom's C++ codecs against the Python standard library.

Run: python benchmarks/codec_bench.py [--mb 4] [--repeat 7]
Prints MB/s (of the unencoded data) and the ratio mailroom / stdlib, best of
several runs, measured side by side in the same process.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import quopri
import random
import time
from typing import Callable

from mailroom import mime


def best_seconds(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def text_sample(size: int) -> bytes:
    """Mostly-ASCII mail text with some 8-bit characters, in 60-90 column lines."""
    rng = random.Random(1)
    words = ["mail", "queue", "server", "message", "header", "Zoë", "café", "안녕", "=", "a\t"]
    lines = []
    total = 0
    while total < size:
        line = " ".join(rng.choice(words) for _ in range(rng.randint(8, 16)))
        lines.append(line)
        total += len(line.encode()) + 1
    return "\n".join(lines).encode()[:size]


def row(name: str, size: int, ours: float, theirs: float, peer: str) -> None:
    mbs = size / 1e6
    print(
        f"{name:<28} {mbs / ours:9.0f} MB/s   {peer:<24} {mbs / theirs:8.0f} MB/s"
        f"   x{theirs / ours:6.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=float, default=4.0, help="input size in MB")
    parser.add_argument("--repeat", type=int, default=7, help="runs; the best counts")
    args = parser.parse_args()
    size = int(args.mb * 1e6)
    binary = random.Random(0).randbytes(size)
    text = text_sample(size)
    r = args.repeat

    b64 = base64.encodebytes(binary)
    b64_crlf = mime.b64encode(binary)
    assert mime.b64decode(b64) == binary and binascii.a2b_base64(b64_crlf) == binary
    qp = binascii.b2a_qp(text)
    qp_ours = mime.qp_encode(text)
    assert binascii.a2b_qp(qp_ours) == text.replace(b"\n", b"\r\n")

    print(f"{args.mb:g} MB inputs, best of {r} runs; MB/s of unencoded data\n")
    print(f"{'mailroom':<28} {'':>14}   {'peer':<24} {'':>13}   ratio")
    row(
        "b64decode (76-col lines)",
        size,
        best_seconds(lambda: mime.b64decode(b64), r),
        best_seconds(lambda: binascii.a2b_base64(b64), r),
        "binascii.a2b_base64",
    )
    row(
        "b64encode (76 cols, CRLF)",
        size,
        best_seconds(lambda: mime.b64encode(binary), r),
        best_seconds(lambda: base64.encodebytes(binary), r),
        "base64.encodebytes",
    )
    row(
        "qp_encode (text)",
        size,
        best_seconds(lambda: mime.qp_encode(text), r),
        best_seconds(lambda: binascii.b2a_qp(text), r),
        "binascii.b2a_qp",
    )
    row(
        "qp_encode (text)",
        size,
        best_seconds(lambda: mime.qp_encode(text), r),
        best_seconds(lambda: quopri.encodestring(text), 1),
        "quopri.encodestring",
    )
    row(
        "qp_decode (text)",
        size,
        best_seconds(lambda: mime.qp_decode(qp), r),
        best_seconds(lambda: binascii.a2b_qp(qp), r),
        "binascii.a2b_qp",
    )
    row(
        "qp_decode (text)",
        size,
        best_seconds(lambda: mime.qp_decode(qp), r),
        best_seconds(lambda: quopri.decodestring(qp), 1),
        "quopri.decodestring",
    )
    qp_bin = binascii.b2a_qp(binary)
    row(
        "qp_decode (binary data)",
        size,
        best_seconds(lambda: mime.qp_decode(qp_bin), r),
        best_seconds(lambda: binascii.a2b_qp(qp_bin), r),
        "binascii.a2b_qp",
    )


if __name__ == "__main__":
    main()
