"""Archives: mbox (every variant) and Maildir read and written, checked
against Python's mailbox in both directions, compressed files, where each
message came from, and bad input (garbage, partial messages, bad
Content-Length, unreadable files) read as far as it can be."""

from __future__ import annotations

import gzip
import io
import lzma
import mailbox
import os
import warnings
from pathlib import Path

import pytest

import mailroom
from mailroom import ArchiveError, ArchiveWarning, Message

from .test_archive_tables import conversation_id

ENVELOPE = "alice@example.org Mon Jan  5 09:15:00 2026"


def sample(i: int, crlf: bool = False) -> bytes:
    """A message whose body has lines an mbox must quote."""
    lines = [
        f"From: User {i} <user{i}@example.org>",
        "To: bob@example.net",
        f"Subject: message {i}",
        "Date: Mon, 05 Jan 2026 09:15:00 +0000",
        f"Message-ID: <m{i}@example.org>",
        "",
        "Hello,",
        "From the start of a line (an mbox must quote this)",
        ">From an already quoted line" if i % 2 else "no quoting here",
        ">>From twice" if i % 3 == 0 else "",
        "",
        "bye",
        "",
    ]
    eol = "\r\n" if crlf else "\n"
    return eol.join(lines).encode()


MESSAGES = [sample(i, crlf=(i % 4 == 3)) for i in range(12)]
# Python's mailbox.mbox re-generates a message it is given as mboxMessage,
# line ends becoming LF: the files it writes are compared with LF messages.
LF_MESSAGES = [sample(i) for i in range(12)]


def python_mbox(path: Path, messages: list[bytes]) -> None:
    box = mailbox.mbox(str(path))
    for raw in messages:
        m = mailbox.mboxMessage(raw)
        m.set_from(ENVELOPE)
        box.add(m)
    box.close()


def test_mbox_written_by_python_reads_back_with_offsets(tmp_path: Path) -> None:
    path = tmp_path / "py.mbox"
    python_mbox(path, LF_MESSAGES)
    box = mailbox.mbox(str(path))
    theirs = [box.get_bytes(k) for k in box.keys()]
    box.close()
    for variant in ("mboxo", None):
        ours = list(mailroom.read_mbox(path, variant))
        assert len(ours) == len(MESSAGES)
        data = path.read_bytes()
        for msg, original, their in zip(ours, MESSAGES, theirs):
            assert msg.unix_from == "From " + ENVELOPE
            assert msg.source == str(path)
            assert msg.offset is not None
            assert data[msg.offset : msg.offset + 5] == b"From "
            # Python's mailbox leaves the quoting in; quoted again, ours is the same
            # (detected, a ">>From " line says mboxrd: then it loses one '>')
            if variant == "mboxo" or b">>From" not in original:
                assert bytes(msg).replace(b"\nFrom ", b"\n>From ") == their
            # mboxo cannot tell an original ">From " from a quoted "From ": the
            # messages without one come back exactly
            if b"\n>From " not in original and (variant == "mboxo" or b">>From" not in original):
                assert bytes(msg) == original


def test_write_mbox_mboxo_is_byte_for_byte_what_python_writes(tmp_path: Path) -> None:
    python_mbox(tmp_path / "py.mbox", LF_MESSAGES)
    msgs = [Message.parse(raw) for raw in LF_MESSAGES]
    for m in msgs:
        m._unix_from = "From " + ENVELOPE
    assert mailroom.write_mbox(msgs, tmp_path / "ours.mbox", "mboxo") == len(msgs)
    assert (tmp_path / "ours.mbox").read_bytes() == (tmp_path / "py.mbox").read_bytes()


@pytest.mark.parametrize("variant", ["mboxo", "mboxrd", "mboxcl", "mboxcl2"])
def test_every_variant_round_trips_and_python_reads_it(tmp_path: Path, variant: str) -> None:
    path = tmp_path / f"{variant}.mbox"
    assert mailroom.write_mbox(MESSAGES, path, variant) == len(MESSAGES)
    for given in (variant, None):
        back = list(mailroom.read_mbox(path, given))
        assert len(back) == len(MESSAGES)
        for msg, original in zip(back, MESSAGES):
            got = bytes(msg)
            if variant in ("mboxo", "mboxcl"):
                # quoted as mboxo: an original ">From " reads back as "From "
                original = original.replace(b"\n>From ", b"\nFrom ")
                if given is None and variant == "mboxo" and b">>From" in original:
                    continue  # detected: a ">>From " line says mboxrd
            if variant.startswith("mboxcl"):
                # a Content-Length field is added to the header block
                assert b"\nContent-Length: " in got
                assert (
                    got.split(b"Content-Length: ", 1)[1].split(b"\n", 1)[1]
                    == (original.split(b"\n", 5)[5])
                )
            else:
                assert got == original
            assert msg.subject is not None and msg.subject.startswith("message ")
        assert all(not m.defects or {d.kind for d in m.defects} <= {"bare_lf"} for m in back)
    if variant == "mboxcl2":
        return  # unquoted From lines: only a Content-Length reader frames it
    # Python's mailbox finds the same messages, the bodies' quoting left in
    box = mailbox.mbox(str(path))
    assert len(box) == len(MESSAGES)
    assert [m["Message-ID"] for m in box] == [f"<m{i}@example.org>" for i in range(12)]
    box.close()


