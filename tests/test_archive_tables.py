"""Messages as tables: the documented schema in Arrow and pandas, compared
with what Python's email reads from the same messages, Parquet partitions
read back, and a clear error when pandas or pyarrow is missing."""

from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
import hashlib
import sys
from email.parser import BytesParser
from pathlib import Path

import pytest

import mailroom
from mailroom import Message

from .conftest import require_module


def mail(i: int) -> bytes:
    att = (
        (
            "Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nhello %d\r\n--B\r\n"
            'Content-Type: application/pdf; name="r%d.pdf"\r\n'
            "Content-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            "JVBERi0xLjQK\r\n--B--\r\n" % (i, i)
        )
        if i % 3 == 0
        else "Content-Type: text/plain; charset=utf-8\r\n\r\nhello %d\r\n" % i
    )
    refs = f"References: <m{i - 1}@example.org>\r\nIn-Reply-To: <m{i - 1}@example.org>\r\n"
    return (
        f"From: =?utf-8?q?Zo=C3=AB_{i}?= <zoe{i}@example.org>\r\n"
        f"To: bob@example.net, Carol <carol@example.net>\r\n"
        + ("Cc: dave@example.net\r\n" if i % 2 else "")
        + f"Subject: {'Re: ' if i % 4 else ''}topic {i // 4}\r\n"
        f"Date: {1 + i % 28:02d} {['Jan', 'Feb', 'Mar'][i % 3]} 2026 10:00:00 +0200\r\n"
        f"Message-ID: <m{i}@example.org>\r\n"
        + (refs if i % 4 else "")
        + "MIME-Version: 1.0\r\n"
        + att
    ).encode()


RAWS = [mail(i) for i in range(40)]


def conversation_id(msg_id: bytes) -> int:
    """thread_id as documented: SHA-256 of the root's msg-id (or of the
    bytes of a root without one), 8 bytes big-endian, the top bit cleared."""
    return int.from_bytes(hashlib.sha256(msg_id).digest()[:8], "big") & (2**63 - 1)


@pytest.fixture
def mbox(tmp_path: Path) -> Path:
    path = tmp_path / "a.mbox"
    mailroom.write_mbox(RAWS, path)
    return path


def test_columns_agree_with_python_email(mbox: Path) -> None:
    pd = require_module("pandas")
    require_module("pyarrow")
    for source in (mbox, [Message.parse(r) for r in RAWS]):
        df = mailroom.to_pandas(source, columns=[*mailroom.tables.COLUMNS, "text"])
        assert len(df) == len(RAWS)
        assert list(df.columns[:13]) == list(mailroom.tables.COLUMNS)
        for row, raw in zip(df.itertuples(index=False), RAWS):
            em = BytesParser(policy=email.policy.default).parsebytes(raw)
            assert row.message_id == em["Message-ID"]
            assert row.subject == em["Subject"]
            assert row.from_addr == em["From"].addresses[0].addr_spec
            assert row.from_name == em["From"].addresses[0].display_name
            assert list(row.to) == [a.addr_spec for a in em["To"].addresses]
            assert list(row.cc) == ([a.addr_spec for a in em["Cc"].addresses] if em["Cc"] else [])
            assert list(row.bcc) == []
            when = email.utils.parsedate_to_datetime(em["Date"]).astimezone(dt.timezone.utc)
            assert row.date.to_pydatetime() == when
            assert (None if pd.isna(row.in_reply_to) else row.in_reply_to) == em["In-Reply-To"]
            assert list(row.references) == (em["References"].split() if em["References"] else [])
            assert row.size == len(raw)
            atts = [
                (p.get_filename(), p.get_content_type(), len(p.get_payload(decode=True)))
                for p in em.iter_attachments()
            ]
            assert [(a["name"], a["content_type"], a["size"]) for a in row.attachments] == atts
            body = em.get_body(preferencelist=("plain",))
            assert body is not None and row.text == body.get_content()


def test_thread_ids_and_optional_columns(mbox: Path) -> None:
    require_module("pyarrow")
    table = mailroom.to_arrow(mbox, columns=["message_id", "thread_id", "html", "headers"])
    assert table.column_names == ["message_id", "thread_id", "html", "headers"]
    ids = table.column("thread_id").to_pylist()
    # messages 4k .. 4k+3 reply to each other: one thread per four, named by
    # the Message-ID of its first message (no longer 0, 1, ... by date)
    assert ids == [conversation_id(b"<m%d@example.org>" % (i - i % 4)) for i in range(40)]
    assert len(set(ids)) == 10
    assert table.column("html").null_count == 40
    first = table.column("headers")[0].as_py()
    assert first[0] == {"name": "From", "value": "Zoë 0 <zoe0@example.org>"}
    with pytest.raises(ValueError, match="unknown column"):
        mailroom.to_arrow(mbox, columns=["nope"])


