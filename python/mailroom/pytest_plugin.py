"""pytest fixtures for mailroom, registered through the ``pytest11`` entry point.

def test_signup_sends_mail(mail_server):
    app.send_welcome("bob@example.org", smtp=mail_server.smtp_address)
    msg = mail_server.wait_for(to="bob@example.org")
    assert "Welcome" in msg.subject
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .server import Server


@pytest.fixture
def mail_server() -> Iterator[Server]:
    """A fresh in-memory SMTP server on a free loopback port, for one test."""
    with Server() as server:
        yield server


@pytest.fixture(scope="session")
def mail_server_session() -> Iterator[Server]:
    """One SMTP server for the whole test session (call ``clear()`` between uses)."""
    with Server() as server:
        yield server
