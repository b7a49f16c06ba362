"""pytest fixtures for mailroom, registered through the ``pytest11`` entry point.

def test_signup_sends_mail(mail_server):
    app.send_welcome("bob@example.org", smtp=mail_server.smtp_address)
    msg = mail_server.wait_for(to="bob@example.org")
    assert "Welcome" in msg.subject

The servers take their options (any keyword of ``mailroom.Server``) from
two places, the marker winning over the fixture:

- the ``mail_server_options`` fixture (and ``mail_server_session_options``
  for the session server), which a conftest.py or a test module overrides::

      @pytest.fixture
      def mail_server_options():
          return {"domains": ["example.org"], "pop3_port": 0}

- the ``mail_server`` marker on a test, a class or a module::

      @pytest.mark.mail_server(users={"bob@example.org": "secret"}, pop3_port=0)
      def test_login(mail_server): ...
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .server import Server


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mail_server(**options): keyword arguments of mailroom.Server for the "
        "mail_server fixture (over mail_server_options)",
    )


@pytest.fixture
def mail_server_options() -> dict[str, Any]:
    """Options for ``mail_server``: override this fixture to configure it."""
    return {}


@pytest.fixture(scope="session")
def mail_server_session_options() -> dict[str, Any]:
    """Options for ``mail_server_session``: override it in a conftest.py."""
    return {}


def _options(request: pytest.FixtureRequest, base: dict[str, Any], fixture: str) -> dict[str, Any]:
    if not isinstance(base, dict):
        raise TypeError(
            f"{fixture} must return a dict of Server options, not {type(base).__name__}"
        )
    options = dict(base)
    # Closest marker last: a test's marker wins over its class's and module's.
    for marker in reversed(list(request.node.iter_markers("mail_server"))):
        if marker.args:
            raise TypeError("@pytest.mark.mail_server takes keyword arguments only")
        options.update(marker.kwargs)
    return options


@pytest.fixture
def mail_server(
    request: pytest.FixtureRequest, mail_server_options: dict[str, Any]
) -> Iterator[Server]:
    """A fresh in-memory SMTP server on a free loopback port, for one test."""
    with Server(**_options(request, mail_server_options, "mail_server_options")) as server:
        yield server


@pytest.fixture(scope="session")
def mail_server_session(mail_server_session_options: dict[str, Any]) -> Iterator[Server]:
    """One SMTP server for the whole test session (call ``clear()`` between uses)."""
    if not isinstance(mail_server_session_options, dict):
        raise TypeError("mail_server_session_options must return a dict of Server options")
    with Server(**mail_server_session_options) as server:
        yield server
