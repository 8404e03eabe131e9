"""Every shipped scenario against a real broker (a private embedded node for
those that act on the node itself, the session's node for the rest),
verdict and key numbers from the JSON; malformed scenario files give
file:line:col errors."""
import json
import os
import random
import re
from pathlib import Path

import pytest

from conftest import ROOT, run_loadgen

SCEN = ROOT / "scenarios"


# Scenarios that act on the broker itself (or set policies, which needs
# rabbitmqctl on the embedded node) boot their own node; the rest run on the
# session's broker and save a boot each.
# Service scenarios too: the user's queues (orders, receipts) are not the
# run's to delete, so each gets a node of its own.
NEEDS_OWN_NODE = re.compile(r"action: (kill|stop|start|restart|pause|resume)\b|^  policies:|^services:", re.M)


def run(name, tmp_path, broker=None):
    out = tmp_path / f"{name}.json"
    text = (SCEN / f"{name}.yaml").read_text()
    uri = [] if broker is None or NEEDS_OWN_NODE.search(text) else ["--uri", broker.uri]
    r = run_loadgen("run", SCEN / f"{name}.yaml", "--json", out, *uri, timeout=240)
    j = json.loads(out.read_text())
    gates = {g["gate"]: g for g in j["verdict"]["gates"]}
    return r, j, gates


SAFE = ["kill-durable-classic", "kill-durable-quorum", "proxy-reset-blackhole", "restart-ordering",
        "idempotent-redelivery", "retry-dead-letter", "fanout-kill", "topic-kill", "headers-routing",
        "dead-letter-chain", "fanout-consumer-crash", "service-order-worker", "service-order-worker-link",
        "service-order-worker-broker-kill", "service-celery-acks-late", "service-api-bus-down",
        "service-api-confirm-503", "service-api-broker-kill"]


# The flagship claims run in the default suite, the README's test command
# and CI: kill -9 of a durable classic and a quorum queue's node loses no
# confirmed message, and every kill-based unsafe control (transient,
# non-durable, fan-out non-durable, auto-ack) is caught. Runs that repeat
# what a faster default test covers go to `make test-extra` (and `make
# soak`, 5 times each): fanout-kill and topic-kill are kills of durable
# queues behind an exchange (fanout-consumer-crash, headers-routing and
# test_routing cover the routing); proxy-reset-blackhole's toxics are
# test_faults' and test_proxy's (reset_peer under a lost gate, a blackhole
# detected by heartbeat); and three cluster scenarios (test_cluster and the
# two cluster scenarios below cover partitions, loss and a node kill).
EXTRA = {"proxy-reset-blackhole", "topic-kill", "fanout-kill", "cluster-quorum-leader-kill",
         "service-order-worker-broker-kill", "unsafe-service-auto-ack", "unsafe-service-no-confirm",
         "unsafe-service-celery-default", "service-api-broker-kill",
         "cluster-quorum-loss", "cluster-stream-follower-kill"}


def marked(names):
    """Each name (or (name, gate)) as a pytest param, `extra` if in EXTRA."""
    out = []
    for n in names:
        key = n[0] if isinstance(n, tuple) else n
        out.append(pytest.param(*(n if isinstance(n, tuple) else (n,)), marks=[pytest.mark.extra] if key in EXTRA else []))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", marked(SAFE))
