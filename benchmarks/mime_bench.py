"""MIME engine throughput: mailroom against GMime, Python's email, binascii and quopri.

Run:  python benchmarks/mime_bench.py [--messages 3000] [--repeat 5]

Builds a corpus of messages (plain, quoted-printable, HTML alternatives, base64
attachments up to ~100 KB, forwarded messages), then prints MB/s for each
contender, measured in this run on this machine, and the ratios the project
targets. Each figure is the best of --repeat runs, timed in CPU time of the
process doing the work (``time.process_time``; ``CLOCK_PROCESS_CPUTIME_ID``
in the GMime driver): every contender runs on one thread, and CPU time keeps
the ratios steady on a machine other work shares, where wall-clock time
counts the time the process waited for a core. The garbage collector is off
while a run is timed, as ``timeit`` has it. The load average is printed with
the figures.

"Full parse + decode" is the same work on every side, on the same messages:
parse the message; walk every part (into multiparts and message/rfc822);
decode every header value (unfolded, RFC 2047 encoded words decoded); decode
each leaf's Content-Transfer-Encoding; for text/* leaves turn the charset
into text (a Python str; UTF-8 for GMime, validated).

- mailroom, part by part: ``Message.parse``, ``walk()``, ``part.headers``,
  ``part.text`` for text leaves and ``part.data`` for the others, called
  from Python.
- mailroom, one call: ``Message.parse`` and ``decoded_parts()``, which gives
  the same headers, texts and bytes for every part from one native call.
- Python's email: ``BytesParser(policy=...)``, ``walk()``; policy.default:
  ``str()`` of every header value, ``get_content()`` for text leaves,
  ``get_payload(decode=True)`` for the others; compat32: ``decode_header``
  + ``make_header`` for headers, ``get_payload(decode=True)`` decoded by the
  part's charset for text leaves. Measured on the first --python-subset
  messages (it is slow); ratios compare MB/s on that subset.
- GMime 3 (C): ``benchmarks/gmime_driver.c``, compiled at run time with
  ``cc $(pkg-config --cflags --libs gmime-3.0)`` into a temporary
  directory; it reads the whole corpus into memory first and times only its
  parse + decode loop (``g_mime_parser_construct_message``,
  ``g_mime_header_get_value`` for every header, ``g_mime_data_wrapper_write_to_stream``
  for every leaf, a charset filter to UTF-8 when a text leaf is not UTF-8 or
  US-ASCII, and ``g_utf8_validate``). The GMime column is skipped, saying why,
  when pkg-config, gmime-3.0 or a C compiler is missing.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import email.message
import email.policy
import gc
import os
import quopri
import random
import shutil
import subprocess
import tempfile
import time
from email.header import decode_header, make_header
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


GMIME_DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gmime_driver.c")


def gmime_full(corpus: list[bytes], repeat: int) -> tuple[float, float] | str:
    """GMime's full parse + decode of ``corpus``: (MB/s, messages/s), or why
    it was skipped."""
    wanted = os.environ.get("CC", "cc")
    cc = shutil.which(wanted) or (None if "CC" in os.environ else shutil.which("gcc"))
    if cc is None:
        return f"no C compiler ({wanted}) on PATH"
    if shutil.which("pkg-config") is None:
        return "pkg-config is not installed"
    flags = subprocess.run(
        ["pkg-config", "--cflags", "--libs", "gmime-3.0"], capture_output=True, text=True
    )
    if flags.returncode != 0:
        return "gmime-3.0 not found by pkg-config (Debian: apt-get install libgmime-3.0-dev)"
    with tempfile.TemporaryDirectory(prefix="mime-bench-") as tmp:
        exe = os.path.join(tmp, "gmime_driver")
        build = subprocess.run(
            [cc, "-O2", "-o", exe, GMIME_DRIVER, *flags.stdout.split()],
            capture_output=True,
            text=True,
        )
        if build.returncode != 0:
            return "the driver did not compile: " + build.stderr.strip()[-500:]
        path = os.path.join(tmp, "corpus")
        with open(path, "wb") as f:
            for data in corpus:
                f.write(b"%d\n" % len(data))
                f.write(data)
        run = subprocess.run([exe, path, str(repeat)], capture_output=True, text=True)
        if run.returncode != 0:
            raise RuntimeError(f"gmime_driver failed: {run.stderr.strip()}")
    fields = dict(kv.split("=") for kv in run.stdout.split())
    if int(fields["messages"]) != len(corpus):
        raise RuntimeError(f"gmime_driver read {fields['messages']} messages of {len(corpus)}")
    seconds = float(fields["seconds"])
    return mbps(int(fields["bytes"]), seconds), len(corpus) / seconds


def best(fn: Callable[[], object], repeat: int) -> float:
    """The least CPU time of ``repeat`` runs of ``fn``, in seconds, with the
    cyclic garbage collector off while one runs (as ``timeit`` does: what it
    costs depends on every object the process holds, the corpus builder's
    included, not on the contender)."""
    times = []
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            t0 = time.process_time()
            fn()
            times.append(time.process_time() - t0)
        finally:
            gc.enable()
    return min(times)


def load_average() -> str:
    try:
        return "%.1f %.1f %.1f" % os.getloadavg()
    except OSError:
        return "unknown"


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
        f"(Python's email measured on the first {len(subset)}, {subset_bytes / 1e6:.1f} MB)"
    )
    print(f"load average at the start: {load_average()}; best of {args.repeat} runs, CPU time\n")

    def ours_structure(msgs: list[bytes] = corpus) -> None:
        for data in msgs:
            Message.parse(data)

    def ours_full(msgs: list[bytes] = corpus) -> None:
        for data in msgs:
            m = Message.parse(data)
            for part in m.walk():
                _ = part.headers
                if part.is_multipart or part.is_message:
                    continue
                if part.maintype == "text":
                    _ = part.text
                else:
                    _ = part.data

    def ours_one_call(msgs: list[bytes] = corpus) -> None:
        for data in msgs:
            for _part, _headers, _content in Message.parse(data).decoded_parts():
                pass

    def py_parse(policy: email.policy.Policy) -> Callable[[], None]:
        parser = BytesParser(policy=policy)
        modern = policy is not email.policy.compat32

        def run() -> None:
            for data in subset:
                m = parser.parsebytes(data)
                for part in m.walk():
                    for _, value in part.items():
                        if modern:
                            str(value)
                        else:
                            str(make_header(decode_header(value)))
                    if part.is_multipart():
                        continue
                    if part.get_content_maintype() != "text":
                        part.get_payload(decode=True)
                    elif modern:
                        part.get_content()
                    else:
                        raw = part.get_payload(decode=True)
                        raw.decode(part.get_content_charset() or "ascii", "replace")

        return run

    results: dict[str, float] = {}
    results["mailroom structure parse"] = mbps(total, best(ours_structure, args.repeat))
    t_full = best(ours_full, args.repeat)
    results["mailroom parse + decode every leaf"] = mbps(total, t_full)
    results["mailroom parse + decode (Python subset)"] = mbps(
        subset_bytes, best(lambda: ours_full(subset), args.repeat)
    )
    t_one = best(ours_one_call, args.repeat)
    results["mailroom parse + decoded_parts()"] = mbps(total, t_one)
    results["mailroom parse + decoded_parts() (Python subset)"] = mbps(
        subset_bytes, best(lambda: ours_one_call(subset), args.repeat)
    )
    gmime = gmime_full(corpus, args.repeat)
    if isinstance(gmime, str):
        print(f"GMime column skipped: {gmime}\n")
    else:
        results["GMime 3 parse + decode (C)"] = gmime[0]
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

    print(
        f"\nfull parse + decode, messages/s: mailroom {len(corpus) / t_full:,.0f} "
        f"(part by part), {len(corpus) / t_one:,.0f} (decoded_parts)",
        end="",
    )
    print("" if isinstance(gmime, str) else f", GMime 3 {gmime[1]:,.0f}")
    print(f"load average at the end: {load_average()}")

    r = results
    email_default = r["email policy.default parse + decode"]
    checks = [
        (
            "decoded_parts() vs email policy.default",
            r["mailroom parse + decoded_parts() (Python subset)"] / email_default,
            60.0,
            "x",
        ),
        (
            "part by part vs email policy.default",
            r["mailroom parse + decode (Python subset)"] / email_default,
            None,
            "x",
        ),
        *(
            []
            if isinstance(gmime, str)
            else [
                (
                    "decoded_parts() vs GMime 3",
                    r["mailroom parse + decoded_parts()"] / r["GMime 3 parse + decode (C)"],
                    3.0,
                    "x",
                ),
                (
                    "part by part vs GMime 3",
                    r["mailroom parse + decode every leaf"] / r["GMime 3 parse + decode (C)"],
                    None,
                    "x",
                ),
            ]
        ),
        (
            "part by part vs email compat32",
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
