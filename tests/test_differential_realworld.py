"""mailroom against Python's email (policy.default) on real-world mail: the
messages CPython ships for its own email tests (mailing-list digests, Outlook
and Mac OE mail, bounces from several MTAs, broken MIME), found through the
running interpreter's ``test`` package.

Both parsers must agree on the header fields, the envelope line, and every
leaf's content type and decoded bytes, except where mailroom reads a message
differently on purpose (listed in DIFFERENT with the reason).
"""

from __future__ import annotations

import email.message
import email.policy
import importlib.util
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest

from mailroom import Message


def _cpython_samples() -> list[Path]:
    spec = importlib.util.find_spec("test")
    if spec is None or not spec.submodule_search_locations:
        return []
    data = Path(list(spec.submodule_search_locations)[0]) / "test_email" / "data"
    return sorted(data.glob("msg_*.txt"))


SAMPLES = _cpython_samples()

# Where the two readings differ on purpose: the leaves are not compared.
DIFFERENT = {
    # A multipart nested in one with the same boundary: mailroom gives each
    # boundary line to the innermost open multipart and finds every part
    # (RFC 2046 §5.1.1 forbids the reuse); Python's email loses the parts.
    "msg_15.txt": "nested multipart reusing its parent's boundary",
    "msg_39.txt": "nested multipart reusing its parent's boundary",
    # message/external-body: Python reads the phantom headers as a message.
    "msg_36.txt": "message/external-body kept as one leaf",
    # "--B" twice in a row: an empty body part (RFC 2046 §5.1.1 allows one),
    # which Python's email drops.
    "msg_37.txt": "empty body parts between consecutive boundaries",
    # A close boundary without an opening one: a multipart of no parts in
    # mailroom, a leaf in Python.
    "msg_42.txt": "close boundary with no part before it",
}


def _python_view(data: bytes) -> dict[str, Any]:
    em = BytesParser(policy=email.policy.default).parsebytes(data)
    leaves = []
    for p in em.walk():
        if p.is_multipart():
            continue
        leaves.append((p.get_content_type(), p.get_payload(decode=True) or b""))
    return {
        "fields": [k.lower() for k in em.keys()],
        "unix_from": em.get_unixfrom(),
        "subject": em["Subject"] and str(em["Subject"]),
        "leaves": leaves,
    }


def _our_view(data: bytes) -> dict[str, Any]:
    msg = Message.parse(data)
    kinds = {d.kind for d in msg.defects}
    leaves = []
    for p in msg.walk():
        # containers: multiparts, message/rfc822 and the field groups'
        # message/delivery-status parent (Python's email counts them so too)
        if p.is_multipart or p.is_message or p.children:
            continue
        ctype = p.content_type
        if p.index == 0 and "boundary_not_found" in kinds:
            ctype = msg.get("Content-Type", "").split(";")[0].strip().lower()
        leaves.append((ctype, p.data))
    return {
        "fields": [n.lower() for n, _ in msg.raw_headers],
        "unix_from": msg.unix_from,
        "subject": msg.subject,
        "leaves": leaves,
    }


@pytest.mark.skipif(not SAMPLES, reason="this Python has no test.test_email data")
@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_agrees_with_python_email_on_cpython_samples(path: Path) -> None:
    data = path.read_bytes()
    assert bytes(Message.parse(data)) == data
    ours, theirs = _our_view(data), _python_view(data)
    assert ours["fields"] == theirs["fields"]
    assert ours["unix_from"] == theirs["unix_from"]
    if theirs["subject"] is not None:
        assert " ".join(ours["subject"].split()) == " ".join(theirs["subject"].split())
    if path.name in DIFFERENT:
        return
    assert [c for c, _ in ours["leaves"]] == [c for c, _ in theirs["leaves"]]
    assert [d for _, d in ours["leaves"]] == [d for _, d in theirs["leaves"]]


def test_cpython_samples_cover_the_lenient_rules() -> None:
    """The samples hold the cases the lenient rules are for (so the test above
    tests them): envelope lines, missing boundaries, delivery-status bodies,
    a missing header/body separator."""
    if not SAMPLES:
        pytest.skip("this Python has no test.test_email data")
    seen: set[str] = set()
    for path in SAMPLES:
        msg = Message.parse(path.read_bytes())
        if msg.unix_from:
            seen.add("unix_from")
        for d in msg.defects:
            seen.add(d.kind)
        if any(p.content_type == "message/delivery-status" and p.children for p in msg.walk()):
            seen.add("delivery_status_groups")
    assert {"unix_from", "boundary_not_found", "delivery_status_groups", "invalid_header"} <= seen