def test_safe_scenarios_pass(name, tmp_path, broker):
    r, j, gates = run(name, tmp_path, broker)
    assert r.returncode == 0, r.stdout + r.stderr
    assert j["verdict"]["pass"] is True
    if name.startswith("service-api-"):  # the user's API: every accepted request is one event
        e, h = j["effects"], j["http"]
        assert h["sent"] >= 1000 and e["inputs"] == h["sent"] and e["confirmed"] == h["ok"]
        # a request answered 503 whose publish reached the broker all the
        # same (its confirm came after the API's 1 s timeout, around the
        # outage) is an event without a 2xx: counted apart, never lost or
        # unexpected (docs/services.md); one in 1,202 in a CI run
        apart = e.get("rejected_then_published", 0)
        assert apart == e.get("unconfirmed_effects", 0) and apart <= h["sent"] // 100, e
        assert e["matched"] == e["confirmed"] + apart and e["lost"] == e["duplicates"] == e["unexpected"] == 0
        if name == "service-api-confirm-503":  # it refused while the bus was down, and said so
            assert 0.1 < h["error_share"] < 0.6 and h["status"]["5xx"] > 0
        else:  # the outbox accepted everything, the events came after the outage
            assert h["ok"] == h["sent"] and e["p99_ms"] > 1000
        assert all(f["ok"] for f in j["faults"]), j["faults"]
        return
    if name.startswith("service-"):  # the user's service: judged by its effects
        e = j["effects"]
        assert e["confirmed"] == e["inputs"] >= 360 and e["lost"] == e["duplicates"] == e["pending"] == 0
        assert e["matched"] + e["parked"] == e["confirmed"]
        assert e["parked"] > 0 or "celery" in name  # the order worker's declined cards are parked
        assert all(f["ok"] for f in j["faults"]), j["faults"]
        return
    t = j["totals"]
    # Every publish confirmed in the end (republished if need be), and every
    # confirmed message came out: consumed, or parked by a handler.
    assert t["lost"] == 0 and t["published"] >= 1000 and t["confirmed"] == t["published"]
    # every message out of every queue its route reaches: one here, three on
    # the fan-out, one or two by key on the topic exchange
    if name == "topic-kill":
        assert t["confirmed"] < t["unique"] < 2 * t["confirmed"] and t["misrouted"] == t["unroutable"] == 0
    elif name == "headers-routing":
        # weights 2:1:1 over header sets reaching 2, 2 and 3 queues: 2.25 per message
        assert 2.1 * t["confirmed"] < t["unique"] < 2.4 * t["confirmed"] and t["misrouted"] == 0
    elif name == "dead-letter-chain":
        # each message processed once: in dlc-work, or down its chain
        assert t["unique"] == t["confirmed"] and t["dead_lettered"] > 500
        assert t["dead_lettered"] == t["dead_letter_rejected"] + t["dead_letter_expired"]
        assert t["dead_letter_rejected"] > 0 and t["dead_letter_expired"] > 0
    else:
        fanout = 3 if name in ("fanout-kill", "fanout-consumer-crash") else 1
        assert t["unique"] == fanout * (t["confirmed"] + t["recovered"])
    assert t["duplicates_unexplained"] == 0
    assert all(f["ok"] for f in j["faults"]), j["faults"]
    if name == "fanout-consumer-crash":
        assert j["errors"]["connection_errors"] == 1 and j["errors"]["reconnects"] == 1  # one consumer, once
    if name.startswith("kill"):
        assert j["errors"]["reconnects"] >= 2  # both clients really lost the broker
    if name == "kill-durable-classic":
        # the kill (4 s) .. restart (5 s) .. boot: seconds without a confirm, measured
        assert 2 <= j["availability"]["longest_no_confirm_s"] <= 15
    if name == "restart-ordering":
        assert t["out_of_order"] == 0
    if name == "idempotent-redelivery":
        assert t["redelivered"] > 0 and t["duplicate_effects"] == 0  # redeliveries happened
    if name == "retry-dead-letter":
        # Every message ends processed or parked, and the broker's dead-letter
        # queue holds exactly what the handlers parked.
        assert t["handler_failures"] > 500 and t["dead_lettered"] > 0
        assert t["dead_lettered"] == t["dead_letter_queue"]
        assert t["unique"] == t["confirmed"] == t["consumed"] + t["dead_lettered"]


# Shipped unsafe scenarios and the one gate each must fail (tests/soak reuses it).
UNSAFE = [
    ("unsafe-transient-kill", "lost"),
    ("unsafe-nondurable-kill", "lost"),
    ("unsafe-autoack-disconnect", "lost"),
    ("unsafe-no-republish", "consumed"),
    ("latency-spike", "e2e_p99"),
    ("unsafe-no-dedup-redelivery", "duplicate_effects"),
    ("unsafe-reject-no-dlx", "lost"),
    ("unsafe-competing-requeue", "order_violations"),
    ("unsafe-fanout-nondurable-kill", "lost"),
    ("unsafe-unbind", "lost"),
    ("unsafe-dlx-unbound", "lost"),
    ("unsafe-autoack-crash", "lost"),
    ("unsafe-priority-ordering", "order_violations"),
    # the example order worker's bugs (examples/services/order_worker.py)
    ("unsafe-service-ack-first", "lost_effects"),
    ("unsafe-service-auto-ack", "lost_effects"),
    ("unsafe-service-no-dedup", "duplicate_effects"),
    ("unsafe-service-no-confirm", "lost_effects"),
    # the example order API's (examples/services/order_api.py)
    ("unsafe-api-fire-and-forget", "lost_events"),
    ("unsafe-service-retry-forever", "effect_p99"),
    ("unsafe-service-celery-default", "lost_effects"),
]


