"""MIME engine throughput: mailroom against Python's email, binascii and quopri.

Run:  python benchmarks/mime_bench.py [--messages 3000] [--repeat 5]

Builds a corpus of messages (plain, quoted-printable, HTML alternatives, base64
attachments up to ~100 KB, forwarded messages), then prints MB/s for each
contender, measured in this run on this machine, and the ratios the project
targets. Best of --repeat runs.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import email.message
import email.policy
import quopri
import random
import time
from email.parser import BytesParser
from typing import Callable

from mailroom import Message, mime


def make_corpus(n: int, seed: int = 2026) -> list[bytes]:
    rnd = random.Random(seed)
    words = ["mail", "Zoë", "회의", "données", "report", "the", "and", "日本語", "queue", "x" * 20]
    out = []
    for i in range(n):
        kind = i % 5
        msg = email.message.EmailMessage(policy=email.policy.SMTP)
        msg["From"] = f"Sender {i} <sender{i}@example.org>"
        msg["To"] = ", ".join(f"Rcpt {j} <r{j}@example.net>" for j in range(rnd.randint(1, 5)))
        msg["Subject"] = " ".join(rnd.choice(words) for _ in range(rnd.randint(3, 12)))
        msg["Date"] = "Sun, 22 Nov 2026 02:49:30 +0900"
        msg["Message-ID"] = f"<{i}.{rnd.getrandbits(64):x}@example.org>"
        for h in range(rnd.randint(3, 15)):
            msg[f"X-Header-{h}"] = " ".join(rnd.choice(words) for _ in range(8))
        text = (
            "\n".join(
                " ".join(rnd.choice(words) for _ in range(rnd.randint(5, 25)))
                for _ in range(rnd.randint(5, 80))
            )
            + "\n"
        )
        if kind == 0:  # plain 7bit/8bit
            msg.set_content(text)
        elif kind == 1:  # quoted-printable
            msg.set_content(text, cte="quoted-printable")
        elif kind == 2:  # html alternative
            msg.set_content(text, cte="quoted-printable")
            msg.add_alternative(f"<html><body><p>{text}</p></body></html>", subtype="html")
        elif kind == 3:  # attachments
            msg.set_content(text)
            for _ in range(rnd.randint(1, 3)):
                size = rnd.randint(1_000, 100_000)
                msg.add_attachment(
                    rnd.randbytes(size),
                    maintype="application",
                    subtype="octet-stream",
                    filename=f"file{rnd.randint(0, 999)}.bin",
                )
        else:  # a forwarded message with an attachment
            inner = email.message.EmailMessage(policy=email.policy.SMTP)
            inner["From"] = "inner@example.org"
            inner["Subject"] = "forwarded"
            inner.set_content(text)
            inner.add_attachment(
                rnd.randbytes(rnd.randint(1_000, 50_000)),
                maintype="image",
                subtype="png",
                filename="shot.png",
            )
            msg.set_content("see below\n")
            msg.add_attachment(inner)
        out.append(msg.as_bytes())
    return out


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def mbps(nbytes: int, seconds: float) -> float:
    return nbytes / seconds / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=3000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument(
        "--python-subset",
        type=int,
        default=600,
        help="messages given to Python's email (it is slow)",
    )
    args = ap.parse_args()

    corpus = make_corpus(args.messages)
    total = sum(map(len, corpus))
    subset = corpus[: args.python_subset]
    subset_bytes = sum(map(len, subset))
    print(
        f"corpus: {len(corpus)} messages, {total / 1e6:.1f} MB "
        f"(Python's email measured on the first {len(subset)}, {subset_bytes / 1e6:.1f} MB)\n"
    )

    def ours_structure(msgs: list[bytes] = corpus) -> None:
        for data in msgs:
            Message.parse(data)

    def ours_full(msgs: list[bytes] = corpus) -> None:
        for data in msgs:
            m = Message.parse(data)
            for part in m.walk():
                if not part.is_multipart:
                    _ = part.data

    def py_parse(policy: email.policy.Policy) -> Callable[[], None]:
        parser = BytesParser(policy=policy)

        def run() -> None:
            for data in subset:
                m = parser.parsebytes(data)
                for part in m.walk():
                    if not part.is_multipart():
                        part.get_payload(decode=True)

        return run

    results: dict[str, float] = {}
    results["mailroom structure parse"] = mbps(total, best(ours_structure, args.repeat))
    results["mailroom parse + decode every leaf"] = mbps(total, best(ours_full, args.repeat))
    results["mailroom parse + decode (Python subset)"] = mbps(
        subset_bytes, best(lambda: ours_full(subset), args.repeat)
    )
    results["email policy.default parse + decode"] = mbps(
        subset_bytes, best(py_parse(email.policy.default), max(1, args.repeat // 2))
    )
    results["email compat32 parse + decode"] = mbps(
        subset_bytes, best(py_parse(email.policy.compat32), max(1, args.repeat // 2))
    )

    blob = random.Random(1).randbytes(8_000_000)
    text = ("Zoë's données, 회의 — " * 200 + "\n").encode() * 400
    b64 = base64.encodebytes(blob)
    b64_crlf = mime.b64encode(blob)
    qp = quopri.encodestring(text)
    results["mailroom b64decode"] = mbps(
        len(b64_crlf), best(lambda: mime.b64decode(b64_crlf), args.repeat)
    )
    results["binascii.a2b_base64"] = mbps(
        len(b64), best(lambda: binascii.a2b_base64(b64), args.repeat)
    )
    results["mailroom b64encode (76 cols, CRLF)"] = mbps(
        len(blob), best(lambda: mime.b64encode(blob), args.repeat)
    )
    results["base64.encodebytes (76 cols)"] = mbps(
        len(blob), best(lambda: base64.encodebytes(blob), args.repeat)
    )
    results["mailroom qp_encode"] = mbps(len(text), best(lambda: mime.qp_encode(text), args.repeat))
    results["quopri.encodestring"] = mbps(
        len(text), best(lambda: quopri.encodestring(text), max(1, args.repeat // 2))
    )
    results["binascii.b2a_qp"] = mbps(len(text), best(lambda: binascii.b2a_qp(text), args.repeat))
    results["mailroom qp_decode"] = mbps(len(qp), best(lambda: mime.qp_decode(qp), args.repeat))
    results["quopri.decodestring"] = mbps(
        len(qp), best(lambda: quopri.decodestring(qp), max(1, args.repeat // 2))
    )
    results["binascii.a2b_qp"] = mbps(len(qp), best(lambda: binascii.a2b_qp(qp), args.repeat))

    width = max(map(len, results))
    for name, value in results.items():
        print(f"{name:<{width}}  {value:10.1f} MB/s")

    r = results
    checks = [
        (
            "full parse+decode vs email policy.default",
            r["mailroom parse + decode (Python subset)"] / r["email policy.default parse + decode"],
            50.0,
            "x",
        ),
        (
            "full parse+decode vs email compat32",
            r["mailroom parse + decode (Python subset)"] / r["email compat32 parse + decode"],
            None,
            "x",
        ),
        ("structure parse (GB/s)", r["mailroom structure parse"] / 1000, 1.0, " GB/s"),
        (
            "b64decode vs binascii.a2b_base64",
            r["mailroom b64decode"] / r["binascii.a2b_base64"],
            4.0,
            "x",
        ),
        (
            "b64encode (76 cols) vs base64.encodebytes",
            r["mailroom b64encode (76 cols, CRLF)"] / r["base64.encodebytes (76 cols)"],
            10.0,
            "x",
        ),
        ("qp_encode vs binascii.b2a_qp", r["mailroom qp_encode"] / r["binascii.b2a_qp"], None, "x"),
        ("qp_decode vs binascii.a2b_qp", r["mailroom qp_decode"] / r["binascii.a2b_qp"], None, "x"),
    ]
    print()
    for name, value, target, unit in checks:
        status = (
            ""
            if target is None
            else (
                "  (target >= %g%s: %s)" % (target, unit, "met" if value >= target else "NOT met")
            )
        )
        print(f"{name:<45} {value:8.1f}{unit}{status}")


if __name__ == "__main__":
    main()
