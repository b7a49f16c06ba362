"""Bad archives, read as far as they go: a compressed mbox cut short, a
Content-Length too long, too short or not a number, garbage between
messages, a truncated last entry, an unreadable file in a Maildir. Every
readable message is read (its bytes kept) and the message concerned carries
a defect; what is outside any message is an ArchiveWarning. Progress bars of
the readers and table writers not covered elsewhere."""

from __future__ import annotations

import bz2
import gzip
import lzma
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

import mailroom
from mailroom import ArchiveWarning

from .conftest import require_module

ENV = b"From a@example.org Mon Jan  5 09:15:00 2026\n"


def entry(i: int) -> bytes:
    return (
        ENV + b"Subject: m%d\nMessage-ID: <m%d@example.org>\n\n" % (i, i) + b"body %d\n" % i * 300
    )


def kinds(msg: mailroom.Message) -> list[str]:
    return [d.kind for d in msg.defects]


@pytest.mark.parametrize(
    "compress", [gzip.compress, lzma.compress, bz2.compress], ids=["gzip", "xz", "bzip2"]
)
def test_compressed_mbox_cut_short_reads_every_message_before_the_cut(
    tmp_path: Path, compress: Callable[[bytes], bytes]
) -> None:
    whole = b"\n".join(entry(i) for i in range(400))
    packed = compress(whole)
    path = tmp_path / "cut.mbox.z"
    path.write_bytes(packed[: len(packed) * 9 // 10])
    with pytest.warns(ArchiveWarning, match="breaks off"):
        msgs = list(mailroom.read(path))
    assert 100 < len(msgs) < 400
    *complete, last = msgs
    assert [m.subject for m in complete] == [f"m{i}" for i in range(len(complete))]
    assert all(bytes(m) == entry(i)[len(ENV) :] for i, m in enumerate(complete))
    assert "truncated" in kinds(last) and not any("truncated" in kinds(m) for m in complete)
    assert whole[last.offset + len(ENV) :].startswith(bytes(last))  # the part there is kept
    require_module("pyarrow")
    with pytest.warns(ArchiveWarning, match="breaks off"):
        table = mailroom.to_arrow(path)
    assert table.column("subject").to_pylist() == [m.subject for m in msgs]
    path.write_bytes(packed[:20])  # nothing readable at all: a warning, no message
    with pytest.warns(ArchiveWarning, match="breaks off after byte 0"):
        assert list(mailroom.read(path)) == []


def test_bad_content_lengths_and_garbage_between_messages(tmp_path: Path) -> None:
    data = (
        ENV + b"Subject: one\nContent-Length: 5\n\nbody\n\n"  # lands: framed by it
        b"garbage line between messages\n\n"
        + ENV
        + b"Subject: two\nContent-Length: 3\n\nlonger than said\n\n"  # too short
        + ENV
        + b"Subject: three\nContent-Length: many\n\nbody three\n\n"  # not a number
        + ENV
        + b"Subject: four\nContent-Length: 5\n\nfour\n\n"
        + ENV
        + b"Subject: five\nContent-Length: 400\n\ncut off"  # the file ends first
    )
    path = tmp_path / "bad.mbox"
    path.write_bytes(data)
    for variant in ("mboxcl2", None):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # nothing here is outside a message
            msgs = list(mailroom.read_mbox(path, variant))
        assert [m.subject for m in msgs] == ["one", "two", "three", "four", "five"]
        one, two, three, four, five = msgs
        # the garbage stays with the message before it, which says so
        assert bytes(one).endswith(b"body\n\ngarbage line between messages\n")
        assert "bad_content_length" in kinds(one)
        assert bytes(two).endswith(b"\n\nlonger than said\n") and "bad_content_length" in kinds(two)
        assert bytes(three).endswith(b"\n\nbody three\n")
        assert ("missing_content_length" in kinds(three)) == (variant == "mboxcl2")
        assert bytes(four).endswith(b"\n\nfour\n") and not {"bad_content_length"} & set(kinds(four))
        assert bytes(five).endswith(b"\n\ncut off") and "bad_content_length" in kinds(five)
        assert [m.offset for m in msgs] == [
            data.index(ENV + b"Subject: " + s) for s in (b"one", b"two", b"three", b"four", b"five")
        ]


def test_garbage_before_and_a_torn_envelope_line_at_the_end(tmp_path: Path) -> None:
    path = tmp_path / "torn.mbox"
    path.write_bytes(b"not mail\n" + entry(0) + b"\n" + entry(1) + b"\nFrom b@example.org Mon Ja")
    with pytest.warns(ArchiveWarning, match="garbage at byte 0"):
        msgs = list(mailroom.read_mbox(path))
    assert [m.subject for m in msgs] == ["m0", "m1", None]
    assert [bytes(m) for m in msgs[:2]] == [entry(0)[len(ENV) :], entry(1)[len(ENV) :]]
    assert "truncated" in kinds(msgs[2]) and "truncated" not in kinds(msgs[1])


def test_unreadable_maildir_file_leaves_the_rest_in_the_table(tmp_path: Path) -> None:
    require_module("pyarrow")
    root = tmp_path / "md"
    msgs = [mailroom.Message.parse(entry(i)[len(ENV) :]) for i in range(5)]
    mailroom.write_maildir(msgs, root)
    (root / "new" / "0000000000.M1P1Q1.bad").mkdir()  # read() of it fails
    with pytest.warns(ArchiveWarning, match="skipped"):
        table = mailroom.to_arrow(root)
    assert sorted(table.column("subject").to_pylist()) == [f"m{i}" for i in range(5)]
    with pytest.raises(mailroom.ArchiveError, match="cannot read"):
        list(mailroom.read_maildir(root, errors="raise"))


def test_progress_of_eml_compressed_mbox_and_parquet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_module("tqdm")
    require_module("pyarrow")
    for i in range(3):
        (tmp_path / f"{i}.eml").write_bytes(entry(i)[len(ENV) :])
    assert len(list(mailroom.read_eml(tmp_path / "*.eml", progress=True))) == 3
    assert "3/3" in capsys.readouterr().err
    gz = tmp_path / "a.mbox.gz"
    gz.write_bytes(gzip.compress(b"\n".join(entry(i) for i in range(20))))
    assert len(list(mailroom.read(gz, progress=True))) == 20
    err = capsys.readouterr().err
    assert str(gz) in err and "B" in err  # bytes read, no total to know
    mailroom.write_parquet(gz, tmp_path / "pq", progress=True)
    assert str(gz) in capsys.readouterr().err
    mailroom.write_parquet(gz, tmp_path / "pq2", progress=None)  # no terminal attached
    assert capsys.readouterr().err == ""
