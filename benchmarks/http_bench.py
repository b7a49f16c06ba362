"""HTTP API throughput and live-event latency: mailroom against nginx.

Run:  python benchmarks/http_bench.py [--messages 100000] [--seconds 5] [--rounds 3]
                                    [--threads 1] [--ids 1000] [--events 1000]
      python benchmarks/http_bench.py --login [--messages 100000] [--seconds 5]

A server's store is filled with --messages messages (submitted natively, no
SMTP). Debian's wrk (16 connections, keep-alive) then drives
`GET /api/v1/messages?limit=50` and `GET /api/v1/message/{ID}` (the ID going
round --ids different messages, by a wrk script) against mailroom, and
against nginx serving the same JSON bodies as static files at the same
paths, in this run on this machine. mailroom gets --threads network threads
and nginx as many worker processes. The two take turns, --rounds times, and
the best of each is kept; printed: requests/s of each and the ratio (target
>= 0.5x nginx; the script exits with 1 when a target is missed). Then
--events messages are sent over SMTP, one at a time, while a WebSocket
client listens on /api/events: the time from sendmail() to the `new` event,
median and p99. Last, the time to first
render of the web client's list with --render-messages (10,000) messages in
Debian's headless Chromium (Playwright), from the page's performance timing:
navigation start to the list painted (the client's `mailroom:list-painted`
mark), median of --renders page loads, against the first contentful paint of
the same 50 rows as a static HTML page from nginx in the same run.

With --login, the server has an account instead (no test mode), and the
--messages messages are all in that one user's INBOX: wrk drives
`GET /api/v1/messages?limit=50` with HTTP basic auth and with a bearer token,
against nginx serving the same JSON (sent the same header) in this run.
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import os
import re
import shutil
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import mailroom


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fill(server: mailroom.Server, n: int, account: str | None = None) -> None:
    """n messages, to user0..user99 in turn, or all to `account`."""
    body = "Hello,\r\n\r\nyour order has shipped. Track it at https://shop.example.test/t/{i}.\r\n"
    for i in range(n):
        to = account or f"user{i % 100}@example.test"
        data = (
            f"From: Shop <shop@example.test>\r\nTo: {to}\r\n"
            f"Subject: Order {i} shipped\r\nMessage-ID: <{i}@shop.example.test>\r\n"
            f"Date: Tue, 01 Dec 2026 12:00:00 +0000\r\n\r\n" + body.format(i=i)
        )
        server._native.submit("shop@example.test", [to], data)


# A wrk script that asks for the paths of a file in turn, one per request.
PATHS_SCRIPT = """
local paths = {}
function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
end
local i = 0
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def wrk(
    url: str, seconds: int, headers: dict[str, str] | None = None, paths: str | None = None
) -> float:
    """Requests/s; with `paths` (a file of paths, one a line, and a wrk
    script beside it), each request takes the next path, on `url`'s host."""
    fields = [a for k, v in (headers or {}).items() for a in ("-H", f"{k}: {v}")]
    script = ["-s", paths + ".lua"] if paths else []
    tail = ["--", paths] if paths else []
    done = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", *fields, *script, url, *tail],
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    assert found, done.stdout
    return float(found.group(1))


def nginx(
    root: str, port: int, content_type: str = "application/json", workers: int = 1
) -> subprocess.Popen[bytes]:
    """nginx on `port` serving www/list.json at / and every other path, and
    the files under www/api/v1/message/ at their own paths."""
    conf = os.path.join(root, "nginx.conf")
    master = "on" if workers > 1 else "off"
    with open(conf, "w") as f:
        f.write(f"""
daemon off; master_process {master}; worker_processes {workers}; pid {root}/nginx.pid;
error_log {root}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off; default_type {content_type}; keepalive_requests 1000000;
  client_body_temp_path {root}; proxy_temp_path {root}; fastcgi_temp_path {root};
  uwsgi_temp_path {root}; scgi_temp_path {root};
  server {{ listen 127.0.0.1:{port}; root {root}/www;
           location / {{ try_files /list.json =404; }}
           location /api/v1/message/ {{ try_files $uri =404; }} }}
}}""")
    proc = subprocess.Popen(["nginx", "-p", root, "-c", conf])
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("nginx did not start")


