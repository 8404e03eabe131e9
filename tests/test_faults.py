"""Every fault action and every toxic, measured on real AMQP traffic: the
effect it must have (reconnects, seconds without confirms, added latency, a
throughput cap) and that it is gone once reverted. Effects are compared with
control windows of the same run, with wide margins, never with fixed timings
of a quiet machine. docs/test-matrix.md maps each action and toxic here."""
import json
import math
import subprocess
import time
import urllib.request

import pytest

from conftest import LOADGEN, SCRATCH, run_loadgen, scratch_env, stop_process


def scenario(tmp, text, *args, timeout=300):
    f = tmp / "s.yaml"
    f.write_text(text)
    out = tmp / "s.json"
    r = run_loadgen("run", f, "--json", out, "--report-dir", tmp / "run", *args, timeout=timeout)
    return json.loads(out.read_text()), r


def window(series, t0, t1):
    """The per-second points whose interval starts in [t0, t1)."""
    return [p for p in series if t0 <= p["t"] < t1]


def total(series, t0, t1, key):
    return sum(p[key] for p in window(series, t0, t1))


def median(values):
    v = sorted(values)
    return v[len(v) // 2] if v else None


def p50(series, t0, t1, key="e2e_p50_ms"):
    return median([p[key] for p in window(series, t0, t1) if p["consumed"]])


def first_error(series, after):
    for p in series:
        if p["t"] >= after and (p["connection_errors"] or p["heartbeat_timeouts"]):
            return p["t"]
    return None


# Broker actions on the embedded node, one after another. Steps run in
# order, so a slow boot delays the next step: every window below is taken from
# the steps' actual times in run.json, never from the plan. A boot takes 5-17 s
# here and clients reconnect with a backoff of up to 5 s, so each action is
# planned well after the clients can be back from the previous one.
# Per-second counts are approximate around reconnects (a blocking connect
# delays a thread's interval), so each effect is checked over a window with
# a second of margin at each end.
BROKER_ACTIONS = """\
name: broker-actions
topology: {queue: f-broker, durable: true}
load: {rate: 200, duration: 58s, persistent: true, heartbeat: 2, connect_timeout: 2s}
faults:
  - {at: 2s, action: stop, for: 1s}
  - {at: 26s, action: pause, for: 3s}
  - {at: 31s, action: toxic, for: 6s, toxic: {name: sc, type: slow_close, stream: downstream, attributes: {delay: 3000}}}
  - {at: 32s, action: kill}
  - {at: 33s, action: start}
  - {at: 40s, action: wait, timeout: 20s}
  - {at: 56s, action: pause}
expect:
  lost: 0
  unexplained_duplicates: 0
"""


def began(f):
    return math.floor(f["started_s"])


def ended(f):
    return math.ceil(f["finished_s"])


@pytest.mark.slow
def test_broker_actions_and_their_reverts(tmp_path):
    j, r = scenario(tmp_path, BROKER_ACTIONS)
    assert r.returncode == 0, r.stdout + r.stderr
    s = j["series"]
    steps = [(f["action"], f["revert"]) for f in j["faults"]]
    # Every step ran and worked, `for:` reverts included: stop -> start,
    # pause -> resume, toxic -> untoxic.
    assert all(f["ok"] for f in j["faults"]), j["faults"]
    assert steps == [("stop", False), ("stop", True), ("pause", False), ("pause", True), ("toxic", False),
                     ("kill", False), ("start", False), ("toxic", True), ("wait", False),
                     ("pause", False)], steps
    stop, started, pause, resumed, _, kill, start, _, _, _ = j["faults"]
    trace = [(p["t"], p["confirmed"], p["consumed"], p["connection_errors"], p["heartbeat_timeouts"]) for p in s]
    trace = (trace, [(f["action"], f["started_s"], f["finished_s"]) for f in j["faults"]])
    # stop: the clients see it at once; nothing is confirmed from the end of
    # the stop until the revert's boot has ended (a boot is 5 s or more, so
    # the window is never empty), then the load is back before the pause.
    assert first_error(s, began(stop)) in (began(stop), began(stop) + 1), trace
    down = (ended(stop), math.floor(started["finished_s"]) - 1)
    assert down[1] - down[0] >= 1, trace
    assert total(s, *down, "confirmed") == 0, trace
    back = (ended(started), began(pause))
    assert total(s, *back, "confirmed") > 0 and total(s, *back, "consumed") > 0, trace
    # pause (SIGSTOP) for 3 s: no confirms and no deliveries while paused,
    # both back after the resume, before the kill.
    paused = (began(pause) + 1, math.floor(resumed["started_s"]))
    assert paused[1] - paused[0] >= 1, trace
    assert total(s, *paused, "confirmed") == 0 and total(s, *paused, "consumed") == 0, trace
    assert total(s, ended(resumed), began(kill), "confirmed") > 0, trace
    # kill under slow_close: the killed node's sockets close at once, but the
    # proxy holds the clients' side open 3 s: they notice ~3 s after the kill,
    # not at once as they noticed the stop (and before the 4 s heartbeat
    # timeout would).
    assert first_error(s, began(kill)) in (began(kill) + 2, began(kill) + 3, began(kill) + 4), trace
    # The last pause has no revert: the final heal resumed the node and the
    # drain got everything.
    assert j["drain"]["ended"] == "complete"
    t = j["totals"]
    assert t["lost"] == 0 and t["unique"] == t["confirmed"] == t["published"]
    assert j["errors"]["reconnects"] >= 4  # 2 connections x (stop, kill)
    assert all(a["recovery_s"] is not None for a in j["availability"]["faults"] if a["action"] != "wait"), trace


# The broker forgets both consumers of the queue (their queue drops them with
# no basic.cancel, as a mirrored queue's new master did in issue 27's
# partition): their connections stay open and hear nothing. Only the
# broker's own consumer count, compared each second with the consumers
# loadgen subscribed, shows it.
FORGET = """\
name: forget-consumers
topology: {queue: f-forget, durable: true}
load: {rate: 200, duration: 12s, persistent: true, consumers: 2, threads: 2}
faults:
  - {at: 3s, action: forget-consumers}
expect:
  lost: 0
  unexplained_duplicates: 0
"""


@pytest.mark.slow
def test_consumers_the_broker_forgot_subscribe_again(tmp_path):
    j, r = scenario(tmp_path, FORGET)
    assert r.returncode == 0, r.stdout + r.stderr
    forget = j["faults"][0]
    assert forget["ok"] and forget["action"] == "forget-consumers", j["faults"]
    s, e, t = j["series"], j["errors"], j["totals"]
    trace = [(p["t"], p["consumed"], p["consumers_forgotten"], p["reconnects"]) for p in s], forget
    # Nothing on the wire said so: no cancel (a channel error), no lost
    # connection, no heartbeat timeout. Both were found and subscribed again.
    assert e["consumers_forgotten"] == 2 and e["reconnects"] == 2, (e, trace)
    assert e["channel_errors"] == e["connection_errors"] == e["heartbeat_timeouts"] == 0, e
    # Deliveries stopped after the forget and came back within 2 samples
    # and a reconnect; from then on every second has them, during the run.
    back = ended(forget) + 4
    assert any(p["consumed"] == 0 for p in window(s, began(forget), back)), trace
    assert all(p["consumed"] > 0 for p in window(s, back, 12)), trace
    # Every message consumed by the run's consumers: none was left for the
    # final read to find.
    assert t["lost"] == 0 and t["unique"] == t["confirmed"] == t["published"] == 2400, t
    assert j["final_read"]["found_at_end"] == 0, j["final_read"]


# Toxics on the AMQP link, one window each with a control before it. 1 KB
# messages at 300/s: about 330 KB/s downstream.
TOXICS = """\
name: toxics
topology: {queue: f-toxic, durable: true}
load: {rate: 300, size: 1000, duration: 36s, heartbeat: 2, connect_timeout: 2s, confirm: 1000}
faults:
  - {at: 2s, action: toxic, for: 2s, toxic: {name: down-lat, type: latency, stream: downstream, attributes: {latency: 200}}}
  - {at: 6s, action: toxic, for: 2s, toxic: {name: up-lat, type: latency, stream: upstream, attributes: {latency: 200}}}
  - {at: 10s, action: toxic, for: 2s, toxic: {name: jit, type: latency, stream: downstream, attributes: {latency: 100, jitter: 100}}}
  - {at: 14s, action: toxic, for: 2s, toxic: {name: bw, type: bandwidth, stream: downstream, attributes: {rate: 40}}}
  - {at: 18s, action: toxic, for: 2s, toxic: {name: sl, type: slicer, stream: downstream, attributes: {average_size: 100, size_variation: 50, delay: 2500}}}
  - {at: 22s, action: toxic, for: 2s, toxic: {name: ld, type: limit_data, stream: downstream, attributes: {bytes: 3000}}}
  - {at: 26s, action: toxic, for: 2s, toxic: {name: rp, type: reset_peer, stream: downstream, attributes: {timeout: 300}}}
  - {at: 30s, action: toxic, toxic: {name: never, type: latency, stream: downstream, toxicity: 0.0, attributes: {latency: 300}}}
  - {at: 31s, action: untoxic, name: never}
  - {at: 31500ms, action: down}
  - {at: 32s, action: up}
  - {at: 34s, action: toxic, toxic: {name: healed, type: latency, stream: downstream, attributes: {latency: 300}}}
expect:
  lost: 0
  unexplained_duplicates: 0
  unexpected: 0
"""


@pytest.mark.slow
def test_toxics_on_amqp_traffic(broker, tmp_path):
    j, r = scenario(tmp_path, TOXICS, "--uri", broker.uri)
    assert r.returncode == 0, r.stdout + r.stderr
    assert all(f["ok"] for f in j["faults"]), j["faults"]
    s = j["series"]
    base = p50(s, 1, 2)
    assert base is not None and base < 50, base
    # latency downstream: deliveries and confirms ~200 ms late; gone after the revert.
    assert p50(s, 3, 4) >= 150 and p50(s, 3, 4, "confirm_p50_ms") >= 150
    assert p50(s, 5, 6) < 50
    # latency upstream: publishes reach the broker ~200 ms late.
    assert p50(s, 7, 8) >= 150 and p50(s, 7, 8, "confirm_p50_ms") >= 150
    assert p50(s, 9, 10) < 50
    # jitter: latency between 0 and 200 ms, so the spread is wide.
    w = [p for p in window(s, 11, 12) if p["consumed"]]
    assert w and max(p["e2e_max_ms"] for p in w) >= 150 and p50(s, 11, 12) >= 40
    assert p50(s, 13, 14) < 50
    # bandwidth 40 KB/s caps deliveries far below the offered 300/s, then the backlog drains.
    assert total(s, 15, 16, "consumed") <= 100 and total(s, 13, 14, "consumed") >= 200
    # slicer: 100-byte slices 2.5 ms apart delay each chunk by tens of ms;
    # the data arrives intact (no bad bodies, nothing lost).
    assert p50(s, 19, 20) >= 10 and p50(s, 21, 22) < 5
    for kind in ("bad_foreign", "bad_truncated", "bad_version", "bad_checksum"):
        assert j["totals"][kind] == 0
    # limit_data: every connection is cut after 3,000 bytes, again and again.
    assert total(s, 22, 25, "connection_errors") + total(s, 22, 25, "heartbeat_timeouts") >= 2
    assert total(s, 22, 25, "reconnects") >= 2
    assert total(s, 25, 26, "connection_errors") == 0 and total(s, 25, 26, "consumed") > 0  # removed
    # reset_peer after 300 ms: every connection reset, again and again.
    assert total(s, 26, 29, "reconnects") >= 2
    assert total(s, 29, 30, "connection_errors") == 0 and total(s, 29, 30, "consumed") > 0  # removed
    errors_before = total(s, 16, 22, "connection_errors")
    assert errors_before == 0  # latency, bandwidth and slicer cut nothing
    # toxicity 0: the toxic is there but applies to no connection.
    assert p50(s, 30, 31) < 50
    # down closes every connection and refuses new ones; up lets them back.
    assert total(s, 31, 34, "reconnects") >= 2 and total(s, 33, 34, "consumed") > 0
    # A toxic without `for:` is removed by the final heal: the drain is clean.
    assert j["drain"]["ended"] == "complete" and j["totals"]["lost"] == 0
    assert j["totals"]["unique"] == 36 * 300


def test_a_toxic_updated_under_traffic(broker, tmp_path):
    """Through the API while bench runs: add a latency toxic, raise it, remove it."""
    out = tmp_path / "r.json"
    p = subprocess.Popen([LOADGEN, "bench", "--uri", broker.uri, "--quiet", "--rate", "200",
                          "--duration", "9s", "--proxy-api", "127.0.0.1:0", "--queue", "f-update",
                          "--json", out, "--no-report"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         cwd=SCRATCH, env=scratch_env())
    try:
        api = None
        for line in p.stderr:
            if "API on http://" in line:
                api = line.rsplit("http://", 1)[1].strip()
                break
        assert api

        def call(method, path, body=None):
            req = urllib.request.Request(f"http://{api}{path}", method=method,
                                         data=json.dumps(body).encode() if body else None,
                                         headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status, json.loads(r.read() or b"null")
        t0 = time.monotonic()

        def at(sec):
            time.sleep(max(0, t0 + sec - time.monotonic()))
        at(2)
        code, _ = call("POST", "/proxies/amqp/toxics", {"name": "lat", "type": "latency",
                                                          "stream": "downstream", "attributes": {"latency": 50}})
        assert code == 200
        at(4)
        code, body = call("POST", "/proxies/amqp/toxics/lat", {"attributes": {"latency": 400}})
        assert code == 200 and body["attributes"]["latency"] == 400
        at(6)
        assert call("DELETE", "/proxies/amqp/toxics/lat")[0] == 204
        p.communicate(timeout=60)
    finally:
        stop_process(p)
    assert p.returncode == 0
    s = json.loads(out.read_text())["series"]
    # The run started a moment before the API line; seconds are approximate,
    # so compare the middles of the windows: 50 ms, then 400 ms, then none.
    low, high, after = p50(s, 3, 4), p50(s, 5, 6), p50(s, 8, 9)
    assert 30 <= low < 200, (low, high, after)
    assert high >= 300, (low, high, after)
    assert after < 30, (low, high, after)


def test_scenario_broker_uri(broker, tmp_path):
    """`broker: uri:` in the file: the load goes to that broker (and broker
    actions are refused, since loadgen does not own that node)."""
    text = f"""\
name: external
broker: {{uri: "{broker.uri}"}}
topology: {{queue: f-external}}
load: {{rate: 100, duration: 2s}}
expect: {{lost: 0, consumed: {{min: 200, max: 200}}}}
"""
    j, r = scenario(tmp_path, text)
    assert r.returncode == 0, r.stdout + r.stderr
    assert j["broker"]["mode"] == "external" and j["totals"]["unique"] == 200
    assert j["config"]["uri"].endswith(broker.uri.rsplit("@", 1)[1])
    f = tmp_path / "k.yaml"
    f.write_text(text + "faults:\n  - {at: 1s, action: kill}\n")
    r = run_loadgen("run", f)
    assert r.returncode == 2 and "needs the embedded broker" in r.stderr, r.stderr