def test_mbox_with_from_lines_inside_bodies_detected_as_mboxcl2(tmp_path: Path) -> None:
    path = tmp_path / "cl2.mbox"
    mailroom.write_mbox(MESSAGES, path, "mboxcl2")
    data = path.read_bytes()
    assert b"\nFrom the start of a line" in data  # unquoted: Content-Length frames it
    back = list(mailroom.read_mbox(path))
    assert len(back) == len(MESSAGES)
    assert all(b"\nFrom the start of a line" in bytes(m) for m in back)


def test_compressed_mbox_read_transparently(tmp_path: Path) -> None:
    plain = tmp_path / "a.mbox"
    mailroom.write_mbox(MESSAGES, plain)
    (tmp_path / "a.mbox.gz").write_bytes(gzip.compress(plain.read_bytes()))
    (tmp_path / "a.mbox.xz").write_bytes(lzma.compress(plain.read_bytes()))
    want = [bytes(m) for m in mailroom.read(plain)]
    assert want == MESSAGES
    for name in ("a.mbox.gz", "a.mbox.xz"):
        assert [bytes(m) for m in mailroom.read(tmp_path / name)] == want
    mailroom.write_mbox(MESSAGES, tmp_path / "w.mbox.gz")
    assert gzip.decompress((tmp_path / "w.mbox.gz").read_bytes()) == plain.read_bytes()


def test_mbox_from_a_binary_stream_and_in_many_chunks(tmp_path: Path) -> None:
    path = tmp_path / "big.mbox"
    many = [sample(i) for i in range(4000)]  # several 1 MiB chunks
    mailroom.write_mbox(many, path)
    assert path.stat().st_size > 1 << 20
    assert [bytes(m) for m in mailroom.read_mbox(path, threads=2)] == many
    stream = io.BytesIO(path.read_bytes())
    assert len(list(mailroom.read(stream))) == 4000


def test_bad_mbox_input_is_read_as_far_as_it_goes(tmp_path: Path) -> None:
    data = (
        b"some garbage before the first message\n"
        b"From a@example.org Mon Jan  5 09:15:00 2026\nSubject: one\nContent-Length: 999\n\n"
        b"short body\n\n"
        b"From b@example.org Mon Jan  5 09:15:00 2026\nSubject: two\n\nbody two\n\n"
        b"From c@example.org Mon Jan  5 09:15:00 2026\nSubject: partial\n\ncut off in the mid"
    )
    path = tmp_path / "bad.mbox"
    path.write_bytes(data)
    before = path.read_bytes()
    with pytest.warns(ArchiveWarning, match="garbage"):
        msgs = list(mailroom.read_mbox(path, "mboxcl2"))
    assert [m.subject for m in msgs] == ["one", "two", "partial"]
    assert "bad_content_length" in [d.kind for d in msgs[0].defects]
    assert bytes(msgs[2]).endswith(b"cut off in the mid")
    assert path.read_bytes() == before  # nothing written to the source
    with pytest.raises(ValueError, match="variant must be one of"):
        list(mailroom.read_mbox(path, "mbox-whatever"))
    with pytest.raises(ArchiveError, match="cannot read mbox"):
        list(mailroom.read_mbox(tmp_path / "missing.mbox"))


def test_write_mbox_refuses_bad_envelope_and_variant(tmp_path: Path) -> None:
    msg = Message.parse(MESSAGES[0])
    msg._unix_from = "From a@x\r\nInjected: yes"
    with pytest.raises(ValueError, match="CR or LF"):
        mailroom.write_mbox([msg], tmp_path / "x.mbox")
    with pytest.raises(ValueError, match="variant must be one of"):
        mailroom.write_mbox([MESSAGES[0]], tmp_path / "x.mbox", "detect")


# -- Maildir ---------------------------------------------------------------------


