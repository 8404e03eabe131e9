"""The user's own services under test (docs/services.md): loadgen starts
them, feeds them, kills them, and judges the effects they produce. The
shipped service scenarios (the example order worker, safe and unsafe) run
in test_scenarios; here: what run.json and the processes must show, the
effects loadgen must not count as the run's, a service that never gets
ready, a crash loop with restart: on-failure, Ctrl-C and a killed loadgen
leaving no service behind, and the file errors."""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from test_reports import check_schema
from conftest import LOADGEN, ROOT, SCRATCH, pid_alive, run_loadgen, run_scenario, scratch_env, wait_until

WORKER = ROOT / "examples" / "services" / "order_worker.py"
ROGUE = ROOT / "tests" / "services" / "rogue_worker.py"


def scenario(name, queue, command, *, env="", faults="[]", expect="", duration="6s", rate=100, extra="",
             effects=None):
    """A service scenario on queues of its own (the session broker is shared)."""
    return f"""name: {name}
load:
  rate: {rate}
  duration: {duration}
  confirm: 64
  persistent: true
  queue: {queue}
  drain_timeout: 20s
  body: '{{"order_id": "{{id}}", "amount": {{seq}}}}'
services:
  - name: worker
    command: [/usr/bin/python3, {command}]
    instances: 2
    env: {{ORDERS: {queue}, RECEIPTS: {queue}_receipts{env}}}
    ready: {{consumers: {queue}}}
{extra}effects:
  {effects or f"queue: {queue}_receipts"}
  id: {{json: order_id}}
  key: message_id
  pending: {queue}_retry
  parked: {queue}_dlq
faults: {faults}
expect:
  lost_effects: 0
  duplicate_effects: 0
{expect}"""


def gone(j):
    """Every service process the run started has ended."""
    pids = [s["pid"] for svc in j["services"] for i in svc["instances"] for s in i["starts"]]
    return pids and not any(pid_alive(p) for p in pids)


@pytest.mark.slow
def test_a_service_run_reports_every_input_and_process(tmp_path, broker):
    """The correct worker, one instance killed and restarted: every confirmed
    order has one receipt or was parked (declined cards), the kill and the
    restart are in run.json, the logs are in the run directory, nothing of
    the services outlives the run."""
    text = scenario("svc-report", "svc_rep", WORKER, env=", DECLINE_EVERY: '20', RETRY_MS: '200'",
                    faults="\n  - {at: 2s, action: service-kill, service: worker, instance: 1, for: 1s}",
                    expect="  unexpected_effects: 0\n  effect_p99: 10s\n")
    j, r = run_scenario(tmp_path, text, "--uri", broker.uri, expect=0)
    check_schema(j, with_run=True)  # effects and services as docs/report-schema.md has them
    e = j["effects"]
    assert e["confirmed"] == e["inputs"] == 600 and e["lost"] == 0 and e["pending"] == 0
    assert e["parked"] == 30 and e["matched"] == 570  # every 20th declined, parked after 3 tries
    assert e["end_read"]["complete"] and {q["role"] for q in e["end_read"]["queues"]} == {"input", "pending", "parked"}
    assert e["latency"]["corrected"]["count"] == 570 and 0 < e["p99_ms"] < 10000
    assert sum(e["per_second"]) == 570
    w = j["services"][0]
    assert w["name"] == "worker" and w["unexpected_exits"] == 0
    killed = w["instances"][1]
    assert len(killed["starts"]) == 2 and killed["exits"][0]["status"] == "signal 9 (Killed)"
    assert killed["exits"][0]["expected"] and 1.9 < killed["exits"][0]["at_s"] < 3.5
    for i in w["instances"]:
        log = Path(i["log"])
        assert log.parent == tmp_path / "run" / "services" and "consuming svc_rep (correct)" in log.read_text()
        assert i["proxy"].startswith("127.0.0.1:")
    assert gone(j)
    run = tmp_path / "run"
    assert "#[Mean" in (run / "latency-effect.hgrm").read_text() and (run / "latency-effect-uncorrected.hgrm").exists()
    html = (run / "report.html").read_text()
    assert "<h2>Service effects</h2>" in html and "href='services/worker-1.log'" in html and "Effects per second" in html
    assert "<tr><td>600</td><td>600</td><td>570</td><td>0</td>" in html  # inputs, confirmed, matched, lost: not n/a


