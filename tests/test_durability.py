"""Durability under a real kill -9 of the broker: the retrying client loses
nothing confirmed; the unsafe configurations are caught losing messages."""
import json
import subprocess
import time

from conftest import LOADGEN, SCRATCH, scratch_env, stop_process


def run_with_kill(node, tmp_path, *extra, expect=0):
    out = tmp_path / "r.json"
    p = subprocess.Popen([LOADGEN, "bench", "--uri", node.uri, "--quiet", "--rate", "1000",
                          "--duration", "6s", "--consumer-delay", "2ms", "--prefetch", "20",
                          "--durable", "--drain-timeout", "30s", "--queue", "dq", "--json", out, "--no-report",
                          *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         cwd=SCRATCH, env=scratch_env())
    try:
        time.sleep(3)
        node.action("kill")       # a real SIGKILL of beam.smp, with a backlog in the queue
        node.action("restart")    # same data dir: durable queues come back
        _, err = p.communicate(timeout=120)
    finally:
        stop_process(p)
    assert p.returncode == expect, err
    j = json.loads(out.read_text())
    # A bench that lost confirmed messages fails (exit 1), and says how many.
    if expect == 1:
        assert f"bench FAILED: {j['totals']['lost']} confirmed messages lost" in err, err
        assert j["verdict"]["status"] == "fail"
    return j


def test_kill9_persistent_confirmed_messages_survive(own_broker, tmp_path):
    j = run_with_kill(own_broker, tmp_path, "--persistent")
    print(json.dumps(j["totals"]), json.dumps(j["errors"]))
    t, e = j["totals"], j["errors"]
    assert e["reconnects"] >= 2, e           # producer and consumer both came back
    assert t["lost"] == 0, t                 # durability: nothing confirmed was lost
    # 3 s at 1,000/s before the kill, then the rest after the restart: every
    # publish confirmed in the end, and each one consumed.
    assert t["published"] >= 2900 and t["confirmed"] == t["published"]
    assert t["unique"] == t["confirmed"] + t["recovered"]


def test_kill9_transient_messages_are_caught_lost(own_broker, tmp_path):
    # The unsafe control: same run, delivery mode 1. The broker confirms them
    # from memory, and the kill takes the backlog with it.
    j = run_with_kill(own_broker, tmp_path, expect=1)
    t = j["totals"]
    assert t["lost"] > 100, t
    # Each confirmed message was either consumed or lost, never both.
    assert t["lost"] + t["unique"] == t["confirmed"] + t["recovered"], t
