"""Verdict truth (issue 9): each test reproduces a false alarm or a false pass
that loadgen once gave, against a real broker, and checks the fixed verdict.
Every one failed before its fix (the closing note quotes the old numbers)."""
import json

import pytest

from conftest import run_loadgen, run_scenario as scenario


def bench(uri, tmp, *args, expect=0, timeout=120):
    out = tmp / "b.json"
    r = run_loadgen("bench", "--uri", uri, "--quiet", "--no-report", "--json", out, *args,
                    timeout=timeout)
    assert r.returncode == expect, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return json.loads(out.read_text()), r


def gates(j):
    return {g["gate"]: g for g in j["verdict"]["gates"]}


def test_heartbeat_1s_idle_consumer_is_not_dead(broker, tmp_path):
    """rabbitmq-c swallows heartbeat frames: an auto-ack consumer working
    through its buffered backlog got nothing but heartbeats for 2 s and was
    dropped as dead (2 reconnects, ~400 'lost'). No fault here at all."""
    j, _ = bench(broker.uri, tmp_path, "--rate", "400", "--duration", "6s", "--auto-ack",
                 "--consumer-delay", "4ms", "--durable", "--persistent", "--heartbeat", "1",
                 "--queue", "v-heartbeat")
    assert j["errors"]["heartbeat_timeouts"] == 0 and j["errors"]["reconnects"] == 0
    assert j["totals"]["lost"] == 0 and j["totals"]["unique"] == 2400


RESTART_THEN_DISCONNECT = """
name: restart-then-disconnect
topology: {queue: v-rd, durable: true}
load: {producers: 1, consumers: 1, rate: 400, duration: 16s, persistent: true, confirm: 128,
       consumer_delay: 3ms, prefetch: 50, drain_timeout: 40s,
       fail_rate: 0.01, fail_action: retry, max_retries: 1, retry_delay: 200ms}
faults:
  - {at: 2s, action: restart}
  - {at: 3s, action: exec, command: "true"}
  - {at: 14s, action: disconnect}
expect: {lost: 0, dead_lettered: {max: 1000}}
"""


def test_restart_then_disconnect_during_a_backlog(tmp_path):
    """A restarted beam inherited the proxy's listening socket: the later
    disconnect failed with EADDRINUSE, clients never came back and the
    backlog was reported lost. Also: the setup connection died with the
    restart (dead_letter_queue null), and a step planned during the restart
    drifted without a word."""
    j, r = scenario(tmp_path, RESTART_THEN_DISCONNECT, expect=0)
    assert all(f["ok"] for f in j["faults"]), j["faults"]
    assert j["totals"]["lost"] == 0
    # The restart hit both connections. The disconnect (14 s) hits those back
    # by then: a restart that took 11 s in one CI run left both in their
    # backoff, so it hit none (2 reconnects, not 4). The bug was the
    # disconnect failing (EADDRINUSE) and nothing coming back: the faults'
    # ok and lost == 0 above say that.
    assert j["errors"]["reconnects"] >= 2
    # The setup connection was reopened after the restart.
    assert j["totals"]["dead_letter_queue"] is not None
    assert j["totals"]["dead_letter_queue"] == j["totals"]["dead_lettered"]
    # The exec planned at 3 s waited for the restart: drift recorded and said.
    ex = [f for f in j["faults"] if f["action"] == "exec"][0]
    assert ex["drift_s"] > 1 and "started" in r.stderr and "late" in r.stderr
    assert "drift" in (tmp_path / "run" / "report.html").read_text()


DISCONNECT_STORM = """
name: disconnect-storm-multi-ack
topology: {queue: v-storm, durable: true}
load: {producers: 1, consumers: 1, rate: 500, duration: 10s, persistent: true, confirm: 128,
       consumer_delay: 2ms, prefetch: 200, multi_ack: 100, idempotent: true}
faults:
  - {at: 2s, action: disconnect}
  - {at: 3s, action: disconnect}
  - {at: 4s, action: disconnect}
  - {at: 5s, action: disconnect}
  - {at: 6s, action: disconnect}
  - {at: 7s, action: disconnect}
  - {at: 8s, action: disconnect}
expect: {lost: 0, duplicate_effects: 0}
"""


def test_drain_waits_for_distinct_messages_not_copies(broker, tmp_path):
    """The drain stopped when consumed (copies included) reached published:
    as many messages as there were duplicates stayed queued and were
    reported lost (~330)."""
    j, _ = scenario(tmp_path, DISCONNECT_STORM, "--uri", broker.uri, expect=0)
    t = j["totals"]
    assert t["duplicates_total"] > 0  # the storm really made copies
    assert t["lost"] == 0 and t["unique"] == t["confirmed"] == 5000
    assert j["drain"]["ended"] == "complete" and j["drain"]["still_queued"] == 0