@pytest.mark.slow
def test_stop_restart_and_pause_act_on_the_instance(tmp_path, broker):
    """service-stop (SIGTERM: the worker exits 0) comes back after for:;
    service-restart is a stop and a start; service-pause freezes the whole
    process group until its revert; nothing lost or paid twice."""
    faults = ("\n  - {at: 1s, action: service-stop, service: worker, instance: 0, for: 1s}"
              "\n  - {at: 3s, action: service-restart, service: worker, instance: 1}"
              "\n  - {at: 4s, action: service-pause, service: worker, instance: all, for: 1s}")
    j, r = run_scenario(tmp_path, scenario("svc-acts", "svc_acts", WORKER, faults=faults, duration="7s"),
                        "--uri", broker.uri, expect=0)
    steps = [(f["action"], f.get("target"), f["ok"]) for f in j["faults"]]
    assert ("service-stop", "worker-0", True) in steps and ("service-restart", "worker-1", True) in steps
    assert ("service-pause", "worker (all 2)", True) in steps
    w0, w1 = j["services"][0]["instances"]
    assert w0["exits"][0]["status"] == "exit 0" and w0["exits"][0]["expected"] and len(w0["starts"]) == 2
    assert 0.9 < w0["exits"][0]["at_s"] < 1.9 and 1.9 < w0["starts"][1]["at_s"] < 3
    assert w1["exits"][0]["status"] == "exit 0" and len(w1["starts"]) == 2
    assert 3 < w1["starts"][1]["at_s"] < 4.5
    # paused 4-5 s (both instances frozen): that second's receipts collapse
    # (those in flight at the SIGSTOP still land), the next one catches up
    per = j["effects"]["per_second"]
    assert per[4] < per[3] / 4 and per[5] > per[3], per
    assert j["effects"]["lost"] == 0 and j["effects"]["duplicates"] == 0
    assert gone(j)


@pytest.mark.slow
@pytest.mark.parametrize("variant,lost", [("correct", False), ("ack-first", True)])
def test_effects_read_from_the_services_database(variant, lost, tmp_path, broker):
    """effects: {sqlite: ...}: the worker's own table of paid orders, read
    once the services stopped. The correct worker's table names every
    order after a kill; the one that acks first misses the orders it held."""
    db = 'sqlite: {file: "orders-{run}.db", query: "SELECT order_id FROM paid"}'
    text = scenario(f"svc-db-{variant}", f"svc_db_{variant.replace('-', '_')}", WORKER,
                    env=f", VARIANT: {variant}, WORK_MS: '150'", effects=db,
                    faults="\n  - {at: 3s, action: service-kill, service: worker, instance: 0, for: 1s}")
    text = text.replace("  id: {json: order_id}\n  key: message_id\n", "")
    j, r = run_scenario(tmp_path, text, "--uri", broker.uri, expect=1 if lost else 0)
    e = j["effects"]
    assert e["queue"] == "orders-{run}.db" and e["end_read"]["complete"] and e["p99_ms"] is None
    assert e["confirmed"] == 600 and e["duplicates"] == 0
    if lost:
        assert e["lost"] > 0 and e["matched"] + e["lost"] == 600
        assert {g["gate"] for g in j["verdict"]["gates"] if g["status"] == "fail"} == {"lost_effects"}
    else:
        assert e["lost"] == 0 and e["matched"] == 600
    assert gone(j)


