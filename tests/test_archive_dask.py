"""mailroom.dask.read_mail on a two-worker dask.distributed LocalCluster:
mbox byte ranges split at envelope lines and Maildir file groups, each parsed
natively in its worker; the same rows as mailroom.to_pandas; Parquet written
by mailroom read back by Dask."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import mailroom
from mailroom import Message

from .conftest import require_module
from .test_archive_tables import RAWS, mail


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    require_module("dask.dataframe")
    distributed = require_module("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.mark.slow
def test_read_mail_on_a_local_cluster(client: Any, tmp_path: Path) -> None:
    import mailroom.dask as mdask

    many = [mail(i) for i in range(600)]
    mbox = tmp_path / "a.mbox"
    mailroom.write_mbox(many, mbox)
    msgs = [Message.parse(r) for r in RAWS[:30]]
    for i, m in enumerate(msgs):
        m.folder = "Work" if i % 2 else "INBOX"
        m.flags = ["\\Seen"] if i % 3 == 0 else []
    mailroom.write_maildir(msgs, tmp_path / "md")

    df = mdask.read_mail([mbox, tmp_path / "md"], blocksize="64KB", files_per_partition=10)
    assert df.npartitions > 4
    assert list(df.columns) == list(mdask.DEFAULT_COLUMNS)
    got = df.compute()
    assert len(got) == 630
    want = mailroom.to_pandas(mbox)
    ours = got[got["source"] == str(mbox)]
    assert sorted(ours["message_id"]) == sorted(want["message_id"])
    assert ours["size"].sum() == want["size"].sum()
    by_id, want_by_id = ours.sort_values("message_id"), want.sort_values("message_id")
    assert [len(a) for a in by_id["attachments"]] == [len(a) for a in want_by_id["attachments"]]
    assert not any(isinstance(t, str) for t in ours["to"])  # lists stay lists
    assert [list(t) for t in by_id["to"]] == [list(t) for t in want_by_id["to"]]
    md = got[got["source"] != str(mbox)]
    assert sorted(md["folder"].unique()) == ["INBOX", "Work"]
    # a computation that runs in the workers
    per_sender = df.groupby("from_addr")["size"].count().compute()
    assert per_sender.sum() == 630

    out = tmp_path / "pq"
    mailroom.write_parquet(mbox, out)
    import dask.dataframe as dd

    assert len(dd.read_parquet(str(out))) == 600


def test_read_mail_refusals(tmp_path: Path) -> None:
    require_module("dask.dataframe")
    import mailroom.dask as mdask

    with pytest.raises(mailroom.ArchiveError, match="no archive"):
        mdask.read_mail(tmp_path / "missing.mbox")
    (tmp_path / "a.mbox").write_bytes(b"From a@x Mon Jan  5 09:15:00 2026\nSubject: s\n\nx\n")
    with pytest.raises(ValueError, match="thread_id"):
        mdask.read_mail(tmp_path / "a.mbox", columns=["message_id", "thread_id"])
    with pytest.raises(ValueError, match="blocksize"):
        mdask.read_mail(tmp_path / "a.mbox", blocksize=0)
