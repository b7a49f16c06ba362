"""The OpenAPI 3.1 document at /api/openapi.json: every path the server
answers is in it, and real responses of a running server (each endpoint,
errors too, and the WebSocket's events) validate against its schemas."""

from __future__ import annotations

import json
import smtplib
import threading
import urllib.error
import urllib.request
from typing import Any

import pytest

import mailroom

from .conftest import require_module


def fetch(s: mailroom.Server, method: str, path: str, body: Any = None) -> tuple[int, str, bytes]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(s.http_url + path, data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers["Content-Type"], r.read()
    except urllib.error.HTTPError as e:
        with e:
            return e.code, e.headers["Content-Type"], e.read()


@pytest.fixture
def document_and_server() -> Any:
    with mailroom.Server(http_port=0) as s:
        status, ctype, body = fetch(s, "GET", "/api/openapi.json")
        assert status == 200 and ctype == "application/json"
        yield json.loads(body), s


def validator(doc: dict[str, Any], schema: dict[str, Any]) -> Any:
    jsonschema = require_module("jsonschema")
    # "#/components/..." references resolve against the document's components.
    return jsonschema.Draft202012Validator({"allOf": [schema], "components": doc["components"]})


def check(doc: dict[str, Any], s: mailroom.Server, method: str, template: str, path: str,
          status: int, body: Any = None) -> Any:  # fmt: skip
    got, ctype, raw = fetch(s, method, path, body)
    assert got == status, (method, path, raw)
    response = doc["paths"][template][method.lower()]["responses"][str(status)]
    [(documented_type, media)] = response["content"].items()
    assert ctype.split(";")[0] == documented_type or documented_type == "application/octet-stream"
    if documented_type != "application/json":
        return raw
    value = json.loads(raw)
    validator(doc, media["schema"]).validate(value)
    return value


def test_real_responses_match_the_document(document_and_server: Any) -> None:
    doc, s = document_and_server
    assert doc["openapi"] == "3.1.0"
    jsonschema = require_module("jsonschema")
    jsonschema.Draft202012Validator.check_schema({"components": doc["components"]})
    with smtplib.SMTP(*s.smtp_address) as c:
        c.sendmail(
            "a@example.test", ["b@example.test"],
            b"From: A <a@example.test>\r\nTo: b@example.test\r\nSubject: code 123456\r\n"
            b"X-Tags: t1\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
            b"--b\r\nContent-Type: text/html\r\n\r\n<a href='https://x.test/'>x</a>\r\n"
            b"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; "
            b"filename=a.pdf\r\n\r\n%PDF\r\n--b--\r\n",
        )  # fmt: skip
    seen: set[tuple[str, str]] = set()

    def c(method: str, template: str, path: str, status: int, body: Any = None) -> Any:
        seen.add((method.lower(), template))
        return check(doc, s, method, template, path, status, body)

    listed = c("GET", "/api/v1/messages", "/api/v1/messages", 200)
    mid = listed["messages"][0]["ID"]
    c("GET", "/api/v1/messages", "/api/v1/messages?limit=x", 400)
    c("GET", "/api/v1/search", "/api/v1/search?query=code", 200)
    c("GET", "/api/v1/search", "/api/v1/search?query=is:nothing", 400)
    message = c("GET", "/api/v1/message/{ID}", f"/api/v1/message/{mid}", 200)
    c("GET", "/api/v1/message/{ID}", "/api/v1/message/missing", 404)
    c("GET", "/api/v1/message/{ID}/headers", f"/api/v1/message/{mid}/headers", 200)
    c("GET", "/api/v1/message/{ID}/raw", f"/api/v1/message/{mid}/raw", 200)
    part = message["Attachments"][0]["PartID"]
    assert c("GET", "/api/v1/message/{ID}/part/{PartID}", f"/api/v1/message/{mid}/part/{part}",
             200) == b"%PDF"  # fmt: skip
    c("GET", "/api/v1/message/{ID}/part/{PartID}", f"/api/v1/message/{mid}/part/7", 404)
    c("GET", "/view/{ID}.html", "/view/latest.html", 200)
    c("GET", "/view/{ID}.txt", "/view/latest.txt", 200)
    c("GET", "/view/{ID}.html", "/view/missing.html", 404)
    c("GET", "/view/{ID}.txt", "/view/missing.txt", 404)
    c("GET", "/api/v1/info", "/api/v1/info", 200)
    c("GET", "/api/v1/webui", "/api/v1/webui", 200)
    assert c("GET", "/api/v1/tags", "/api/v1/tags", 200) == ["t1"]
    c("GET", "/livez", "/livez", 200)
    c("GET", "/readyz", "/readyz", 200)
    c("GET", "/api/openapi.json", "/api/openapi.json", 200)
    c("GET", "/", "/", 200)
    c("GET", "/web/{File}", "/web/app.js", 200)
    c("GET", "/web/{File}", "/web/nothing.js", 404)
    c("GET", "/api/mailroom/message/{ID}/links", f"/api/mailroom/message/{mid}/links", 200)
    c("GET", "/api/mailroom/message/{ID}/codes", f"/api/mailroom/message/{mid}/codes", 200)
    c("GET", "/api/mailroom/message/{ID}/codes", "/api/mailroom/message/x/codes", 404)
    c("GET", "/api/mailroom/message/{ID}/links", "/api/mailroom/message/x/links", 404)
    html = f"/api/mailroom/message/{mid}/html"
    assert b"https://x.test/" in c("GET", "/api/mailroom/message/{ID}/html", html, 200)
    c("GET", "/api/mailroom/message/{ID}/html", html + "?remote=2", 400)
    c("GET", "/api/mailroom/message/{ID}/html", "/api/mailroom/message/x/html", 404)
    structure = f"/api/mailroom/message/{mid}/structure"
    tree = c("GET", "/api/mailroom/message/{ID}/structure", structure, 200)
    assert [p["ContentType"] for p in tree["Parts"]] == ["text/html", "application/pdf"]
    c("GET", "/api/mailroom/message/{ID}/structure", "/api/mailroom/message/x/structure", 404)
    parts = "/api/mailroom/message/{ID}/part/{PartID}"
    assert c("GET", parts, f"/api/mailroom/message/{mid}/part/{part}", 200) == b"%PDF"
    c("GET", parts, f"/api/mailroom/message/{mid}/part/7", 404)
    said = c("GET", "/api/mailroom/message/{ID}/transcript",
             f"/api/mailroom/message/{mid}/transcript", 200)  # fmt: skip
    assert said["Protocol"] == "smtp"  # its Lines once the session has ended
    c("GET", "/api/mailroom/message/{ID}/transcript", "/api/mailroom/message/x/transcript", 404)
    reply = f"/api/mailroom/message/{mid}/reply"
    draft = c("GET", "/api/mailroom/message/{ID}/reply", reply + "?mode=forward", 200)
    c("GET", "/api/mailroom/message/{ID}/reply", reply + "?mode=x", 400)
    c("GET", "/api/mailroom/message/{ID}/reply", "/api/mailroom/message/x/reply", 404)
    composed = {"From": "b@example.test", "To": ["d@example.test"], "ReplyTo": mid,
                "Mode": "forward", "ForwardParts": [draft["Attachments"][0]["PartID"]],
                "Subject": draft["Subject"], "Text": draft["Text"]}  # fmt: skip
    validator(doc, doc["components"]["schemas"]["ComposeRequest"]).validate(composed)
    c("POST", "/api/mailroom/compose", "/api/mailroom/compose", 200, composed)
    c("POST", "/api/mailroom/compose", "/api/mailroom/compose", 400, {"From": 1})
    c("GET", "/api/mailroom/wait", "/api/mailroom/wait?subject=code", 200)
    c("GET", "/api/mailroom/wait", "/api/mailroom/wait?subject=none&timeout=0.1", 408)
    c("GET", "/api/mailroom/wait", "/api/mailroom/wait?timeout=x", 400)
    c("GET", "/api/events", "/api/events", 426)
    c("GET", "/api/mailroom/accounts", "/api/mailroom/accounts", 200)
    c("GET", "/api/mailroom/folders", "/api/mailroom/folders?account=b@example.test", 200)
    c("GET", "/api/mailroom/folders", "/api/mailroom/folders", 400)
    c("GET", "/api/mailroom/folders", "/api/mailroom/folders?account=x@example.test", 404)
    box = "/api/mailroom/messages?account=b@example.test"
    c("GET", "/api/mailroom/messages", box, 200)
    c("GET", "/api/mailroom/messages", box + "&limit=-1", 400)
    c("GET", "/api/mailroom/messages", box + "&folder=Nope", 404)
    c("GET", "/api/mailroom/messages", box + "&sort=subject&order=asc", 200)
    c("GET", "/api/mailroom/messages", box + "&sort=colour", 400)
    threads = "/api/mailroom/threads?account=b@example.test"
    assert c("GET", "/api/mailroom/threads", threads, 200)["total"] == 1
    c("GET", "/api/mailroom/threads", threads + "&start=x", 400)
    c("GET", "/api/mailroom/threads", threads + "&folder=Nope", 404)
    c("PUT", "/api/mailroom/messages", "/api/mailroom/messages", 200, {"IDs": [mid], "Add": ["$A"]})
    c("PUT", "/api/mailroom/messages", "/api/mailroom/messages", 400, {"IDs": [mid], "Add": [""]})
    moved = c("POST", "/api/mailroom/move", "/api/mailroom/move", 200, {"IDs": [mid], "To": "Junk"})
    c("POST", "/api/mailroom/move", "/api/mailroom/move", 400, {"IDs": [mid], "To": "Junk"})
    [junk] = moved["IDs"]
    c("GET", "/api/mailroom/message/{ID}", f"/api/mailroom/message/{junk}", 200)
    assert b"Subject: code" in c("GET", "/api/mailroom/message/{ID}/raw",
                                 f"/api/mailroom/message/{junk}/raw", 200)  # fmt: skip
    c("GET", "/api/v1/message/{ID}/raw", f"/api/v1/message/{junk}/raw", 404)  # INBOX only
    c("GET", "/api/mailroom/message/{ID}/raw", "/api/mailroom/message/x/raw", 404)
    c("DELETE", "/api/mailroom/messages", "/api/mailroom/messages", 200, {"IDs": [junk]})
    c("DELETE", "/api/mailroom/messages", "/api/mailroom/messages", 400, {"IDs": [junk]})
    c("GET", "/api/mailroom/message/{ID}", f"/api/mailroom/message/{junk}", 404)
    sent = {"From": {"Email": "a@example.test"}, "To": [{"Email": "c@example.test"}],
            "Subject": "s", "Text": "t"}  # fmt: skip
    validator(doc, doc["components"]["schemas"]["SendRequest"]).validate(sent)
    c("POST", "/api/v1/send", "/api/v1/send", 200, sent)
    c("POST", "/api/v1/send", "/api/v1/send", 400, {"To": []})
    c("PUT", "/api/v1/messages", "/api/v1/messages", 200, {"Read": True})
    c("PUT", "/api/v1/messages", "/api/v1/messages", 400, {"Read": 1})
    c("DELETE", "/api/v1/search", "/api/v1/search?query=subject:s", 200)
    c("DELETE", "/api/v1/search", "/api/v1/search", 400)
    c("DELETE", "/api/v1/messages", "/api/v1/messages", 400, {"IDs": ["x"]})
    c("DELETE", "/api/v1/messages", "/api/v1/messages", 200)
    c("GET", "/api/mailroom/me", "/api/mailroom/me", 200)
    c("POST", "/api/mailroom/login", "/api/mailroom/login", 400, {"User": "a", "Password": "b"})
    c("POST", "/api/mailroom/logout", "/api/mailroom/logout", 200)
    send_tagged = {"From": {"Email": "a@example.test"}, "To": [{"Email": "b@example.test"}]}
    c("POST", "/api/v1/send", "/api/v1/send", 200, send_tagged)
    tid = c("GET", "/api/v1/messages", "/api/v1/messages", 200)["messages"][0]["ID"]
    c("PUT", "/api/v1/tags", "/api/v1/tags", 200, {"IDs": [tid], "Tags": ["t2"]})
    c("PUT", "/api/v1/tags", "/api/v1/tags", 400, {"IDs": [tid], "Tags": ["t 2"]})
    c("PUT", "/api/v1/tags/{Tag}", "/api/v1/tags/t2", 200, {"Name": "t3"})
    c("PUT", "/api/v1/tags/{Tag}", "/api/v1/tags/t3", 400, {"Name": "t 3"})
    c("DELETE", "/api/v1/tags/{Tag}", "/api/v1/tags/t3", 200)
    c("DELETE", "/api/v1/tags/{Tag}", "/api/v1/tags/%5CSeen", 400)
    release = "/api/v1/message/{ID}/release"
    c("POST", release, f"/api/v1/message/{tid}/release", 400, {"To": ["x@elsewhere.test"]})
    c("GET", "/api/mailroom/queue", "/api/mailroom/queue", 400)
    c("POST", "/api/mailroom/queue/flush", "/api/mailroom/queue/flush", 400)
    c("DELETE", "/api/mailroom/queue/{ID}", "/api/mailroom/queue/x", 400)
    c("GET", "/api/mailroom/transcripts", "/api/mailroom/transcripts?limit=2", 200)
    c("GET", "/api/mailroom/transcripts", "/api/mailroom/transcripts?protocol=x", 400)
    c("GET", "/api/v1/chaos", "/api/v1/chaos", 200)
    c(
        "PUT",
        "/api/v1/chaos",
        "/api/v1/chaos",
        200,
        {"Sender": {"ErrorCode": 451, "Probability": 1}},
    )
    c("PUT", "/api/v1/chaos", "/api/v1/chaos", 400, {"Sender": {"ErrorCode": 200}})
    c("PUT", "/api/v1/chaos", "/api/v1/chaos", 200, {})
    smtp_rule = {"Protocol": "smtp", "Code": 550, "Recipient": "nobody@example.test"}
    rule = c("POST", "/api/mailroom/rules", "/api/mailroom/rules", 200, smtp_rule)
    c("POST", "/api/mailroom/rules", "/api/mailroom/rules", 200,
      {"Protocol": "imap", "Status": "NO", "Command": "FETCH"})  # fmt: skip
    c("POST", "/api/mailroom/rules", "/api/mailroom/rules", 400, {"Protocol": "smtp"})
    c("GET", "/api/mailroom/rules", "/api/mailroom/rules", 200)
    c("GET", "/api/mailroom/rules", "/api/mailroom/rules?protocol=x", 400)
    c(
        "DELETE",
        "/api/mailroom/rules",
        "/api/mailroom/rules",
        200,
        {"Protocol": "smtp", "ID": rule["ID"]},
    )
    c(
        "DELETE",
        "/api/mailroom/rules",
        "/api/mailroom/rules",
        404,
        {"Protocol": "smtp", "ID": rule["ID"]},
    )
    c("DELETE", "/api/mailroom/rules", "/api/mailroom/rules", 400, {"ID": 1})
    c("DELETE", "/api/mailroom/rules", "/api/mailroom/rules", 200)
    page = c("GET", "/login", "/login", 200)
    assert "<form" in page.decode()
    with mailroom.Server(http_port=0, users={"u@example.test": "pw"}) as u:
        check(doc, u, "POST", "/api/mailroom/login", "/api/mailroom/login", 401,
              {"User": "u@example.test", "Password": "no"})  # fmt: skip
        check(doc, u, "POST", "/api/mailroom/login", "/api/mailroom/login", 200,
              {"User": "u@example.test", "Password": "pw"})  # fmt: skip
    routes = {"elsewhere.test": "127.0.0.1:9"}
    with mailroom.Server(http_port=0, domains=["example.test"], routes=routes, clock="manual") as q:
        q.submit(b"Subject: q\r\n\r\nx\r\n", "a@example.test", ["x@elsewhere.test"])
        check(doc, q, "GET", "/api/mailroom/queue", "/api/mailroom/queue", 200)
        check(doc, q, "POST", "/api/mailroom/queue/flush", "/api/mailroom/queue/flush", 200)
        qid = q.queue.entries()[0].id
        check(doc, q, "DELETE", "/api/mailroom/queue/{ID}", f"/api/mailroom/queue/{qid}", 200)
        check(doc, q, "DELETE", "/api/mailroom/queue/{ID}", f"/api/mailroom/queue/{qid}", 404)
        with smtplib.SMTP(*q.smtp_address) as client:
            client.sendmail("a@example.test", ["b@example.test"], b"Subject: r\r\n\r\nx\r\n")
        rid = check(doc, q, "GET", "/api/v1/messages", "/api/v1/messages", 200)["messages"][0]["ID"]
        check(
            doc,
            q,
            "POST",
            release,
            f"/api/v1/message/{rid}/release",
            200,
            {"To": ["y@elsewhere.test"]},
        )
        check(
            doc, q, "POST", release, "/api/v1/message/x/release", 404, {"To": ["y@elsewhere.test"]}
        )
    # Every documented operation was exercised.
    documented = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert documented == seen


def test_websocket_events_match_the_document(document_and_server: Any) -> None:
    doc, s = document_and_server
    websocket = require_module("websocket")
    event = validator(doc, doc["components"]["schemas"]["Event"])
    ws = websocket.create_connection(f"ws://{s.host}:{s.http_port}/api/events", timeout=10)
    try:
        done = threading.Event()

        def deliver() -> None:
            with smtplib.SMTP(*s.smtp_address) as c:
                c.sendmail("a@example.test", ["b@example.test"], b"Subject: live\r\n\r\nhi\r\n")
            fetch(s, "PUT", "/api/v1/messages", {"Read": True})
            fetch(s, "DELETE", "/api/v1/messages")
            done.set()

        threading.Thread(target=deliver).start()
        kinds = []
        while "delete" not in kinds:
            e = json.loads(ws.recv())
            event.validate(e)
            kinds.append(e["Type"])
        assert {"new", "stats", "update", "delete"} <= set(kinds)
        assert done.wait(10)
    finally:
        ws.close()


def checked_as(doc: dict[str, Any], s: mailroom.Server, method: str, template: str, path: str,
               status: int, body: Any = None, user: str | None = None) -> Any:  # fmt: skip
    """check() with HTTP basic auth as `user` (password "pw")."""
    import base64

    data = None if body is None else json.dumps(body).encode()
    headers = {}
    if user:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:pw".encode()).decode()
    req = urllib.request.Request(s.http_url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            got, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        with e:
            got, raw = e.code, e.read()
    assert got == status, (method, path, raw)
    response = doc["paths"][template][method.lower()]["responses"][str(status)]
    schema = response["content"]["application/json"]["schema"]
    value = json.loads(raw)
    validator(doc, schema).validate(value)
    return value


def test_error_statuses_are_documented_on_each_path(document_and_server: Any) -> None:
    doc, _ = document_and_server
    # With users: 401 and 403 on every operation but the open ones.
    for path, ops in doc["paths"].items():
        open_path = path in ("/login", "/livez", "/readyz", "/api/openapi.json") or path in (
            "/api/mailroom/login", "/api/mailroom/logout", "/api/mailroom/me",
        ) or path.startswith("/web/")  # fmt: skip
        for method, op in ops.items():
            assert open_path or {"401", "403"} <= set(op["responses"]), (method, path)
    big = {"From": {"Email": "a@example.test"}, "To": [{"Email": "b@example.test"}],
           "Text": "x" * 5000}  # fmt: skip
    with mailroom.Server(http_port=0, max_message_size=2000) as s:
        checked_as(doc, s, "POST", "/api/v1/send", "/api/v1/send", 413, big)
        compose = {"From": "a@example.test", "To": ["b@example.test"], "Text": "x" * 5000}
        checked_as(doc, s, "POST", "/api/mailroom/compose", "/api/mailroom/compose", 413, compose)
        headers = "/api/v1/message/{ID}/headers"
        checked_as(doc, s, "GET", headers, "/api/v1/message/nope/headers", 404)
    with mailroom.Server(http_port=0, users={"u@example.test": "pw"}) as u:
        checked_as(doc, u, "GET", "/api/v1/messages", "/api/v1/messages", 401)
        for method, path in (
            ("GET", "/api/mailroom/transcripts"),
            ("GET", "/api/mailroom/rules"),
            ("GET", "/api/v1/chaos"),
            ("PUT", "/api/v1/chaos"),
        ):
            body = {} if method == "PUT" else None
            error = checked_as(doc, u, method, path, path, 403, body, user="u@example.test")
            assert error["Error"], error
