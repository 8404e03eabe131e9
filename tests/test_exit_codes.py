"""Every exit code of every command (docs/test-matrix.md lists where each is
tested). The codes: 0 ok, 1 failed (a gate, a health check, a stopped node's
status), 2 usage, 3 broker, 4 incomplete, 130 interrupted (SIGINT or SIGTERM)."""
import json
import signal
import subprocess
import time

import pytest

from conftest import LOADGEN, SCRATCH, run_loadgen, scratch_env, stop_process


def test_top_level():
    assert run_loadgen().returncode == 2
    assert run_loadgen("nosuchcommand").returncode == 2
    for args in (["--help"], ["help"], ["version"], ["--version"]):
        r = run_loadgen(*args)
        assert r.returncode == 0 and r.stdout, args
    for cmd in ("bench", "run", "broker", "proxy", "report", "compare", "hlog"):
        r = run_loadgen(cmd, "--help")
        assert r.returncode == 0 and "usage" in r.stdout.lower(), (cmd, r.stdout, r.stderr)


@pytest.mark.parametrize("args,code,needle", [
    (["run", "--uri", "amqp://127.0.0.1:1/%2f"], 3, "cannot connect to amqp://guest@127.0.0.1:1/%2F: Connection refused"),
    (["bench", "--uri", "amqp://127.0.0.1:1/%2f", "--duration", "1s"], 3,
     "cannot connect to amqp://guest@127.0.0.1:1/%2F: Connection refused"),
    (["run", "--no-such-option"], 2, "no-such-option"),
    (["proxy", "--listen", "127.0.0.1:notaport", "--upstream", "127.0.0.1:1"], 2, "notaport"),
    (["proxy", "--listen", "127.0.0.1:0"], 2, "--listen and --upstream go together"),
    (["report"], 2, "report"),
    (["compare"], 2, "compare"),
    (["hlog"], 2, "give an interval log file"),
])
def test_usage_and_broker_errors(args, code, needle, tmp_path):
    if args[0] == "run" and args[1] == "--uri":
        f = tmp_path / "s.yaml"
        f.write_text("name: x\nload: {rate: 10, duration: 1s}\n")
        args = ["run", f, "--uri", args[2], "--no-report"]
    r = run_loadgen(*args, timeout=60)
    assert r.returncode == code, r.stdout + r.stderr
    assert needle in r.stderr, r.stderr


def test_proxy_exits_0_on_sigint_and_sigterm():
    for sig in (signal.SIGINT, signal.SIGTERM):
        p = subprocess.Popen([LOADGEN, "proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             cwd=SCRATCH, env=scratch_env())
        try:
            assert p.stdout.readline().startswith("127.0.0.1:")
            p.send_signal(sig)
            assert p.wait(timeout=10) == 0
        finally:
            stop_process(p)


def test_proxy_api_address_in_use_exits_2():
    p = subprocess.Popen([LOADGEN, "proxy", "--api", "127.0.0.1:0"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, cwd=SCRATCH, env=scratch_env())
    stop_process(p)
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    try:
        r = run_loadgen("proxy", "--api", f"127.0.0.1:{s.getsockname()[1]}", timeout=10)
        assert r.returncode == 2, r.stderr
        assert "proxy:" in r.stderr
    finally:
        s.close()


LONG_SCENARIO = """\
name: interrupted
topology: {queue: x-interrupt, durable: true}
load: {rate: 200, duration: 60s}
faults:
  - {at: 30s, action: disconnect}
expect:
  lost: 0
"""


@pytest.mark.parametrize("cmd", ["bench", "run"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_runs_exit_130_with_their_report(cmd, sig, broker, tmp_path):
    out = tmp_path / "r.json"
    rdir = tmp_path / "rd"
    if cmd == "bench":
        args = ["bench", "--uri", broker.uri, "--rate", "200", "--duration", "60s", "--queue", "x-interrupt"]
    else:
        f = tmp_path / "s.yaml"
        f.write_text(LONG_SCENARIO)
        args = ["run", f, "--uri", broker.uri]
    p = subprocess.Popen([LOADGEN, *map(str, args), "--json", str(out), "--report-dir", str(rdir)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         cwd=SCRATCH, env=scratch_env())
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if p.stderr.readline().startswith("[   2s]"):
                break
        p.send_signal(sig)
        p.communicate(timeout=60)
    finally:
        stop_process(p)
    assert p.returncode == 130
    j = json.loads(out.read_text())
    assert j["interrupted"] is True and j["totals"]["published"] >= 200
    assert json.loads((rdir / "run.json").read_text())["interrupted"] is True
    if cmd == "run":
        # An interrupted run is not a pass, whatever its gates said so far.
        assert j["verdict"]["pass"] is False
