"""Toxiproxy compatibility: the Node client from the npm registry
(toxiproxy-node-client 4.1.0, pinned in tests/toxiproxy/package-lock.json,
installed by scripts/install-deps) drives `loadgen proxy` unchanged. Every
call of the client is made, and its effect measured on real traffic: a TCP
echo through the proxy (round trips measured by the Node script) and an AMQP
connection to the session broker (bench's confirm latency). `--config`
loads a Toxiproxy JSON config at start; /metrics counts what went through."""
import json
import re
import shutil
import socket
import subprocess
import urllib.request
from pathlib import Path

import pytest

from conftest import LOADGEN, SCRATCH, run_loadgen, scratch_env, stop_process
from test_proxy import api_address, echo  # noqa: F401 (a fixture)

HERE = Path(__file__).parent / "toxiproxy"


def node(*args):
    assert shutil.which("node"), "node is not installed: run scripts/install-deps"
    assert (HERE / "node_modules" / "toxiproxy-node-client").is_dir(), \
        "the Node Toxiproxy client is not installed: run scripts/install-deps (npm ci in tests/toxiproxy)"
    r = subprocess.run(["node", str(HERE / "client-check.js"), *args], capture_output=True, text=True, timeout=120)
    steps = {}
    for line in r.stdout.splitlines():
        j = json.loads(line)
        steps[j.pop("step")] = j
    assert r.returncode == 0 and "error" not in steps, r.stdout + r.stderr
    return steps