DISCONNECTS_TWO_THREADS = """
name: disconnects-two-threads
topology: {queue: v-two, durable: true}
load: {producers: 1, consumers: 2, threads: 2, rate: 500, duration: 8s, persistent: true,
       confirm: 128, consumer_delay: 2ms, prefetch: 100, multi_ack: 50}
faults:
  - {at: 2s, action: disconnect}
  - {at: 4s, action: disconnect}
  - {at: 6s, action: disconnect}
expect: {lost: 0, unexplained_duplicates: 0}
"""


def test_redelivery_on_another_thread_is_explained(broker, tmp_path):
    """A redelivered copy handled on another thread than the first copy was
    always 'unexplained'. Consumers hold up to 49 processed, unacked
    messages each when their connections drop; the broker redelivers them to
    whichever consumer is back first. (First found with a broker stop, which
    left only ~5 redeliveries and sometimes none on another thread; three
    disconnects give 11-14 on another thread here, old and new builds alike:
    the floor is that the case happened, not how often.)"""
    j, _ = scenario(tmp_path, DISCONNECTS_TWO_THREADS, "--uri", broker.uri, expect=0)
    t = j["totals"]
    assert t["duplicates_cross_thread"] >= 3, t  # the case under test happened
    assert t["duplicates_unexplained"] == 0 and t["lost"] == 0
    assert t["duplicates_explained"] == t["duplicates_total"] > 0


def test_check_refuses_a_gate_that_cannot_be_computed(tmp_path):
    f = tmp_path / "x.yaml"
    # lost is computable behind any exchange the routing model holds (256 queues)
    f.write_text("name: x\ntopology: {exchange: ex, queue: q, queues: 300}\nload: {duration: 5s}\n"
                 "expect:\n  lost: 0\n")
    r = run_loadgen("run", "--check", f)
    assert r.returncode == 2
    assert f"{f}:5:3: expect.lost: cannot be computed for this load: more queues" in r.stderr, r.stderr
    f.write_text("name: x\ntopology: {exchange: ex, queue: q, queues: 3}\nload: {duration: 5s}\n"
                 "expect:\n  lost: 0\n")
    assert run_loadgen("run", "--check", f).returncode == 0
    f.write_text("name: x\nload: {duration: 5s, no_confirm: true}\nexpect:\n  lost: 0\n")
    r = run_loadgen("run", "--check", f)
    assert r.returncode == 2 and "expect.lost: cannot be computed for this load: needs publisher confirms" in r.stderr
    f.write_text("name: x\nload: {duration: 5s, consumers: 0}\nexpect:\n  lost: 0\n")
    r = run_loadgen("run", "--check", f)
    assert r.returncode == 2 and f"{f}:4:3: expect.lost: cannot be computed for this load: needs consumers" in r.stderr
    f.write_text("name: x\nload: {duration: 5s, no_confirm: true}\nexpect:\n  confirm_p99: 10ms\n")
    r = run_loadgen("run", "--check", f)
    assert r.returncode == 2 and f"{f}:4:3: expect.confirm_p99: cannot be computed" in r.stderr


@pytest.mark.parametrize("toxic,needle", [
    ("{type: latencyy, attributes: {latency: 100}}", "unknown toxic type latencyy"),
    ("{type: latency, attributes: {latency: -5}}", "attribute latency must be a non-negative integer"),
    ("{type: latency, attributes: {latenc: 5}}", "toxic latency has no attribute latenc"),
    ("{type: latency, toxicity: 2}", "toxicity must be a number from 0 to 1"),
])
def test_check_refuses_bad_toxics(tmp_path, toxic, needle):
    f = tmp_path / "t.yaml"
    f.write_text(f"name: t\nload: {{duration: 5s}}\nfaults:\n  - {{at: 1s, action: toxic, toxic: {toxic}}}\n")
    r = run_loadgen("run", "--check", f)
    assert r.returncode == 2 and f"{f}:4:" in r.stderr and needle in r.stderr, r.stderr


def test_a_fault_that_failed_fails_the_verdict(broker, tmp_path):
    text = """
name: failing-exec
topology: {queue: v-exec}
load: {rate: 200, duration: 3s}
faults:
  - {at: 1s, action: exec, command: "exit 3"}
expect: {lost: 0}
"""
    j, r = scenario(tmp_path, text, "--uri", broker.uri, expect=1)
    g = gates(j)
    assert g["lost"]["pass"] is True  # the load itself was fine
    assert g["faults_failed"]["pass"] is False and g["faults_failed"]["actual"] == 1
    assert j["verdict"]["status"] == "fail"
    assert "faults: exec at 1.0" in r.stdout and "exited with status 3" in r.stdout
    junit = (tmp_path / "run" / "junit.xml").read_text()
    assert 'name="faults_failed"' in junit and "<failure" in junit