@pytest.mark.slow
@pytest.mark.parametrize("name,gate", marked(UNSAFE))
def test_unsafe_scenarios_are_caught(name, gate, tmp_path, broker):
    r, j, gates = run(name, tmp_path, broker)
    assert r.returncode == 1, r.stdout + r.stderr
    assert j["verdict"]["pass"] is False
    assert gates[gate]["pass"] is False
    failed = {g for g, v in gates.items() if v["status"] == "fail"}
    assert failed == {gate}, failed  # caught in the right category only
    if gate == "lost":
        assert j["totals"]["lost"] > 100
    if name == "unsafe-no-republish":
        assert j["totals"]["lost"] == 0 and j["totals"]["republished"] == 0
        assert j["totals"]["unique"] < 6000 and j["totals"]["indeterminate"] > 0
    if name == "unsafe-no-dedup-redelivery":
        assert j["totals"]["duplicate_effects"] > 0 and j["totals"]["duplicates_unexplained"] == 0
    if name in ("unsafe-reject-no-dlx", "unsafe-dlx-unbound"):
        assert j["totals"]["lost"] == j["totals"]["handler_failures"]  # each reject lost one
    if name == "unsafe-competing-requeue":
        assert j["totals"]["out_of_order"] > 10 and j["totals"]["lost"] == 0
    if name == "latency-spike":
        assert gates["e2e_p99"]["actual"] >= 200
    if name == "unsafe-service-retry-forever":
        # every 25th order declined forever: still queued at the end, never lost
        e = j["effects"]
        assert e["pending"] == e["inputs"] // 25 and e["lost"] == 0 and gates["lost_effects"]["status"] == "unknown"
    if name == "unsafe-service-no-dedup":
        assert j["effects"]["lost"] == 0 and j["effects"]["extra_copies"] >= j["effects"]["duplicates"] > 0
    if name == "unsafe-priority-ordering":
        # one consumer, per-consumer ordering (the default), nothing
        # redelivered or republished to excuse it: the priorities did it
        t = j["totals"]
        assert t["out_of_order"] > 10 and t["lost"] == 0 and t["redelivered"] == 0 and t["republished"] == 0
        assert j["config"]["ordering"] == "consumer"


def test_the_same_routes_without_x_max_priority_keep_order(tmp_path, broker):
    """The safe twin of unsafe-priority-ordering: without x-max-priority the
    queue ignores the priorities and one consumer sees each producer in order."""
    text = (SCEN / "unsafe-priority-ordering.yaml").read_text()
    text = text.replace("arguments: {x-max-priority: 10}", "arguments: {}").replace("prio-orders", "prio-plain")
    f = tmp_path / "safe.yaml"
    f.write_text(text.replace("name: unsafe-priority-ordering", "name: priority-ignored"))
    out = tmp_path / "safe.json"
    r = run_loadgen("run", f, "--json", out, "--uri", broker.uri, timeout=120)
    j = json.loads(out.read_text())
    assert r.returncode == 0, r.stdout + r.stderr
    assert j["totals"]["out_of_order"] == 0 and j["totals"]["lost"] == 0 and j["totals"]["unique"] == 1500