def test_maildir_gives_folder_flags_and_source(tmp_path: Path) -> None:
    require_module("pyarrow")
    msgs = [Message.parse(r) for r in RAWS[:6]]
    for i, m in enumerate(msgs):
        m.folder = "Work" if i % 2 else "INBOX"
        m.flags = ["\\Seen"] if i % 3 == 0 else []
    mailroom.write_maildir(msgs, tmp_path / "md")
    table = mailroom.to_arrow(tmp_path / "md")
    assert table.column_names[-3:] == ["folder", "flags", "source"]
    rows = sorted(zip(*(table.column(c).to_pylist() for c in ("message_id", "folder", "flags"))))
    assert rows == sorted(
        (f"<m{i}@example.org>", "Work" if i % 2 else "INBOX", ["\\Seen"] if i % 3 == 0 else [])
        for i in range(6)
    )


def test_parquet_partitions_read_back_in_pandas(mbox: Path, tmp_path: Path) -> None:
    pd = require_module("pandas")
    require_module("pyarrow")
    out = tmp_path / "pq"
    mailroom.write_parquet(mbox, out)
    months = sorted(p.name for p in (out / "year=2026").iterdir())
    assert months == ["month=1", "month=2", "month=3"]
    back = pd.read_parquet(out)
    assert len(back) == len(RAWS)
    assert sorted(back["message_id"]) == sorted(f"<m{i}@example.org>" for i in range(40))
    mailroom.write_parquet(mbox, tmp_path / "one.parquet", partition_by=None)
    assert len(pd.read_parquet(tmp_path / "one.parquet")) == len(RAWS)


def test_without_pyarrow_the_error_says_what_to_install(
    mbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r'pip install "mailroom\[data\]"'):
        mailroom.to_arrow(mbox)
    with pytest.raises(ImportError, match=r'pip install "mailroom\[data\]"'):
        mailroom.to_pandas(mbox)
    # and the rest of mailroom works
    assert len(list(mailroom.read(mbox))) == len(RAWS)