def test_a_failed_broker_action_fails_the_verdict(tmp_path):
    text = """
name: kill-twice
topology: {queue: v-kill2, durable: true}
load: {rate: 200, duration: 6s, persistent: true}
faults:
  - {at: 1s, action: kill}
  - {at: 2s, action: kill}
  - {at: 3s, action: start}
expect: {lost: 0}
"""
    j, r = scenario(tmp_path, text, expect=1)
    failed = [f for f in j["faults"] if not f["ok"]]
    assert [f["action"] for f in failed] == ["kill"] and "not running" in failed[0]["error"]
    assert gates(j)["lost"]["pass"] is True and gates(j)["faults_failed"]["pass"] is False


def test_drain_that_gives_up_leaves_the_rest_to_the_final_read(broker, tmp_path):
    """A slow consumer and a 2 s drain: most messages are still queued when
    the drain gives up. They are not lost: once an INCOMPLETE verdict (exit
    4, "drain incomplete, N still queued"), now the final read takes them
    from the queue and the verdict is a PASS with every one found."""
    text = """
name: slow-drain
topology: {queue: v-slow, durable: true}
load: {rate: 500, duration: 3s, consumer_delay: 20ms, prefetch: 1, drain_timeout: 2s, persistent: true}
expect: {lost: 0}
"""
    j, r = scenario(tmp_path, text, "--uri", broker.uri, expect=0)
    assert j["drain"]["ended"] == "timeout" and j["drain"]["still_queued"] > 500
    fr = j["final_read"]
    assert fr["complete"] is True and fr["found_at_end"] == j["totals"]["found_at_end"] > 500
    assert j["totals"]["lost"] == 0 and j["totals"]["unique"] == j["totals"]["confirmed"]
    assert j["verdict"]["status"] == "pass" and "final read: " in r.stdout


def test_nacks_are_republished_with_backoff(broker, tmp_path):
    """reject-publish and a full queue: ~780,000 nack/republish cycles for
    4,000 messages before the backoff; the run must still deliver them all."""
    j, _ = bench(broker.uri, tmp_path, "--rate", "1000", "--messages", "4000", "--consumer-delay", "2ms",
                 "--prefetch", "10", "--durable", "--persistent", "--queue", "v-reject",
                 "--queue-arg", "x-max-length=100", "--queue-arg", "x-overflow=reject-publish")
    t = j["totals"]
    assert t["nacked"] > 0  # the queue really refused
    assert t["nacked"] < 100_000, t["nacked"]
    assert t["unique"] == t["confirmed"] == 4000 and t["lost"] == 0


def test_bench_that_delivered_nothing_exits_1(broker, tmp_path):
    """5,000 + 5,000 connections once delivered nothing and exited 0. Here a
    handler that never finishes: 400 published, nothing consumed."""
    j, r = bench(broker.uri, tmp_path, "--rate", "200", "--duration", "2s", "--consumer-delay", "30s",
                 "--prefetch", "1", "--drain-timeout", "1s", "--queue", "v-nothing", expect=1)
    assert "bench FAILED: the consumers received nothing" in r.stderr
    assert j["health"]["pass"] is False
    ok, _ = bench(broker.uri, tmp_path, "--rate", "200", "--duration", "2s", "--queue", "v-fine")
    assert ok["health"] == {"pass": True, "reasons": []}


RETRY_AFTER_REDELIVERY = """
name: redelivered-then-retried
topology: {queue: v-overtake, durable: true}
load: {rate: 400, duration: 8s, persistent: true, prefetch: 50, fail_rate: 0.5, fail_action: retry,
       retry_delay: 500ms, max_retries: 5}
faults:
  - {at: 0s, action: toxic, toxic: {type: latency, stream: upstream, attributes: {latency: 100}}, for: 7s}
  - {at: 2s, action: disconnect}
  - {at: 4s, action: disconnect}
  - {at: 6s, action: disconnect}
expect: {lost: 0, unexplained_duplicates: 0}
"""


def test_a_redelivery_that_failed_into_the_retry_queue_stays_explained(broker, tmp_path):
    """Processed, ack lost in a disconnect, redelivered (flag set), failed by
    the handler into the retry queue, back without the flag (a dead-letter
    hop drops it): the copy was counted unexplained (34-39 per run, seen
    first in the soak). Also: a republish that overtakes its original."""
    j, _ = scenario(tmp_path, RETRY_AFTER_REDELIVERY, "--uri", broker.uri, expect=0)
    t = j["totals"]
    assert t["duplicates_total"] > 10 and t["republished"] > 10  # the case really happened
    assert t["duplicates_unexplained"] == 0 and t["lost"] == 0