def python_maildir(path: Path) -> dict[str, tuple[str, str]]:
    """A Maildir with flags and folders written by Python's mailbox; returns
    message-id -> (folder, flags letters)."""
    box = mailbox.Maildir(str(path), create=True)
    expected = {}
    for i, raw in enumerate(LF_MESSAGES[:6]):
        m = mailbox.MaildirMessage(raw)
        flags = ["", "S", "FS", "RS", "D", "T"][i]
        if flags:
            m.set_subdir("cur")
            m.set_flags(flags)
        box.add(m)
        expected[f"<m{i}@example.org>"] = ("INBOX", flags)
    work = box.add_folder("Work")
    sub = box.add_folder("Work.2026")
    for i, raw in enumerate(LF_MESSAGES[6:9], start=6):
        m = mailbox.MaildirMessage(raw)
        m.set_subdir("cur")
        m.set_flags("S")
        work.add(m)
        expected[f"<m{i}@example.org>"] = ("Work", "S")
    for i, raw in enumerate(LF_MESSAGES[9:], start=9):
        sub.add(raw)
        expected[f"<m{i}@example.org>"] = ("Work/2026", "")
    return expected


LETTERS = {"D": "\\Draft", "F": "\\Flagged", "R": "\\Answered", "S": "\\Seen", "T": "\\Deleted"}


def test_maildir_written_by_python_read_with_folders_and_flags(tmp_path: Path) -> None:
    expected = python_maildir(tmp_path / "mail")
    msgs = list(mailroom.read(tmp_path / "mail"))
    assert len(msgs) == len(MESSAGES)
    by_id = {m.message_id: m for m in msgs}
    for mid, (folder, letters) in expected.items():
        m = by_id[mid]
        assert m.folder == folder
        assert m.flags is not None
        assert sorted(m.flags) == sorted(LETTERS[c] for c in letters)
        assert m.source is not None and Path(m.source).read_bytes() == bytes(m)
        assert bytes(m) == LF_MESSAGES[int(mid[2:-13])]
    assert len(list(mailroom.read_maildir(tmp_path / "mail", folders=False))) == 6


def test_maildir_written_by_mailroom_read_by_python(tmp_path: Path) -> None:
    expected = python_maildir(tmp_path / "src")
    msgs = list(mailroom.read_maildir(tmp_path / "src"))
    assert mailroom.write_maildir(msgs, tmp_path / "copy") == len(MESSAGES)
    box = mailbox.Maildir(str(tmp_path / "copy"), create=False)
    seen = {}
    for folder_name, b in [("INBOX", box)] + [
        (name.replace(".", "/"), box.get_folder(name)) for name in box.list_folders()
    ]:
        for key in b.keys():
            m = b[key]
            seen[m["Message-ID"]] = (folder_name, m.get_flags())
            assert b.get_bytes(key) == LF_MESSAGES[int(m["Message-ID"][2:-13])]
    assert seen == expected
    # and back again: the same messages, flags and folders
    again = {
        m.message_id: (m.folder, sorted(m.flags or [])) for m in mailroom.read(tmp_path / "copy")
    }
    assert again == {
        mid: (f, sorted(LETTERS[c] for c in letters)) for mid, (f, letters) in expected.items()
    }


def test_unreadable_file_in_a_maildir_is_skipped_with_a_warning(tmp_path: Path) -> None:
    python_maildir(tmp_path / "mail")
    # a message "file" that cannot be read (a directory where a file should be)
    (tmp_path / "mail" / "cur" / "1700000000.M1P1Q1.host:2,S").mkdir()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        msgs = list(mailroom.read_maildir(tmp_path / "mail"))
    assert len(msgs) == len(MESSAGES)
    assert any(issubclass(w.category, ArchiveWarning) for w in caught)
    with pytest.raises(ArchiveError, match="cannot read"):
        list(mailroom.read_maildir(tmp_path / "mail", errors="raise"))
    with pytest.raises(ArchiveError, match="no Maildir"):
        list(mailroom.read_maildir(tmp_path / "nowhere"))


# -- .eml, read(), Message.parse ---------------------------------------------------


def test_eml_directory_glob_and_message_parse_of_paths_and_files(tmp_path: Path) -> None:
    d = tmp_path / "eml"
    (d / "sub").mkdir(parents=True)
    for i, raw in enumerate(MESSAGES[:4]):
        (d / ("sub" if i % 2 else "") / f"{i}.eml").write_bytes(raw)
    (d / "notes.txt").write_bytes(b"not mail")
    (d / "4.eml.gz").write_bytes(
        gzip.compress(b"From - Tue Dec  1 10:00:00 2026\r\n" + MESSAGES[4])
    )
    msgs = list(mailroom.read(d))
    assert len(msgs) == 5
    assert {m.message_id for m in msgs} == {f"<m{i}@example.org>" for i in range(5)}
    thunderbird = next(m for m in msgs if m.source and m.source.endswith(".gz"))
    assert thunderbird.unix_from == "From - Tue Dec  1 10:00:00 2026"
    assert thunderbird.subject == "message 4"
    assert len(list(mailroom.read(str(d / "*.eml")))) == 2
    assert len(list(mailroom.read_eml([d / "0.eml", d / "sub" / "1.eml"]))) == 2

    p = d / "0.eml"
    assert bytes(Message.parse(p)) == MESSAGES[0]
    assert Message.parse(str(p)).source == str(p)
    with open(p, "rb") as f:
        assert bytes(Message.parse(f)) == MESSAGES[0]
    with open(p) as text, pytest.raises(TypeError, match="binary mode"):
        Message.parse(text)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not str"):
        Message.parse("Subject: not a path\r\n\r\nbody")