# On a 3-node cluster in network namespaces (root): each boots its own.
CLUSTER = [
    ("cluster-quorum-leader-kill", None),
    ("cluster-quorum-minority-partition", None),
    ("cluster-quorum-loss", None),
    ("cluster-stream-follower-kill", None),
    ("unsafe-cluster-classic-node-kill", "lost"),
    ("unsafe-cluster-classic-partition", "lost"),
]


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")
@pytest.mark.parametrize("name,gate", marked(CLUSTER))
def test_cluster_scenarios(name, gate, tmp_path):
    r, j, gates = run(name, tmp_path)
    t, faults = j["totals"], j["faults"]
    assert all(f["ok"] for f in faults), faults  # every fault applied and verified
    assert j["config"]["nodes"] == 3 and t["published"] >= 8000
    # the cluster's own view was sampled: every node up at the start
    assert re.match(r"n1=up:n1,n2,n3:\S* n2=up:n1,n2,n3:\S* n3=up:n1,n2,n3:", j["cluster_view"][0]["view"]), j["cluster_view"]
    if gate:
        assert r.returncode == 1, r.stdout + r.stderr
        assert {g for g, v in gates.items() if not v["pass"]} == {gate}
        # what was routed to n1's queue while n1 was away (killed, or cut off
        # and noticed): confirmed, then dropped; a hole, not a tail
        assert t["confirmed"] == t["published"] and t["lost"] > 2000 and 0 < t["lost_at_most"] == t["lost"]
        # ... unless n1 never served again before the load ended: RabbitMQ
        # 3.10 sometimes leaves a node that pause_minority stopped in its
        # boot (measured: 1 CI run in 4), the end-of-run heal restarts it, and
        # everything routed to it after the cut is a tail. Its end read still
        # found what n1 had kept, so the count is read, not guessed.
        restarted = [f for f in faults if f["action"] == "heal" and "restarted" in f["detail"]]
        if restarted:
            assert j["final_read"]["complete"] and j["final_read"]["found_at_end"] > 0, j["final_read"]
        else:
            assert t["gaps"] == t["lost"], (t, faults)
        return
    assert r.returncode == 0, r.stdout + r.stderr
    assert t["lost"] == 0 and t["confirmed"] == t["published"] and t["duplicates_unexplained"] == 0
    assert t["unique"] == t["confirmed"] + t["recovered"]
    first = faults[0]
    assert re.fullmatch(r"n[123]", first["target"]) or " / " in first["target"], first
    if "partition" in name:
        assert first["detail"].startswith("verified:") and j["errors"]["reconnects"] >= 1
        # the broker's own view: during the cut the majority stops listing
        # the isolated node (net_ticktime 5: noticed about 7 s after the cut)
        cut = faults[0]["target"].split(" / ")[-1] if " / " in faults[0]["target"] else faults[0]["target"]
        peers = [f"n{k}" for k in (1, 2, 3) if f"n{k}" != cut]
        during = [v["view"] for v in j["cluster_view"] if 6 < v["t"] < 20]
        assert any(re.search(rf"{peers[0]}=up:(?![^ ]*{cut})", v) for v in during), j["cluster_view"]
    if "loss" in name:
        m = re.search(r"measured loss ([0-9.]+)% of (\d+) packets", faults[1]["detail"])
        assert m and int(m.group(2)) >= 1000 and 6 <= float(m.group(1)) <= 14, faults[1]
    if "leader-kill" in name:
        assert j["errors"]["reconnects"] >= 1
        # the broker's view: the killed node down, then a new leader
        views = [v["view"] for v in j["cluster_view"]]
        assert any(f"{first['target']}=down" in v for v in views), views
    if "stream" in name:
        assert t["duplicates"] == 0 and j["errors"]["reconnects"] >= 1  # the consumer moved on, from its offset


CONFIRM_TIMEOUT = """\
name: confirm-timeout
description: the broker's answers come 2.5 s late for 3 s; heartbeats (10 s) do not
  notice, the 1 s confirm timeout does
topology: {queue: confirm-timeout-q, durable: true}
load: {rate: 300, duration: 8s, persistent: true, heartbeat: 10, confirm_timeout: 1s,
       connect_timeout: 2s}
faults:
  - {at: 2s, action: toxic, for: 3s, toxic: {type: latency, stream: downstream, attributes: {latency: 2500}}}
expect:
  lost: 0
  unexplained_duplicates: 0
  unavailable: {max: 10s}
"""