def event_latency(server: mailroom.Server, n: int) -> list[float]:
    import websocket  # websocket-client

    ws = websocket.create_connection(f"ws://{server.host}:{server.http_port}/api/events")
    arrived: list[float] = []
    got = threading.Event()

    def listen() -> None:
        while len(arrived) < n:
            e = json.loads(ws.recv())
            if e["Type"] == "new":
                arrived.append(time.perf_counter())
                got.set()

    t = threading.Thread(target=listen, daemon=True)
    t.start()
    waits = []
    with smtplib.SMTP(*server.smtp_address) as c:
        for i in range(n):
            got.clear()
            start = time.perf_counter()
            c.sendmail("a@example.test", ["b@example.test"], f"Subject: e{i}\r\n\r\nx\r\n")
            if not got.wait(10):
                raise RuntimeError(f"no 'new' event within 10 s for message {i}")
            waits.append(arrived[-1] - start)
    ws.close()
    return waits


def static_list(listing: bytes) -> bytes:
    rows = "".join(
        f"<li><b>{html.escape(m['From']['Address'])}</b> {html.escape(m['Subject'])}"
        f"<br>{html.escape(m['Snippet'])}</li>"
        for m in json.loads(listing)["messages"]
    )
    return f"<!doctype html><meta charset=utf-8><title>list</title><ul>{rows}</ul>".encode()


