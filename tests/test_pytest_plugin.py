"""The mail_server fixtures configured the ways pytest users expect: an
overridden mail_server_options fixture, and the mail_server marker, run in a
real inner pytest session with the plugin loaded from its entry point."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def test_options_fixture_and_marker(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def mail_server_options():
            return {"domains": ["example.org"], "pop3_port": 0}
        """
    )
    pytester.makepyfile(
        """
        import smtplib
        import poplib
        import pytest

        def test_from_conftest(mail_server):
            assert mail_server.domains == ["example.org"]
            assert mail_server.pop3_port
            with smtplib.SMTP(mail_server.host, mail_server.smtp_port) as c:
                with pytest.raises(smtplib.SMTPRecipientsRefused):
                    c.sendmail("a@x.test", ["b@elsewhere.test"], b"x")

        @pytest.mark.mail_server(domains=["other.test"], users={"bob@other.test": "pw"})
        def test_marker_wins(mail_server):
            assert mail_server.domains == ["other.test"]
            assert mail_server.pop3_port  # still from the fixture
            p = poplib.POP3(mail_server.host, mail_server.pop3_port)
            p.user("bob@other.test")
            with pytest.raises(poplib.error_proto):
                p.pass_("wrong")
            p.close()

        @pytest.mark.mail_server(domains=["module.test"])
        class TestClass:
            @pytest.mark.mail_server(hostname="mx.module.test")
            def test_class_and_method_markers(self, mail_server):
                assert mail_server.domains == ["module.test"]
                assert mail_server.hostname == "mx.module.test"

        @pytest.mark.mail_server(no_such_option=1)
        def test_unknown_option_is_an_error(mail_server):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*no_such_option*"])


def test_session_options(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def mail_server_session_options():
            return {"hostname": "mx.session.test"}
        """
    )
    pytester.makepyfile(
        """
        def test_one(mail_server_session):
            assert mail_server_session.hostname == "mx.session.test"
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