def test_confirm_timeout_drops_the_connection_and_republishes(broker, tmp_path):
    f = tmp_path / "ct.yaml"
    f.write_text(CONFIRM_TIMEOUT)
    out = tmp_path / "ct.json"
    r = run_loadgen("run", f, "--uri", broker.uri, "--json", out, "--no-report", timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    j = json.loads(out.read_text())
    t, e = j["totals"], j["errors"]
    assert e["confirm_timeouts"] >= 1 and e["heartbeat_timeouts"] == 0
    assert t["indeterminate"] > 0 and t["republished"] > 0
    assert t["lost"] == 0 and t["unique"] == 2400
    av = j["availability"]
    assert av["longest_no_confirm_s"] >= 1 and av["longest_no_confirm_s"] <= 10
    assert av["faults"][0]["action"] == "toxic" and av["faults"][0]["recovery_s"] is not None


def test_all_shipped_scenarios_validate():
    files = sorted(SCEN.glob("*.yaml"))
    assert len(files) >= 11
    for f in files:
        r = run_loadgen("run", "--check", f)
        assert r.returncode == 0, f"{f}: {r.stderr}"


BAD = {
    "unknown-key": ("name: x\nload:\n  rate: 10\n  colour: blue\n", ":4:3: load.colour: unknown key"),
    "wrong-type": ("name: x\nload:\n  producers: [1, 2]\n", ":3:14: load.producers: expected a value"),
    "bad-duration": ("name: x\nload:\n  duration: soon\n", ":3:13: load.duration: 'soon' is not a duration"),
    "bad-rate": ("name: x\nload:\n  rate: fast\n", ":3:9: load.rate: 'fast' is not a rate"),
    "at-beyond": ("name: x\nload:\n  duration: 5s\nfaults:\n  - {at: 9s, action: kill}\n",
                  ":5:5: faults[0]: at 9.000s is beyond the run"),
    "unknown-action": ("name: x\nfaults:\n  - at: 1s\n    action: explode\n",
                       ":4:13: faults[0].action: unknown action 'explode'"),
    "bad-gate": ("name: x\nexpect:\n  happiness: 1\n", ":3:3: expect.happiness: unknown gate"),
    "yaml-syntax": ("name: x\nload: {rate: 10\n", ":3:1: YAML:"),
    "no-name": ("load:\n  rate: 10\n", ":1:1: name: a scenario needs a name"),
    "toxic-missing": ("name: x\nfaults:\n  - {at: 1s, action: toxic}\n",
                      ":3:5: faults[0]: action toxic needs"),
    "top-list": ("- a\n- b\n", ":1:1: (top): a scenario is a mapping"),
    "topo-source": ("name: x\ntopology:\n  queues: [{name: q, consumers: 1}]\n  bindings:\n"
                    "    - {source: nope, destination: q}\n  publish: {routes: [{routing_key: q}]}\n",
                    ":5:1: topology: binding: source 'nope' is not in topology.exchanges"),
    "topo-key": ("name: x\ntopology:\n  queues:\n    - {name: q, colour: red}\n",
                 ":4:17: topology.queues[0].colour: unknown key"),
    "topo-xmatch": ("name: x\ntopology:\n  exchanges: [{name: h, type: headers}]\n  queues: [{name: q}]\n"
                    "  bindings:\n    - {source: h, destination: q, arguments: {x-match: some}}\n",
                    ":6:56: topology.bindings[0].arguments: x-match 'some' is not all or any"),
    "topo-mixed": ("name: x\ntopology:\n  queue: a\n  queues: [{name: q}]\n",
                   ":3:3: topology.queue: unknown key with topology lists"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_malformed_scenarios(case, tmp_path):
    text, needle = BAD[case]
    f = tmp_path / f"{case}.yaml"
    f.write_text(text)
    r = run_loadgen("run", f)
    assert r.returncode == 2, r.stderr
    assert f"{f}{needle}" in r.stderr, r.stderr


def test_missing_file():
    r = run_loadgen("run", "/nonexistent/scenario.yaml")
    assert r.returncode == 2 and "/nonexistent/scenario.yaml: cannot open" in r.stderr


def test_mutated_scenarios_never_crash(tmp_path):
    """A small fuzz: byte-level mutations of shipped files only ever give
    ok (0) or a clear error (2), never a signal."""
    rng = random.Random(1234)
    seeds = [p.read_bytes() for p in sorted(SCEN.glob("*.yaml"))]
    f = tmp_path / "m.yaml"
    for i in range(150):
        b = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 8)):
            op = rng.random()
            pos = rng.randrange(len(b))
            if op < 0.4:
                b[pos] = rng.randrange(256)
            elif op < 0.7:
                del b[pos:pos + rng.randint(1, 20)]
            else:
                b[pos:pos] = rng.choice([b":", b"{", b"- ", b"\n  ", b"at: ", b"\xff", b"&a *a"])
        f.write_bytes(bytes(b))
        r = run_loadgen("run", "--check", f, timeout=20)
        assert r.returncode in (0, 2), (i, r.returncode, bytes(b)[:200], r.stderr)
        if r.returncode == 2:
            assert r.stderr.strip(), "an error must say why"
