"""What mailroom.IMAPClient returns: folders, their status, the selected
folder, IDLE events and CONDSTORE/QRESYNC changes."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "FolderChanges",
    "IMAPFolder",
    "IMAPFolderStatus",
    "IdleEvent",
    "SelectedFolder",
]

# RFC 6154 special-use attributes, as the roles mailroom names them.
_ROLES = {
    "\\all": "all",
    "\\archive": "archive",
    "\\drafts": "drafts",
    "\\flagged": "flagged",
    "\\junk": "junk",
    "\\sent": "sent",
    "\\trash": "trash",
    "\\important": "important",
}


def _role(name: str, attributes: list[str]) -> str | None:
    for a in attributes:
        role = _ROLES.get(a.lower())
        if role is not None:
            return role
    return "inbox" if name.upper() == "INBOX" else None


@dataclass(frozen=True)
class IMAPFolder:
    """One LIST entry: the name (modified UTF-7 undone), the hierarchy
    delimiter, the attributes and the special-use role ("sent", "trash",
    "drafts", "junk", "archive", "all", "flagged", "inbox") or None."""

    name: str
    delimiter: str
    attributes: list[str]
    role: str | None

    @property
    def selectable(self) -> bool:
        return not any(a.lower() in ("\\noselect", "\\nonexistent") for a in self.attributes)


@dataclass(frozen=True)
class IMAPFolderStatus:
    """STATUS of a folder (RFC 9051 §6.3.11); None where the server did not say."""

    name: str
    messages: int | None = None
    uidnext: int | None = None
    uidvalidity: int | None = None
    unseen: int | None = None
    recent: int | None = None
    size: int | None = None
    highest_modseq: int | None = None


@dataclass
class SelectedFolder:
    """What SELECT or EXAMINE said (RFC 9051 §6.3.2)."""

    name: str
    readonly: bool
    exists: int = 0
    uidvalidity: int | None = None
    uidnext: int | None = None
    highest_modseq: int | None = None
    flags: list[str] = field(default_factory=list)
    permanent_flags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class IdleEvent:
    """What the server said during IDLE: ``kind`` "exists" (``number``: the
    new message count), "expunge" (``number``: the sequence number gone),
    "fetch" (``number``, ``uid`` when sent, ``flags``) or "vanished"
    (``uids``, RFC 7162 QRESYNC)."""

    kind: str
    number: int = 0
    uid: int | None = None
    flags: list[str] | None = None
    uids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class FolderChanges:
    """What changed in the selected folder since a modseq (RFC 7162): the
    flags of changed messages {uid: flags}, their modseqs, the UIDs expunged
    (only when the server has QRESYNC), and the folder's HIGHESTMODSEQ now."""

    flags: dict[int, list[str]]
    modseqs: dict[int, int]
    vanished: list[int]
    highest_modseq: int | None
