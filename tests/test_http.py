"""The open-loop HTTP driver (httpload.h) against real servers: the
benchmark's tiny server, and servers that misbehave on purpose (refuse,
never answer, answer garbage, answer 503, chunk their bodies, close after
each answer). The user's API under faults runs in test_scenarios
(service-api-*); here: the counts the driver must keep straight, and the
scenario file's load.http errors."""
import json
import socket
import subprocess
import threading
import time

import pytest

from conftest import ROOT, free_port, run_loadgen, wait_until

SERVER = ROOT / "bin" / "http-server"


@pytest.fixture
def tiny():
    """bench/http_server.c on a free loopback port."""
    port = free_port()
    p = subprocess.Popen([str(SERVER), str(port), "1"])
    assert wait_until(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, 5)
    yield port
    p.kill()
    p.wait()


def drive(tmp_path, url, *args):
    out = tmp_path / "h.json"
    r = run_loadgen("http", url, "--json", out, *args, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(out.read_text()), r


def serve(handler):
    """A loopback server calling handler(conn) on each connection, in threads."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    stop = threading.Event()

    def loop():
        ls.settimeout(0.2)
        while not stop.is_set():
            try:
                c, _ = ls.accept()
            except OSError:
                continue
            threading.Thread(target=handler, args=(c,), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()
    return ls.getsockname()[1], lambda: (stop.set(), ls.close())


def read_request(c, buf=b""):
    """One request head (and its body by Content-Length) off c; None at EOF."""
    while b"\r\n\r\n" not in buf:
        d = c.recv(65536)
        if not d:
            return None, b""
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    n = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v)
    while len(rest) < n:
        rest += c.recv(65536)
    return head + b"\r\n\r\n" + rest[:n], rest[n:]


def requests_on(c):
    """Each request on connection c, until the client closes it."""
    buf = b""
    while True:
        req, buf = read_request(c, buf)
        if req is None:
            return
        yield req


def test_paced_requests_all_answered(tmp_path, tiny):
    j, r = drive(tmp_path, f"http://127.0.0.1:{tiny}/x", "--rate", "500", "--duration", "2s", "--connections", "8")
    assert 900 <= j["sent"] <= 1100 and j["ok"] == j["sent"] == j["status"]["2xx"]
    assert j["errors"] == 0 and j["error_share"] == 0
    assert j["latency"]["corrected"]["count"] == j["sent"]
    assert sum(row.get("2xx", 0) for row in j["series"]) == j["sent"]


def test_requests_total_and_templates(tmp_path):
    """--requests sends exactly that many; each carries its own id and seq."""
    seen = []

    def handler(c):
        for req in requests_on(c):
            seen.append(req)
            c.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
    port, close = serve(handler)
    try:
        j, _ = drive(tmp_path, f"http://127.0.0.1:{port}/orders/{{seq}}", "--requests", "50", "--method", "POST",
                     "--body", '{"order_id": "{id}"}', "--header", "Content-Type: application/json",
                     "--rate", "200", "--connections", "4")
    finally:
        close()
    assert j["sent"] == j["ok"] == 50 and len(seen) == 50
    paths = sorted(int(r.split(b" ")[1].rsplit(b"/", 1)[1]) for r in seen)
    assert paths == list(range(1, 51))
    bodies = {json.loads(r.split(b"\r\n\r\n", 1)[1])["order_id"] for r in seen}
    assert len(bodies) == 50 and all(b.startswith("00000000-0-") for b in bodies)
    assert all(b"Content-Type: application/json\r\n" in r for r in seen)


def test_chunked_and_closing_servers(tmp_path):
    """A chunked body, then Connection: close after each answer: all 2xx."""
    def handler(c):
        n = 0
        for _ in requests_on(c):
            n += 1
            if n % 2:
                c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n")
            else:
                c.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nz")
                c.close()
                return
    port, close = serve(handler)
    try:
        j, _ = drive(tmp_path, f"http://127.0.0.1:{port}/", "--requests", "200", "--rate", "400")
    finally:
        close()
    assert j["sent"] == j["ok"] == 200 and j["errors"] == 0


def test_errors_by_kind(tmp_path):
    """Refused, never answered, garbage and 503: each counted as what it is."""
    closed = free_port()
    j, _ = drive(tmp_path, f"http://127.0.0.1:{closed}/", "--requests", "20", "--rate", "100")
    assert j["sent"] == 20 and j["connect_errors"] == 20 and j["ok"] == 0 and j["error_share"] == 1

    def silent(c):
        time.sleep(5)
    port, close = serve(silent)
    try:
        j, _ = drive(tmp_path, f"http://127.0.0.1:{port}/", "--requests", "4", "--rate", "100", "--timeout", "300ms")
    finally:
        close()
    assert j["timeouts"] == 4 and j["ok"] == 0

    def garbage(c):
        read_request(c)
        c.sendall(b"SSH-2.0-nope\r\n" + b"x" * 70000)
    port, close = serve(garbage)
    try:
        j, _ = drive(tmp_path, f"http://127.0.0.1:{port}/", "--requests", "5", "--rate", "100")
    finally:
        close()
    assert j["io_errors"] == 5 and j["ok"] == 0

    def unavailable(c):
        for _ in requests_on(c):
            c.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
    port, close = serve(unavailable)
    try:
        j, _ = drive(tmp_path, f"http://127.0.0.1:{port}/", "--requests", "10", "--rate", "100")
    finally:
        close()
    assert j["status"]["5xx"] == 10 and j["error_share"] == 1


@pytest.mark.parametrize("args,msg", [
    (["https://127.0.0.1/"], "https is not supported"),
    (["http://127.0.0.1:0/"], "the port is 1-65535"),
    (["http://u:secret@127.0.0.1/"], "no user info"),
    (["http://127.0.0.1/{ID}"], "{ID}"),
    (["http://127.0.0.1/", "--connections", "0"], "--connections"),
    (["http://no-such-host.invalid/"], "no-such-host.invalid"),
])
def test_bad_command_lines(args, msg):
    r = run_loadgen("http", *args)
    assert r.returncode == 2 and msg in r.stderr and "secret" not in r.stderr, r.stderr


API = """name: api
load:
  rate: 10
  duration: 2s
{load}
services:
  - name: api
    command: [/usr/bin/python3, {app}, --port, "{{port:api}}"]
{svc}
effects: {{queue: orders, id: {{json: order_id}}}}
expect:
{expect}
"""


@pytest.mark.parametrize("load,svc,expect,msg", [
    ("  http: {url: 'https://127.0.0.1:{port:api}/'}", "", "  lost_events: 0", "https is not supported"),
    ("  http: {url: 'http://127.0.0.1:{port:API}/'}", "", "  lost_events: 0", "{port:NAME}"),
    ("  http: {url: 'http://127.0.0.1:{port:api}/', bogus: 1}", "", "  lost_events: 0", "unknown key"),
    ("  http: {url: 'http://127.0.0.1:{port:api}/', body: '{\"x\": 1}'}", "", "  lost_events: 0",
     "the API cannot name the request"),
    ("  http: {url: 'http://127.0.0.1:{port:api}/{id}', headers: {Host: x}}", "", "  lost_events: 0",
     "Host is loadgen's to send"),
    ("  http: {url: 'http://127.0.0.1:{port:api}/{id}'}\n  body: '{id}'", "", "  lost_events: 0",
     "load.http sends its own body"),
    ("  http: {url: 'http://127.0.0.1:{port:api}/{id}'}", "    instances: 2", "  lost_events: 0",
     "every instance would bind it"),
    ("  http: {url: 'http://127.0.0.1:{port:api}/{id}'}", "", "  http_errors: {max_share: 2}", "a share from 0 to 1"),
    ("  queue: q\n  confirm: 10", "", "  lost_events: 0", "needs load.http"),
    ("  http: {url: 'http://127.0.0.1:{port:api}/{id}'}", "    env: {X: '{port:other}'}\n    ready: {http: /healthz}",
     "  lost_events: 0", "a path needs the service to name one {port:NAME}"),
    ("  http: {url: 'http://127.0.0.1:{port:api}/{id}'}", "    ready: {tcp: '{port:nope'}", "  lost_events: 0",
     "is not a port"),
    ("  http: {url: 'http://127.0.0.1:{port:api}/{id}'}", "", "  lost_effects: 0", "an API run's gates are lost_events"),
    ("  http: {url: 'http://127.0.0.1:{port:api}/{id}'}", "", "  recovery: 5s", "an API run's gates are"),
])
def test_scenario_file_errors(tmp_path, load, svc, expect, msg):
    """Each mistake in load.http, {port:NAME} and the API gates: file:line, exit 2."""
    f = tmp_path / "api.yaml"
    f.write_text(API.format(load=load, svc=svc, expect=expect, app=ROOT / "examples/services/order_api.py"))
    r = run_loadgen("run", f, "--check")
    assert r.returncode == 2 and msg in r.stderr and "api.yaml:" in r.stderr, r.stderr


ROGUE = """name: rogue-api
load:
  rate: 50
  duration: 8s
  http: {url: "http://127.0.0.1:{port:api}/orders/", body: '{"order_id": "{id}", "amount": {seq}}',
         headers: {Content-Type: application/json}}
services:
  - {name: api, command: [/usr/bin/python3, %s, "{port:api}"], ready: {http: "http://127.0.0.1:{port:api}/healthz"}}
effects: {queue: orders, id: {json: order_id}, key: message_id, quiet: 4s}
expect:
  lost_events: 0
  duplicate_events: 0
  unexpected_events: 0
  event_p99: 1s
  http_p99: 100ms
  http_errors: {max_share: 0.05}
"""


@pytest.mark.slow
def test_every_api_gate_catches_its_fault(tmp_path):
    """The unsafe side of each API gate at once (the safe side: the
    service-api scenarios, which pass the same gates)."""
    from conftest import run_scenario
    j, r = run_scenario(tmp_path, ROGUE % (ROOT / "tests/services/rogue_api.py"))
    assert r.returncode == 1, r.stdout + r.stderr
    g = {x["gate"]: x for x in j["verdict"]["gates"]}
    assert g["lost_events"]["status"] == "pass"  # it loses nothing: each gate is caught for its own fault
    for name in ("duplicate_events", "unexpected_events", "event_p99", "http_p99", "http_errors"):
        assert g[name]["status"] == "fail", (name, g[name])
    e, h = j["effects"], j["http"]
    assert e["duplicates"] > 0 and e["unexpected"] > 0 and 0.1 < h["error_share"] < 0.15
    assert h["status"]["5xx"] == h["sent"] // 8 and e["confirmed"] == h["ok"]
    page = (tmp_path / "run" / "report.html").read_text()
    assert "<h2>HTTP requests</h2>" in page and "HTTP requests per second by outcome" in page
    assert f"<tr><td>{h['sent']}</td><td>{h['ok']}</td>" in page  # the numbers, not n/a
    assert f"<tr><td>{e['inputs']}</td><td>{e['confirmed']}</td><td>{e['matched']}</td>" in page


def test_ports_and_ready_forms_check(tmp_path):
    """{port:NAME} is one port wherever it is written; ready takes a path on it, a URL, or tcp."""
    for ready in ("{http: /healthz}", "{http: 'http://127.0.0.1:{port:api}/healthz'}", "{tcp: '{port:api}'}"):
        f = tmp_path / "api.yaml"
        f.write_text(API.format(load="  http: {url: 'http://127.0.0.1:{port:api}/o/{id}'}", svc=f"    ready: {ready}",
                                expect="  lost_events: 0", app=ROOT / "examples/services/order_api.py"))
        r = run_loadgen("run", f, "--check")
        assert r.returncode == 0, r.stderr


@pytest.mark.slow
def test_ctrl_c_during_an_api_run(tmp_path, broker):
    """Ctrl-C mid-run: exit 130, the report with what was sent, the API gone."""
    import signal
    from conftest import LOADGEN, SCRATCH, pid_alive, scratch_env
    f = tmp_path / "s.yaml"
    f.write_text(f"""name: api-ctrl-c
load:
  rate: 50
  duration: 60s
  http: {{url: "http://127.0.0.1:{{port:api}}/orders/", body: '{{"order_id": "{{id}}"}}',
         headers: {{Content-Type: application/json}}}}
services:
  - name: api
    command: [/usr/bin/python3, {ROOT / "examples/services/order_api.py"}, --port, "{{port:api}}"]
    env: {{VARIANT: confirm, ORDERS: api_ctrl_c}}
    ready: {{http: /healthz}}
effects: {{queue: api_ctrl_c, id: {{json: order_id}}}}
expect: {{lost_events: 0}}
""")
    p = subprocess.Popen([LOADGEN, "run", str(f), "--uri", broker.uri, "--json", str(tmp_path / "s.json"),
                          "--report-dir", str(tmp_path / "run")], cwd=SCRATCH, env=scratch_env(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log = tmp_path / "run" / "services" / "api-0.log"
    try:
        assert wait_until(lambda: log.exists() and "ready" in log.read_text(), timeout=60)
        time.sleep(3)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 130, err
    j = json.loads((tmp_path / "s.json").read_text())
    assert j["interrupted"] and j["verdict"]["status"] == "incomplete" and j["http"]["ok"] > 50
    pids = [s["pid"] for svc in j["services"] for i in svc["instances"] for s in i["starts"]]
    assert pids and wait_until(lambda: not any(pid_alive(x) for x in pids), timeout=10)
    assert (tmp_path / "run" / "report.html").exists()