def test_read_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="no archive"):
        mailroom.read(tmp_path / "missing")
    with pytest.raises(ValueError, match="cannot read ftp://"):
        mailroom.read("ftp://alice@localhost/INBOX")
    with pytest.raises(ValueError, match="password in a imap:// URL is not used") as e:
        mailroom.read("imap://alice:hunter2@localhost/INBOX")
    assert "hunter2" not in str(e.value)
    with pytest.raises(ValueError, match="threads"):
        mailroom.read(tmp_path, threads=-1)


def test_reading_never_writes_to_the_source(tmp_path: Path) -> None:
    python_maildir(tmp_path / "mail")
    before = sorted((p, p.stat().st_mtime_ns) for p in (tmp_path / "mail").rglob("*"))
    list(mailroom.read(tmp_path / "mail"))
    after = sorted((p, p.stat().st_mtime_ns) for p in (tmp_path / "mail").rglob("*"))
    assert before == after
    assert not [p for p in (tmp_path / "mail").rglob("*") if p.name.startswith("dovecot")]
    assert os.listdir(tmp_path / "mail" / "tmp") == []


def test_thread_ids_follow_references_and_subjects(tmp_path: Path) -> None:
    def mail(mid: str, subject: str, day: int, refs: str = "") -> bytes:
        extra = f"References: {refs}\r\nIn-Reply-To: {refs.split()[-1]}\r\n" if refs else ""
        return (
            f"From: a@example.org\r\nSubject: {subject}\r\nMessage-ID: {mid}\r\n{extra}"
            f"Date: {day:02d} Jan 2026 10:00:00 +0000\r\n\r\nbody\r\n"
        ).encode()

    raws = [
        mail("<a@x>", "Lunch?", 1),
        mail("<z@x>", "Other topic", 2),
        mail("<b@x>", "Re: Lunch?", 3, "<a@x>"),
        mail("<c@x>", "=?utf-8?q?Re=3A_Lunch=3F?=", 4, "<a@x> <b@x>"),
        mail("<d@x>", "RE: lunch?", 5),  # no references: joined by its subject
    ]
    path = tmp_path / "t.mbox"
    mailroom.write_mbox(raws, path)
    ids = mailroom.thread_ids(list(mailroom.read(path)))
    # named by the root's Message-ID (no longer numbered 0, 1, ... by date)
    lunch, other = conversation_id(b"<a@x>"), conversation_id(b"<z@x>")
    assert ids == [lunch, other, lunch, lunch, lunch]
    assert mailroom.thread_ids([]) == []
    # the same ids whatever else is threaded with them; a root without a
    # Message-ID is named by its bytes, a duplicate Message-ID by the ID
    assert mailroom.thread_ids([Message.parse(raws[3]), Message.parse(raws[1])]) == [lunch, other]
    anonymous = b"From: a@example.org\r\nSubject: who\r\n\r\nbody\r\n"
    again = [Message.parse(anonymous), Message.parse(raws[1]), Message.parse(raws[1])]
    assert mailroom.thread_ids(again) == [conversation_id(anonymous), other, other]


def test_progress_bars(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from .conftest import require_module

    require_module("tqdm")
    path = tmp_path / "p.mbox"
    mailroom.write_mbox(MESSAGES, path)
    assert len(list(mailroom.read(path, progress=True))) == len(MESSAGES)
    err = capsys.readouterr().err
    assert "100%" in err and str(path) in err
    python_maildir(tmp_path / "md")
    list(mailroom.read(tmp_path / "md", progress=True))
    assert f"{len(MESSAGES)}/{len(MESSAGES)}" in capsys.readouterr().err
    # None: only with a terminal or a notebook attached, which a test run has not
    list(mailroom.read(path))
    list(mailroom.read(path, progress=False))
    assert capsys.readouterr().err == ""


def test_progress_true_without_tqdm_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "p.mbox"
    mailroom.write_mbox(MESSAGES[:2], path)
    monkeypatch.setitem(__import__("sys").modules, "tqdm", None)
    with pytest.raises(ImportError, match="needs tqdm"):
        list(mailroom.read(path, progress=True))
    assert len(list(mailroom.read(path))) == 2  # None: no bar, no error
    with pytest.raises(TypeError, match="progress"):
        list(mailroom.read(path, progress="yes"))  # type: ignore[arg-type]
