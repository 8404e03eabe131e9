"""Capacity planning against a real node: `loadgen capacity` finds the
highest rate that holds an SLO, the broker's resources are sampled into
run.json, and the live Prometheus endpoint counts what run.json counts.

The proof: one consumer that takes 2 ms per message (--consumer-delay) caps
the true capacity at 500 msg/s. The search must find it within 10%, the SLO
must hold at 0.9x the answer and fail at 1.3x it."""
import json
import re
import subprocess
import time
import urllib.request

import pytest

from conftest import LOADGEN, SCRATCH, Node, free_port, run_loadgen, scratch_env, stop_process

SLO_MS = 100
TRUE_CAPACITY = 500  # one consumer, 2 ms a message


@pytest.fixture(scope="module")
def mgmt_node(tmp_path_factory):
    """A node with rabbitmq_management: `broker start --management` prints
    the API's URL on its second line."""
    node = Node(tmp_path_factory.mktemp("capacity") / "node", "--management")
    yield node
    node.close()


def mgmt_url(node):
    conf = (node.dir / "rabbitmq.conf").read_text()
    port = re.search(r"management\.tcp\.port = (\d+)", conf).group(1)
    return f"http://guest:guest@127.0.0.1:{port}"


def e2e_p99(uri, rate, tmp_path, name):
    out = tmp_path / f"{name}.json"
    r = run_loadgen("bench", "--uri", uri, "--quiet", "--no-report", "--consumer-delay", "2ms", "--prefetch", "10",
                    "--rate", str(int(rate)), "--duration", "6s", "--warmup", "1s", "--drain-timeout", "3s",
                    "--json", out, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(out.read_text())["latency"]["e2e"]["p99"]


def test_capacity_finds_the_rate_a_slow_consumer_allows(mgmt_node, tmp_path):
    d = tmp_path / "run"
    r = run_loadgen("capacity", "--uri", mgmt_node.uri, "--slo", f"e2e_p99={SLO_MS}ms", "--consumer-delay", "2ms",
                    "--prefetch", "10", "--step", "4s", "--step-warmup", "1s", "--confirm-hold", "6s",
                    "--start-rate", "100", "--require", "400", "--report-dir", d, timeout=400)
    assert r.returncode == 0, r.stdout + r.stderr
    run = json.loads((d / "run.json").read_text())
    cap = run["capacity"]
    assert cap["confirmed"] is True and cap["search_end"] == "bracket within the precision"
    assert abs(cap["msg_s"] - TRUE_CAPACITY) <= 0.1 * TRUE_CAPACITY, cap
    assert f"capacity: {cap['msg_s']:,.0f} msg/s at e2e p99 <= {SLO_MS} ms" in r.stdout
    steps = cap["steps"]
    assert [s["phase"] for s in steps][0] == "ramp" and steps[-1]["phase"] == "confirm"
    # a step above the true capacity failed for the right reasons: its
    # latency and its growing backlog, both recorded
    over = [s for s in steps if s["rate"] >= 1.2 * TRUE_CAPACITY]
    assert over and all(not s["pass"] for s in over)
    assert all(any("e2e_p99" in w for w in s["reasons"]) for s in over)
    assert all(any("backlog grew" in w for w in s["reasons"]) for s in over)
    assert cap["first_fail_rate"] > cap["msg_s"] and cap["first_fail_reasons"]
    # the broker's CPU is unknown on a broker given by --uri: null, never 0
    assert all(p["cpu_pct"] is None for p in run["broker_resources"])
    assert any(p["ready"] is not None for p in run["broker_resources"])
    assert run["verdict"]["pass"] is True
    assert [g for g in run["verdict"]["gates"] if g["gate"] == "capacity"][0]["min"] == 400
    html = (d / "report.html").read_text()
    assert "id='capacity'" in html and "capacity-steps" in html and "SLO limit" in html
    # the answer is true on both sides: the SLO holds below it, fails above
    assert e2e_p99(mgmt_node.uri, 0.9 * cap["msg_s"], tmp_path, "below") <= SLO_MS
    assert e2e_p99(mgmt_node.uri, 1.3 * cap["msg_s"], tmp_path, "above") > SLO_MS
    # compare shows capacity runs side by side
    c = run_loadgen("compare", d, d, "--out", tmp_path / "cmp.html")
    assert c.returncode == 0, c.stderr
    assert re.search(r"capacity msg/s\s+%d\s+%d" % (cap["msg_s"], cap["msg_s"]), c.stdout), c.stdout
    assert "Capacity search" in (tmp_path / "cmp.html").read_text()


def test_capacity_that_nothing_holds_fails_the_gate(mgmt_node, tmp_path):
    d = tmp_path / "run"
    r = run_loadgen("capacity", "--uri", mgmt_node.uri, "--slo", "e2e_p99=1us", "--step", "2s",
                    "--step-warmup", "1s", "--start-rate", "20", "--ramp-factor", "10", "--report-dir", d, timeout=120)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "capacity: none found" in r.stdout
    run = json.loads((d / "run.json").read_text())
    assert run["capacity"]["msg_s"] is None and run["capacity"]["search_end"] == "failed at the lowest rate"
    assert [s["rate"] for s in run["capacity"]["steps"]] == [20, 2]
    assert "no rate held the SLO" in run["verdict"]["reasons"]
    assert "<failure" in (d / "junit.xml").read_text()


@pytest.mark.parametrize("args,msg", [
    ([], "capacity needs --slo"),
    (["--slo", "e2e_p99=fast"], "e2e_p99 'fast' is not a duration"),
    (["--slo", "p99=20ms"], "unknown term 'p99'"),
    (["--slo", "e2e_p42=20ms"], "the percentile is one of"),
    (["--slo", "e2e_p99=20ms", "--rate", "100"], "capacity sets the rate"),
    (["--slo", "e2e_p99=20ms", "--precision", "80%"], "--precision: '80%'"),
    (["--slo", "e2e_p99=20ms", "--step", "2s", "--step-warmup", "3s"], "--step-warmup must be shorter"),
    (["--slo", "e2e_p99=20ms", "--bogus"], "unknown option '--bogus'"),
])
def test_capacity_bad_input_is_refused(args, msg):
    r = run_loadgen("capacity", *args, timeout=30)
    assert r.returncode == 2 and msg in r.stderr, r.stderr


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (\S+)$')


def parse_prometheus(text):
    """The text exposition format's rules: HELP/TYPE comments, then samples
    `name{labels} value`; every sample belongs to a declared family."""
    types, samples = {}, {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("counter", "gauge", "histogram", "summary"), line
            types[name] = kind
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        name, labels, value = m.group(1), m.group(2) or "", float(m.group(3))
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
        assert family in types, f"{name} has no TYPE"
        samples[name + labels] = value
    return types, samples


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        assert resp.headers["Content-Type"].startswith("text/plain")
        return parse_prometheus(resp.read().decode())


def test_metrics_endpoint_and_broker_resources(mgmt_node, tmp_path):
    """Scraped while bench runs: counters rise, the histogram is well formed;
    scraped after it ended (--metrics-linger): the counters equal run.json's
    totals and the verdict is there. The management API gives the broker's
    connections; report.html draws the broker's resources."""
    port = free_port()
    d = tmp_path / "run"
    p = subprocess.Popen([LOADGEN, "bench", "--uri", mgmt_node.uri, "--management", mgmt_url(mgmt_node),
                          "--rate", "500", "--duration", "8s", "--quiet", "--report-dir", d,
                          "--metrics-listen", f"127.0.0.1:{port}", "--metrics-linger", "4s"],
                         cwd=SCRATCH, env=scratch_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        seen = []
        deadline = time.monotonic() + 30
        while len(seen) < 2 and time.monotonic() < deadline:
            try:
                types, s = scrape(port)
            except OSError:
                time.sleep(0.2)
                continue
            if s["loadgen_published_total"] > 0 and (not seen or s["loadgen_published_total"] > seen[-1]):
                seen.append(s["loadgen_published_total"])
            time.sleep(1.5)
        assert len(seen) == 2 and seen[1] > seen[0], seen
        assert types["loadgen_published_total"] == "counter" and types["loadgen_e2e_latency_seconds"] == "histogram"
        assert s['loadgen_fault_active{action="none",target=""}'] == 0
        # wait for the end of the run: the verdict appears, then compare
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            _, s = scrape(port)
            if s.get("loadgen_run_done") == 1:
                break
            time.sleep(0.3)
        assert s["loadgen_run_done"] == 1 and s['loadgen_verdict{status="pass"}'] == 1
        out, err = p.communicate(timeout=60)
    finally:
        stop_process(p)  # only if a check above failed while it ran
    assert p.returncode == 0, err
    run = json.loads((d / "run.json").read_text())
    for k in ("published", "confirmed", "consumed", "reconnects", "nacked"):
        assert s[f"loadgen_{k}_total"] == run["totals"][k], k
    buckets = [(float(m.group(1)) if m.group(1) != "+Inf" else float("inf"), v)
               for key, v in s.items() if (m := re.match(r'loadgen_e2e_latency_seconds_bucket\{le="([^"]+)"\}', key))]
    buckets.sort()
    assert [v for _, v in buckets] == sorted(v for _, v in buckets)  # cumulative
    assert buckets[-1][1] == s["loadgen_e2e_latency_seconds_count"] == run["totals"]["consumed"]
    res = run["broker_resources"]
    assert len(res) >= 6
    assert any(x["connections"] is not None and x["connections"] >= 2 for x in res), res
    assert all(x["alarms"] == [] for x in res if "alarms" in x)
    assert all(x["ready"] is not None and x["consumers"] == 1 for x in res[:-1]), res
    assert "id='broker-resources'" in (d / "report.html").read_text()
    # a wrong password is said, and sampling goes on without the API
    r = run_loadgen("bench", "--uri", mgmt_node.uri, "--management", mgmt_url(mgmt_node).replace("guest@", "nope@"),
                    "--rate", "200", "--duration", "3s", "--quiet", "--no-report", "--json", tmp_path / "r.json")
    assert r.returncode == 0 and "HTTP 401" in r.stderr, r.stderr
    res = json.loads((tmp_path / "r.json").read_text())["broker_resources"]
    assert all(x["connections"] is None and x["ready"] is not None for x in res)


def test_embedded_node_resources_from_proc(mgmt_node, tmp_path):
    """The embedded node's beam process: CPU and RSS from /proc; with
    --no-broker-stats nothing is sampled."""
    out = tmp_path / "r.json"
    r = run_loadgen("bench", "--rate", "1000", "--duration", "4s", "--quiet", "--no-report", "--json", out,
                    timeout=180)
    assert r.returncode == 0, r.stderr
    res = json.loads(out.read_text())["broker_resources"]
    assert len(res) >= 3
    assert all(x["cpu_pct"] is not None and 0 < x["cpu_pct"] < 250 for x in res), res
    assert all(x["rss_mb"] > 50 for x in res)
    r = run_loadgen("bench", "--uri", mgmt_node.uri, "--rate", "1000", "--duration", "2s", "--quiet", "--no-report",
                    "--no-broker-stats", "--json", out, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "broker_resources" not in json.loads(out.read_text())
