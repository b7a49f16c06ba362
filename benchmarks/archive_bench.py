"""An mbox into a DataFrame: mailroom against Python's mailbox + email.

Run:  python benchmarks/archive_bench.py [--messages 50000] [--baseline-messages 5000]

Writes an mbox of --messages messages (plain text, HTML alternatives, base64
attachments, replies with References and In-Reply-To, encoded words), then
builds a pandas DataFrame with the columns of mailroom's schema (message_id,
date, from_addr, from_name, to, cc, bcc, subject, in_reply_to, references,
thread_id, size, attachments):

- mailroom.to_pandas(path, threads=N) for one thread, two, and every core
  (the rows are parsed and filled on native threads with the GIL released,
  in 1 MiB chunks, while the calling thread frames the next ones and takes
  a chunk itself when the queue is full; RFC 5256 threading and the
  Arrow/pandas conversion of the chunked columns follow), with the time of
  the native parse + fill + threading step alone beside it (the mbox framed
  beforehand);
- Python's mailbox.mbox + email (policy.default) building the same columns
  but thread_id (which mailroom computes on top, RFC 5256 REFERENCES), on
  the first --baseline-messages of the same file (it is linear in the count:
  messages per second compare).

Then mailroom.write_parquet of the whole archive, in MB/s of mbox. All in
this run on this machine; ratios are of messages per second. Best of --repeat.

Thread scaling depends on free cores: the load average is printed, and so is
the scaling of a control that is perfectly parallel (hashlib.sha256, which
releases the GIL, on one buffer per thread), measured in the same run. When
the control does not scale either, the machine had no idle core to give.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.policy
import email.utils
import hashlib
import mailbox
import os
import random
import shutil
import tempfile
import threading
import time
from email.parser import BytesParser
from typing import Any

import pandas as pd

import mailroom
from mailroom._core.archive import MboxReader, MessageTableBuilder

WORDS = ["mail", "Zoë", "회의", "données", "report", "the", "and", "queue", "lunch", "x" * 12]


def make_messages(n: int, seed: int = 2026) -> list[bytes]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        topic = i // 5
        reply = i % 5
        subject = ("Re: " if reply else "") + f"topic {topic} " + rnd.choice(WORDS)
        if rnd.random() < 0.2:
            subject = "=?utf-8?q?" + subject.replace(" ", "_").encode().hex("=").upper() + "?="
        day = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(minutes=17 * i)
        headers = [
            f"From: Sender {i % 500} <sender{i % 500}@example.org>",
            "To: " + ", ".join(f"Rcpt {j} <r{j}@example.net>" for j in range(rnd.randint(1, 4))),
            f"Subject: {subject}",
            "Date: " + email.utils.format_datetime(day),
            f"Message-ID: <{i}@example.org>",
        ]
        if rnd.random() < 0.3:
            headers.append(f"Cc: cc{i % 7}@example.net")
        if reply:
            refs = " ".join(f"<{topic * 5 + k}@example.org>" for k in range(reply))
            headers += [f"References: {refs}", f"In-Reply-To: <{i - 1}@example.org>"]
        for h in range(rnd.randint(2, 8)):
            headers.append(f"X-Header-{h}: " + " ".join(rnd.choice(WORDS) for _ in range(6)))
        text = "\n".join(
            " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(5, 15)))
            for _ in range(rnd.randint(3, 30))
        )
        kind = i % 4
        if kind == 0:
            body = ["Content-Type: text/plain; charset=utf-8", "", text]
        elif kind == 1:
            body = [
                'Content-Type: multipart/alternative; boundary="alt"',
                "",
                "--alt",
                "Content-Type: text/plain; charset=utf-8",
                "",
                text,
                "--alt",
                "Content-Type: text/html; charset=utf-8",
                "",
                f"<html><body><p>{text}</p></body></html>",
                "--alt--",
            ]
        else:
            import base64

            blob = base64.encodebytes(rnd.randbytes(rnd.randint(500, 6000))).decode()
            body = [
                'Content-Type: multipart/mixed; boundary="mix"',
                "",
                "--mix",
                "Content-Type: text/plain; charset=utf-8",
                "",
                text,
                "--mix",
                f'Content-Type: application/pdf; name="report-{i}.pdf"',
                "Content-Disposition: attachment",
                "Content-Transfer-Encoding: base64",
                "",
                blob.rstrip("\n"),
                "--mix--",
            ]
        out.append(("\n".join(headers + ["MIME-Version: 1.0"] + body) + "\n").encode())
    return out


def python_dataframe(path: str, limit: int) -> pd.DataFrame:
    """The same columns (no thread_id) with mailbox + email, policy.default."""
    parser = BytesParser(policy=email.policy.default)
    rows: dict[str, list[Any]] = {k: [] for k in COLUMNS_NO_THREAD}
    box = mailbox.mbox(path)
    for n, key in enumerate(box.iterkeys()):
        if n >= limit:
            break
        raw = box.get_bytes(key)
        em = parser.parsebytes(raw)
        frm = em["From"]
        author = frm.addresses[0] if frm is not None and frm.addresses else None
        date = em["Date"]
        try:
            when = date.datetime.astimezone(dt.timezone.utc) if date is not None else None
        except (AttributeError, ValueError):
            when = None

        def addrs(name: str, em: Any = em) -> list[str]:
            h = em[name]
            return [a.addr_spec for a in h.addresses] if h is not None else []

        irt = em["In-Reply-To"]
        refs = em["References"]
        rows["message_id"].append(str(em["Message-ID"]) if em["Message-ID"] else None)
        rows["date"].append(when)
        rows["from_addr"].append(author.addr_spec if author else None)
        rows["from_name"].append(author.display_name if author else None)
        rows["to"].append(addrs("To"))
        rows["cc"].append(addrs("Cc"))
        rows["bcc"].append(addrs("Bcc"))
        rows["subject"].append(str(em["Subject"]) if em["Subject"] is not None else None)
        rows["in_reply_to"].append(str(irt).split()[0] if irt else None)
        rows["references"].append(str(refs).split() if refs else [])
        rows["size"].append(len(raw))
        rows["attachments"].append(
            [
                {
                    "name": p.get_filename(),
                    "content_type": p.get_content_type(),
                    "size": len(p.get_payload(decode=True) or b""),
                }
                for p in em.iter_attachments()
            ]
        )
    box.close()
    df = pd.DataFrame(rows)
    df["date"] = pd.to_datetime(df["date"], utc=True)
    return df


COLUMNS_NO_THREAD = [c for c in mailroom.tables.COLUMNS if c != "thread_id"]


def native_rows_seconds(path: str, threads: int) -> float:
    """The native step alone: the framed messages of the whole mbox parsed,
    their rows filled on ``threads`` threads and threaded (RFC 5256), the GIL
    released."""
    reader = MboxReader("detect")
    with open(path, "rb") as f:
        reader.feed(f.read())
    reader.finish()
    builder = MessageTableBuilder(threads=threads)
    t0 = time.perf_counter()
    builder.add_mbox(reader)
    builder.finish()
    return time.perf_counter() - t0


def control_scaling(threads: int, mb: int = 64) -> float:
    """How much faster ``threads`` threads hash one buffer each than one thread
    hashes one: the parallelism this machine gives right now."""
    buf = b"\x5a" * (mb << 20)

    def run(k: int) -> float:
        workers = [threading.Thread(target=hashlib.sha256, args=(buf,)) for _ in range(k)]
        t0 = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        return (time.perf_counter() - t0) / k

    one = min(run(1) for _ in range(3))
    many = min(run(threads) for _ in range(3))
    return one / many


def best(fn: Any, repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=50_000)
    ap.add_argument("--baseline-messages", type=int, default=5_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="archive-bench-")
    try:
        path = os.path.join(work, "archive.mbox")
        t0 = time.perf_counter()
        mailroom.write_mbox(make_messages(args.messages), path)
        size_mb = os.path.getsize(path) / 1e6
        print(
            f"mbox: {args.messages:,} messages, {size_mb:.1f} MB "
            f"(written in {time.perf_counter() - t0:.1f} s)"
        )
        cores = os.cpu_count() or 1
        counts = sorted({1, 2, cores})
        load = os.getloadavg()
        timed: dict[int, float] = {}
        native: dict[int, float] = {}
        frames: dict[int, pd.DataFrame] = {}
        for k in counts:
            timed[k], frames[k] = best(lambda k=k: mailroom.to_pandas(path, threads=k), args.repeat)
            native[k] = min(native_rows_seconds(path, k) for _ in range(args.repeat))
            assert len(frames[k]) == args.messages, (k, len(frames[k]))
            assert frames[k].equals(frames[1]), k
        df1 = frames[1]
        t1 = timed[1]
        assert list(df1.columns[: len(mailroom.tables.COLUMNS)]) == list(mailroom.tables.COLUMNS)
        limit = min(args.baseline_messages, args.messages)
        tp, dfp = best(lambda: python_dataframe(path, limit), 1)
        assert len(dfp) == limit
        # the same values where both have them
        ours = df1.head(limit)
        for col in ("message_id", "from_addr", "subject", "size"):
            assert list(ours[col]) == list(dfp[col]), col
        assert [list(x) for x in ours["to"]] == list(dfp["to"])
        assert [len(x) for x in ours["attachments"]] == [len(x) for x in dfp["attachments"]]
        assert (ours["date"] == dfp["date"]).all()

        rate1 = args.messages / t1
        ratep = limit / tp
        print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {cores} cores")
        for k in counts:
            label = f"mailroom.to_pandas, {k} thread{'s' if k > 1 else ' '}:"
            print(
                f"{label:<34}{args.messages / timed[k]:>10,.0f} msg/s  ({timed[k]:.2f} s; "
                f"native parse + rows + threads {native[k]:.2f} s)"
            )
        print(f"mailbox + email (policy.default): {ratep:>10,.0f} msg/s  ({limit:,} in {tp:.2f} s)")
        print(f"ratio, one core:     {rate1 / ratep:6.1f}x  (target >= 20x)")
        for k in counts[1:]:
            print(
                f"ratio, {k} threads:   {args.messages / timed[k] / ratep:6.1f}x  "
                f"(to_pandas scales {t1 / timed[k]:.2f}x, "
                f"native step {native[1] / native[k]:.2f}x, "
                f"sha256 control {control_scaling(k):.2f}x)"
            )
        load = os.getloadavg()
        print(f"load average after:  {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")

        out = os.path.join(work, "parquet")
        tq, _ = best(
            lambda: (shutil.rmtree(out, ignore_errors=True), mailroom.write_parquet(path, out)), 1
        )
        back = pd.read_parquet(out)
        assert len(back) == args.messages
        print(
            f"write_parquet (year/month partitions): {size_mb / tq:.0f} MB/s of mbox ({tq:.2f} s)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