def test_tables_show_progress(mbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    require_module("pyarrow")
    require_module("tqdm")
    assert mailroom.to_arrow(mbox, progress=True).num_rows == len(RAWS)
    assert "100%" in capsys.readouterr().err
    mailroom.to_arrow(mbox)
    assert capsys.readouterr().err == ""


def test_parquet_from_two_writers_reads_back_in_duckdb(tmp_path: Path) -> None:
    """Two write_parquet runs (two machines, each with half of an archive)
    into one year/month dataset: DuckDB reads it as one table, with the
    schema's types and the same values pandas reads."""
    pd = require_module("pandas")
    require_module("pyarrow")
    duckdb = require_module("duckdb")
    mailroom.write_mbox(RAWS[:25], tmp_path / "a.mbox")
    mailroom.write_mbox(RAWS[25:], tmp_path / "b.mbox")
    out = tmp_path / "pq"
    mailroom.write_parquet(tmp_path / "a.mbox", out)
    mailroom.write_parquet(tmp_path / "b.mbox", out)
    con = duckdb.connect()
    rel = con.sql(
        "SELECT * FROM read_parquet(?, hive_partitioning = true) ORDER BY message_id",
        params=[str(out / "**" / "*.parquet")],
    )
    types = dict(zip(rel.columns, map(str, rel.types)))
    assert types["message_id"] == "VARCHAR"
    assert types["date"] == "TIMESTAMP WITH TIME ZONE"
    assert types["to"] == types["references"] == "VARCHAR[]"
    assert types["thread_id"] == types["size"] == "BIGINT"
    assert types["attachments"] == 'STRUCT("name" VARCHAR, content_type VARCHAR, size BIGINT)[]'
    assert {types["year"], types["month"]} <= {"BIGINT", "INTEGER"}
    rows = rel.fetchall()
    assert len(rows) == len(RAWS)
    got = {r[rel.columns.index("message_id")]: dict(zip(rel.columns, r)) for r in rows}
    want = pd.read_parquet(out).set_index("message_id")
    for i, raw in enumerate(RAWS):
        em = BytesParser(policy=email.policy.default).parsebytes(raw)
        row = got[f"<m{i}@example.org>"]
        when = email.utils.parsedate_to_datetime(em["Date"]).astimezone(dt.timezone.utc)
        assert row["date"] == when
        assert (row["year"], row["month"]) == (when.year, when.month)
        assert row["subject"] == em["Subject"]
        assert row["to"] == [a.addr_spec for a in em["To"].addresses]
        assert row["size"] == len(raw)
        assert [a["name"] for a in row["attachments"]] == [
            p.get_filename() for p in em.iter_attachments()
        ]
        assert row["from_name"] == want.loc[row["message_id"], "from_name"]
    by_month = con.sql(
        "SELECT month, count(*) FROM read_parquet(?, hive_partitioning = true) "
        "GROUP BY month ORDER BY month",
        params=[str(out / "**" / "*.parquet")],
    ).fetchall()
    assert by_month == [(m, sum(1 for i in range(40) if i % 3 == m - 1)) for m in (1, 2, 3)]


def thread_mail(mid: str | None, subject: str, day: int, refs: str = "", irt: str = "") -> bytes:
    head = f"Message-ID: {mid}\r\n" if mid else ""
    head += f"References: {refs}\r\n" if refs else ""
    head += f"In-Reply-To: {irt}\r\n" if irt else ""
    return (
        f"From: a@example.org\r\nTo: b@example.org\r\nSubject: {subject}\r\n{head}"
        f"Date: {day:02d} Mar 2026 10:00:00 +0000\r\n\r\nbody of {subject}\r\n"
    ).encode()


def test_thread_ids_agree_across_parquet_writers(tmp_path: Path) -> None:
    """Two write_parquet runs over two halves of an archive, threads spanning
    both: in DuckDB each conversation has one thread_id over the dataset, and
    different conversations have different ones."""
    require_module("pyarrow")
    duckdb = require_module("duckdb")
    first = [
        thread_mail("<a1@x>", "budget", 1),
        thread_mail("<a2@x>", "Re: budget", 2, "<a1@x>", "<a1@x>"),
        thread_mail("<d1@x>", "offsite", 3),
        thread_mail(None, "no id at all", 4),  # named by its bytes
        thread_mail("<e2@x>", "Re: release", 5, "<e1@x>", "<e1@x>"),  # e1 never seen
    ]
    second = [
        # one reply alone of a thread whose root is in the other half
        thread_mail("<a3@x>", "Re: budget", 6, "<a1@x> <a2@x>", "<a2@x>"),
        thread_mail("<d2@x>", "Re: offsite", 7, "", "<d1@x>"),  # In-Reply-To only
        thread_mail("<b1@x>", "party", 8),
        thread_mail("<b2@x>", "Re: party", 9, "<b1@x>", "<b1@x>"),
        thread_mail("<e3@x>", "Re: release", 10, "<e1@x> <e2@x>", "<e2@x>"),
    ]
    mailroom.write_mbox(first, tmp_path / "a.mbox")
    mailroom.write_mbox(second, tmp_path / "b.mbox")
    out = tmp_path / "pq"
    mailroom.write_parquet(tmp_path / "a.mbox", out)
    mailroom.write_parquet(tmp_path / "b.mbox", out)
    con, files = duckdb.connect(), [str(out / "**" / "*.parquet")]
    rel = con.sql("SELECT subject, thread_id FROM read_parquet(?)", params=files)
    rows = rel.fetchall()
    assert len(rows) == 10
    by_subject: dict[str, set[int]] = {}
    for subject, thread_id in rows:
        by_subject.setdefault(subject.removeprefix("Re: "), set()).add(thread_id)
    assert by_subject == {
        "budget": {conversation_id(b"<a1@x>")},
        "offsite": {conversation_id(b"<d1@x>")},
        "no id at all": {conversation_id(first[3])},
        "release": {conversation_id(b"<e1@x>")},
        "party": {conversation_id(b"<b1@x>")},
    }
    # one group per conversation
    rel = con.sql("SELECT thread_id, count(*) FROM read_parquet(?) GROUP BY ALL", params=files)
    assert sorted(n for _, n in rel.fetchall()) == [1, 2, 2, 2, 3]


def test_rows_filled_on_threads_are_the_rows_of_one_thread(tmp_path: Path) -> None:
    """An mbox of many 1 MiB chunks (parsed while the next ones are framed)
    and a list of Messages of many batches give, on 1, 2 and 3 threads, the
    same table: rows in order, threads linked across chunks."""
    require_module("pyarrow")
    pad = "".join(f"line {k} of a longer body\n" for k in range(120))
    raws = [
        mail(i).replace(b"hello", b"hello\n" + pad.encode() + b"\nFrom the body\n")
        for i in range(3000)
    ]
    path = tmp_path / "big.mbox"
    mailroom.write_mbox(raws, path)
    assert path.stat().st_size > 9 << 20
    one = mailroom.to_arrow(path, threads=1)
    assert one.num_rows == 3000
    assert one.column("message_id").to_pylist() == [f"<m{i}@example.org>" for i in range(3000)]
    ids = one.column("thread_id").to_pylist()
    assert len(set(ids)) == 750 and all(ids[i] == ids[i - i % 4] for i in range(3000))
    for k in (2, 3):
        assert mailroom.to_arrow(path, threads=k).equals(one), k
    msgs = [Message.parse(r) for r in raws[:1000]]
    from_list = mailroom.to_arrow(msgs, threads=2)
    assert from_list.equals(mailroom.to_arrow(msgs, threads=1))
    assert from_list.column("size").to_pylist() == [len(r) for r in raws[:1000]]