def confirm_p50(uri, tmp_path):
    out = tmp_path / "r.json"
    r = run_loadgen("bench", "--uri", uri, "--rate", "200", "--duration", "3s", "--quiet", "--no-report",
                    "--json", out, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(out.read_text())["latency"]["confirm"]["p50"]


def metrics(api):
    with urllib.request.urlopen(f"http://{api}/metrics", timeout=5) as r:
        assert r.headers["Content-Type"].startswith("text/plain")
        return r.read().decode()


def test_node_client_drives_the_proxy(echo, broker, tmp_path):
    echo_up = f"127.0.0.1:{echo.server_address[1]}"
    cfg = tmp_path / "toxiproxy.json"
    cfg.write_text(json.dumps([{"name": "pre", "listen": "127.0.0.1:0", "upstream": echo_up},
                               {"name": "off", "listen": "127.0.0.1:0", "upstream": echo_up, "enabled": False}]))
    p = subprocess.Popen([LOADGEN, "proxy", "--config", cfg, "--api", "127.0.0.1:0"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, cwd=SCRATCH, env=scratch_env())
    try:
        api = api_address(p.stderr)
        # --config: the file's proxies exist as it says, and forward
        with urllib.request.urlopen(f"http://{api}/proxies", timeout=5) as r:
            pre = json.loads(r.read())
        assert pre["pre"]["enabled"] is True and pre["off"]["enabled"] is False
        host, port = pre["pre"]["listen"].rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=5) as s:
            s.sendall(b"ping")
            assert s.recv(16) == b"ping"

        s = node(f"http://{api}", echo_up, f"127.0.0.1:{broker.port}")
        assert json.loads(s["getVersion"]["text"])["version"].startswith("loadgen-proxy")
        assert s["populate"]["names"] == ["amqp", "echo"]
        assert s["getAll"]["names"] == ["amqp", "echo", "off", "pre"]
        base = s["get"]["rtt"]
        assert s["get"]["enabled"] is True and s["get"]["upstream"] == echo_up and base < 20
        # each toxic call's effect on the echo's round trips
        assert s["addToxic"]["attributes"] == {"latency": 50, "jitter": 0} and s["addToxic"]["rtt"] >= 50
        assert s["getToxic"] == {"name": "lat", "stream": "downstream", "attributes": {"latency": 50, "jitter": 0}}
        assert s["Toxic.update"]["attributes"]["latency"] == 100 and s["Toxic.update"]["rtt"] >= 100
        assert s["Toxic.remove"]["toxics"] == 0 and s["Toxic.remove"]["rtt"] < 20
        # the whole proxy sent back: accepted, and disabling refuses connections
        assert s["Proxy.update"] == {"enabled": False, "listen_same": True, "rtt": None}
        assert s["Proxy.update enable"]["enabled"] is True and s["Proxy.update enable"]["rtt"] < 20
        assert s["populate same"]["listen_same"] and s["populate same"]["toxics"] == ["kept"]
        assert s["populate same"]["rtt"] >= 30
        assert s["populate replace"]["relisten"] and s["populate replace"]["toxics"] == 0
        assert s["populate replace"]["old_rtt"] is None and s["populate replace"]["rtt"] < 20
        assert s["createProxy"]["name"] == "extra" and s["createProxy"]["rtt"] < 20
        assert "404" in s["Proxy.remove"]["get_error"] and s["Proxy.remove"]["rtt"] is None
        assert s["errors"]["conflict"] == [409, {"error": "proxy already exists", "status": 409}]
        assert s["errors"]["missing"] == [404, {"error": "proxy not found", "status": 404}]

        # AMQP through the proxy the client populated and slowed: confirms
        # wait for the 30 ms downstream latency
        amqp_uri = f"amqp://guest:guest@{s['left']['amqp_listen']}/%2f"
        assert confirm_p50(amqp_uri, tmp_path) >= 30
        text = metrics(api)
        assert re.search(r'loadgen_toxic_activations_total\{proxy="amqp",toxic="slow",type="latency"\} [1-9]', text)
        conns = re.search(r'loadgen_proxy_connections_total\{proxy="amqp",[^}]*\} (\d+)', text)
        assert conns and int(conns.group(1)) >= 2
        assert re.search(r'loadgen_proxy_received_bytes_total\{proxy="amqp",[^}]*\} [1-9]', text)
        assert re.search(r'loadgen_proxy_enabled\{proxy="echo",[^}]*\} 0', text)

        # reset: every proxy enabled, every toxic gone, seen on the traffic
        r = node(f"http://{api}", "-", "-", "reset")
        assert r["reset"]["proxies"] == {"amqp": True, "echo": True, "off": True, "pre": True}
        assert confirm_p50(amqp_uri, tmp_path) < 15
        host, port = s["left"]["echo_listen"].rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=5) as c:
            c.sendall(b"back")
            assert c.recv(16) == b"back"
        # an update that changes listen re-binds (the old address refuses),
        # one that changes upstream sends new connections there (PATCH, as
        # Toxiproxy 2.4 on takes it)
        def patch(name, body, method="PATCH"):
            req = urllib.request.Request(f"http://{api}/proxies/{name}", data=json.dumps(body).encode(), method=method,
                                         headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=5) as r:
                return json.loads(r.read())
        old = pre["pre"]["listen"]
        moved = patch("pre", {"listen": "127.0.0.1:0"})
        assert moved["listen"] != old and moved["upstream"] == echo_up and moved["enabled"] is True
        host, port = old.rsplit(":", 1)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((host, int(port)), timeout=5)
        host, port = moved["listen"].rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=5) as c:
            c.sendall(b"moved")
            assert c.recv(16) == b"moved"
        dead = socket.socket()
        dead.bind(("127.0.0.1", 0))  # bound, never listening: connections to it are refused
        up = patch("pre", {"upstream": f"127.0.0.1:{dead.getsockname()[1]}"}, method="POST")
        assert up["listen"] == moved["listen"]
        # the proxy cannot reach the new upstream: the client's connection
        # is closed (or reset), nothing echoed
        try:
            with socket.create_connection((host, int(port)), timeout=5) as c:
                c.settimeout(5)
                c.sendall(b"gone")
                assert c.recv(16) == b""
        except ConnectionResetError:
            pass
        dead.close()
    finally:
        p.send_signal(2)
        try:
            p.wait(timeout=10)
        finally:
            stop_process(p)


def test_bad_config_file_is_refused(tmp_path):
    bad = tmp_path / "bad.json"
    for text, msg in [("[{\"name\": \"a\"}]", "missing required field: upstream at proxy 1"),
                      ("{\"name\": \"a\"}", "expected a JSON array"),
                      ("[{\"name\": \"a\", \"upstream\": \"127.0.0.1:1\"}, {\"name\": \"a\", \"upstream\": \"127.0.0.1:2\"}]",
                       "duplicate proxy name a"),
                      ("[{\"name\": \"a\", \"listen\": \"nowhere\", \"upstream\": \"127.0.0.1:1\"}]",
                       "bad listen address nowhere"),
                      ("[oops", "bad.json:1:")]:
        bad.write_text(text)
        r = run_loadgen("proxy", "--config", bad, "--api", "127.0.0.1:0", timeout=20)
        assert r.returncode == 2 and msg in r.stderr, (text, r.stderr)