def render_times(urls: dict[str, str], renders: int) -> dict[str, float]:
    """Median milliseconds from navigation start to the list painted, per URL."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if not chromium:
        sys.exit("chromium is not installed (Debian: apt-get install chromium)")
    got: dict[str, list[float]] = {name: [] for name in urls}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.route("**/*", lambda r: r.continue_() if "127.0.0.1" in r.request.url else r.abort())
        for _ in range(renders):
            for name, url in urls.items():
                page.goto(url)
                mark = "mailroom:list-painted" if "/web" in name else "first-contentful-paint"
                page.wait_for_selector("li")
                for _ in range(200):
                    t = page.evaluate(
                        "n => performance.getEntriesByName(n).map(e => e.startTime)[0]", mark
                    )
                    if t is not None:
                        break
                    time.sleep(0.01)
                got[name].append(float(t))
        browser.close()
    return {name: statistics.median(v) for name, v in got.items()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--messages", type=int, default=100_000)
    p.add_argument("--seconds", type=int, default=5)
    p.add_argument("--rounds", type=int, default=3, help="turns each; the best is kept")
    p.add_argument("--threads", type=int, default=1, help="mailroom's threads, nginx's workers")
    p.add_argument("--ids", type=int, default=1000, help="messages GET /message/{ID} goes round")
    p.add_argument("--events", type=int, default=1000)
    p.add_argument("--render-messages", type=int, default=10_000)
    p.add_argument("--renders", type=int, default=9)
    p.add_argument("--login", action="store_true", help="a logged-in user's list instead")
    args = p.parse_args()
    for program in ("wrk", "nginx"):
        if not shutil.which(program):
            sys.exit(f"{program} is not installed (Debian: apt-get install wrk nginx-light)")
    if args.login:
        logged_in_list(args.messages, args.seconds)
        return
    missed: list[str] = []
    with (
        mailroom.Server(http_port=0, threads=args.threads) as server,
        tempfile.TemporaryDirectory() as root,
    ):
        started = time.perf_counter()
        fill(server, args.messages)
        print(f"store: {args.messages} messages in {time.perf_counter() - started:.2f} s")
        base = server.http_url
        with urllib.request.urlopen(base + "/api/v1/messages?limit=50") as r:
            listing = r.read()
        # The same bodies as files at the same paths, for nginx.
        www = os.path.join(root, "www")
        os.makedirs(os.path.join(www, "api", "v1", "message"))
        with open(os.path.join(www, "list.json"), "wb") as f:
            f.write(listing)
        step = max(1, args.messages // max(1, args.ids))
        ids: list[str] = []
        for start in range(0, min(args.messages, step * args.ids), 50 * step):
            with urllib.request.urlopen(f"{base}/api/v1/messages?start={start}&limit=50") as r:
                ids += [m["ID"] for m in json.load(r)["messages"]]
        ids = ids[: args.ids]
        for one_id in ids:
            with urllib.request.urlopen(f"{base}/api/v1/message/{one_id}") as r:
                body = r.read()
            with open(os.path.join(www, "api", "v1", "message", one_id), "wb") as f:
                f.write(body)
        paths = os.path.join(root, "paths")
        with open(paths, "w") as f:
            f.write("".join(f"/api/v1/message/{i}\n" for i in ids))
        with open(paths + ".lua", "w") as f:
            f.write(PATHS_SCRIPT)
        print(f"GET /api/v1/message/{{ID}} goes round {len(ids)} messages; "
              f"mailroom {args.threads} thread(s), nginx {args.threads} worker(s)")  # fmt: skip
        port = free_port()
        proc = nginx(root, port, workers=args.threads)
        try:
            for label, ours, theirs, script in (
                ("GET /api/v1/messages?limit=50", base + "/api/v1/messages?limit=50",
                 f"http://127.0.0.1:{port}/api/v1/messages?limit=50", None),
                ("GET /api/v1/message/{ID}", base, f"http://127.0.0.1:{port}", paths),
            ):  # fmt: skip
                a = b = 0.0
                for _ in range(args.rounds):
                    a = max(a, wrk(ours, args.seconds, paths=script))
                    b = max(b, wrk(theirs, args.seconds, paths=script))
                ratio = a / b
                met = "met" if ratio >= 0.5 else "NOT met"
                if ratio < 0.5:
                    missed.append(label)
                print(f"{label:<32} mailroom {a:10.0f} req/s  nginx {b:10.0f} req/s  "
                      f"ratio {ratio:.2f}x (target >= 0.5x: {met}; "
                      f"best of {args.rounds})")  # fmt: skip
        finally:
            proc.terminate()
            proc.wait(10)
        waits = sorted(event_latency(server, args.events))
        p99 = waits[min(len(waits) - 1, int(len(waits) * 0.99))]
        print(f"SMTP delivery -> WebSocket 'new' event: median "
              f"{statistics.median(waits) * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms "
              f"({args.events} messages)")  # fmt: skip
    first_render(args.render_messages, args.renders)
    if missed:
        sys.exit("target missed: " + ", ".join(missed))


def logged_in_list(messages: int, seconds: int) -> None:
    user, password, token = "reader@example.test", "reader-secret", "reader-token-0123456789"
    credentials = base64.b64encode(f"{user}:{password}".encode()).decode()
    ways = {"basic auth": f"Basic {credentials}", "bearer token": f"Bearer {token}"}
    with (
        mailroom.Server(http_port=0, users={user: password}, http_tokens={token: user}) as server,
        tempfile.TemporaryDirectory() as root,
    ):
        started = time.perf_counter()
        fill(server, messages, user)
        print(f"store: {messages} messages in {user}'s INBOX in "
              f"{time.perf_counter() - started:.2f} s")  # fmt: skip
        url = server.http_url + "/api/v1/messages?limit=50"
        request = urllib.request.Request(url, headers={"Authorization": ways["basic auth"]})
        with urllib.request.urlopen(request) as r:
            listing = r.read()
        assert json.loads(listing)["total"] == messages, listing[:200]
        os.mkdir(os.path.join(root, "www"))
        with open(os.path.join(root, "www", "list.json"), "wb") as f:
            f.write(listing)
        port = free_port()
        proc = nginx(root, port)
        try:
            for way, field in ways.items():
                auth = {"Authorization": field}
                a = wrk(url, seconds, auth)
                b = wrk(f"http://127.0.0.1:{port}/api/v1/messages?limit=50", seconds, auth)
                ratio = a / b
                met = "met" if ratio >= 0.5 else "NOT met"
                label = f"GET /api/v1/messages?limit=50, {way}"
                print(f"{label:<48} mailroom {a:10.0f} req/s  nginx {b:10.0f} req/s  "
                      f"ratio {ratio:.2f}x (target >= 0.5x: {met})")  # fmt: skip
        finally:
            proc.terminate()
            proc.wait(10)


def first_render(messages: int, renders: int) -> None:
    with mailroom.Server(http_port=0) as server, tempfile.TemporaryDirectory() as root:
        fill(server, messages)
        with urllib.request.urlopen(server.http_url + "/api/v1/messages?limit=50") as r:
            listing = r.read()
        os.mkdir(os.path.join(root, "www"))
        # nginx's config serves www/list.json at every path; here as text/html
        with open(os.path.join(root, "www", "list.json"), "wb") as f:
            f.write(static_list(listing))
        port = free_port()
        proc = nginx(root, port, "text/html")
        try:
            pages = {"/web": server.http_url + "/", "static": f"http://127.0.0.1:{port}/list.html"}
            times = render_times(pages, renders)
        finally:
            proc.terminate()
            proc.wait(10)
        ours, theirs = times["/web"], times["static"]
        print(f"first render of the list, {messages} messages, Chromium: mailroom's client "
              f"{ours:.0f} ms  static HTML from nginx {theirs:.0f} ms  ratio {ours / theirs:.2f}x "
              f"(median of {renders})")  # fmt: skip


if __name__ == "__main__":
    main()