def test_effect_p99_needs_effects_with_a_time(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(scenario("svc-db-p99", "q", WORKER, effects='sqlite: {file: a.db, query: "SELECT id FROM t"}',
                          expect="  effect_p99: 1s\n").replace("  id: {json: order_id}\n  key: message_id\n", ""))
    r = run_loadgen("run", "--check", f)
    assert r.returncode == 2 and "expect.effect_p99: cannot be computed for this load: needs effects from a queue" in r.stderr


@pytest.mark.slow
def test_effects_naming_no_input_are_counted_and_shown(tmp_path, broker):
    """Another run's id and an order never placed are unexpected; a body
    without a readable id is counted with a sample, never dropped."""
    text = scenario("svc-rogue", "svc_rogue", ROGUE, duration="3s", expect="  unexpected_effects: 0\n")
    j, r = run_scenario(tmp_path, text, "--uri", broker.uri, expect=1)
    e = j["effects"]
    assert e["unexpected"] == 2 and e["unexpected_sample"] == "0badcafe-0-1"
    assert e["unparsable"] == 2 and e["unparsable_sample"] in ("not json at all", '{"id": "x"}')
    assert e["lost"] == 0 and e["matched"] == e["confirmed"] == 300
    failed = {g["gate"] for g in j["verdict"]["gates"] if not g["pass"]}
    assert failed == {"unexpected_effects"}
    assert gone(j)


def test_a_service_that_never_gets_ready_fails_with_its_log(tmp_path, broker):
    text = scenario("svc-broken", "svc_broken", ROGUE, env=", EXIT_AT_START: '1'", duration="2s")
    f = tmp_path / "s.yaml"
    f.write_text(text)
    r = run_loadgen("run", f, "--uri", broker.uri, "--report-dir", tmp_path / "run", timeout=60)
    assert r.returncode == 3, r.stderr
    assert "service worker-" in r.stderr and "exited before it was ready" in r.stderr
    assert "config error: no DATABASE_URL" in r.stderr  # the tail of its log


@pytest.mark.slow
def test_a_crash_loop_is_reported_and_restarted_on_failure(tmp_path, broker):
    """A worker that exits by itself every 150 orders: reported, restarted
    (restart: on-failure), and the orders it held come back to the other."""
    text = scenario("svc-crash", "svc_crash", WORKER, env=", CRASH_AFTER: '150'",
                    extra="    restart: on-failure\n")
    j, r = run_scenario(tmp_path, text, "--uri", broker.uri)
    w = j["services"][0]
    assert w["unexpected_exits"] >= 2, w
    exits = [x for i in w["instances"] for x in i["exits"] if not x["expected"]]
    assert exits and all(x["status"] == "exit 3" for x in exits)
    # each crash restarted a second later (one at the very end may not have been)
    for i in w["instances"]:
        crashes = sum(not x["expected"] for x in i["exits"])
        assert crashes <= len(i["starts"]) <= 1 + crashes, i
    assert sum(len(i["starts"]) for i in w["instances"]) > 2
    assert j["effects"]["lost"] == 0, j["effects"]
    assert r.returncode in (0, 1), r.stderr  # a crash between receipt and ack may pay twice: not our claim here
    assert gone(j)


def _start(tmp_path, text, broker):
    f = tmp_path / "s.yaml"
    f.write_text(text)
    return subprocess.Popen([LOADGEN, "run", str(f), "--uri", broker.uri, "--json", str(tmp_path / "s.json"),
                             "--report-dir", str(tmp_path / "run")], cwd=SCRATCH, env=scratch_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _service_pids(tmp_path):
    """The running instances' pids, from their logs' owners in /proc (the
    run is not over, so run.json does not exist yet)."""
    pids = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            cmd = (p / "cmdline").read_bytes().split(b"\0")
            env = (p / "environ").read_bytes()
        except OSError:
            continue
        if str(WORKER).encode() in cmd and f"LOADGEN_RUN_DIR={tmp_path}/run/services".encode() in env:
            pids.append(int(p.name))
    return pids


@pytest.mark.slow
def test_ctrl_c_writes_the_report_and_a_killed_loadgen_takes_its_services(tmp_path, broker):
    text = scenario("svc-ctrlc", "svc_ctrlc", WORKER, duration="60s")
    p = _start(tmp_path, text, broker)
    try:
        assert wait_until(lambda: len(_service_pids(tmp_path)) == 2, timeout=60)
        time.sleep(2)
        pids = _service_pids(tmp_path)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
        assert p.returncode == 130, err
        j = json.loads((tmp_path / "s.json").read_text())
        assert j["interrupted"] and j["verdict"]["status"] == "incomplete" and j["effects"]["matched"] > 0
        assert wait_until(lambda: not any(pid_alive(x) for x in pids), timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    k = tmp_path / "k"
    k.mkdir()
    p = _start(k, text.replace("svc_ctrlc", "svc_kill9"), broker)
    try:
        assert wait_until(lambda: len(_service_pids(k)) == 2, timeout=60)
        pids = _service_pids(k)
        p.kill()  # SIGKILL: no handler runs; PDEATHSIG ends the services
        p.wait()
        assert wait_until(lambda: not any(pid_alive(x) for x in pids), timeout=10), pids
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdout.close(), p.stderr.close()


BAD = {
    "no-command": ("services:\n  - {name: w}\n", ":5:5: services[0]: a service needs a command"),
    "missing-program": ("services:\n  - {name: w, command: [./nope.py]}\n",
                        ":5:5: services[0]: command: "),
    "bad-name": ("services:\n  - {name: W-1, command: [true]}\n", ":5:12: services[0].name: 1-40 characters"),
    "two-names": ("services:\n  - {name: w, command: [true]}\n  - {name: w, command: [true]}\n",
                  ":6:5: services[1]: a second service called w"),
    "bad-ready": ("services:\n  - {name: w, command: [true], ready: {log: '('}}\n",
                  ":5:45: services[0].ready.log: not a regular expression"),
    "unknown-service": ("services:\n  - {name: w, command: [true]}\nfaults:\n"
                        "  - {at: 1s, action: service-kill, service: x}\n",
                        ":7:45: faults[0].service: 'x' is not one of the scenario's services"),
    "no-service-key": ("services:\n  - {name: w, command: [true]}\nfaults:\n  - {at: 1s, action: service-kill}\n",
                       ":7:5: faults[0]: action service-kill needs service: NAME"),
    "instance-range": ("services:\n  - {name: w, command: [true], instances: 2}\nfaults:\n"
                       "  - {at: 1s, action: service-kill, service: w, instance: 2}\n",
                       ":7:5: faults[0]: instance 2: service w has 2"),
    "no-services": ("faults:\n  - {at: 1s, action: service-pause, service: w}\n",
                    ":5:5: faults[0]: action service-pause acts on a service"),
    "bad-placeholder": ("  body: '{\"id\": \"{ID}\"}'\n", ":4:9: load.body: unknown placeholder {ID}"),
    "bad-id": ("services:\n  - {name: w, command: [true]}\neffects: {queue: r, id: {xml: id}}\n",
               ":6:25: effects.id: one of {json: KEY}"),
    "no-queue": ("services:\n  - {name: w, command: [true]}\neffects: {id: {json: id}}\n",
                 ":6:10: effects: effects need the queue"),
    "sqlite-write": ("services:\n  - {name: w, command: [true]}\neffects: {sqlite: {file: a.db, query: 'DELETE FROM t'}}\n",
                     ":6:19: effects.sqlite.query: a SELECT"),
    "consumers": ("  consumers: 2\nservices:\n  - {name: w, command: [true]}\n",
                  ":4:14: load.consumers: the services consume the load"),
    "no-id-in-body": ("  body: 'hello'\nservices:\n  - {name: w, command: [true]}\neffects: {queue: r, id: body}\n",
                      ":4:9: load.body: the service cannot name its input"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_malformed_service_blocks(case, tmp_path):
    text, needle = BAD[case]
    # a case starting with two spaces adds its first line to load:
    first, _, rest = text.partition("\n") if text.startswith("  ") else ("", "", text)
    f = tmp_path / "s.yaml"
    f.write_text("name: x\nload:\n  rate: 10\n" + (first + "\n" if first else "") + rest)
    r = run_loadgen("run", "--check", f)
    assert r.returncode == 2, r.stderr
    assert f"{f}{needle}" in r.stderr, r.stderr
