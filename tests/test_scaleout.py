"""Scale-out: one logical run over several loadgen processes, as a
Kubernetes Indexed Job starts them (JOB_COMPLETION_INDEX, LOADGEN_INSTANCES),
against one real broker, and `loadgen merge` of their run directories.

The merge must say what one process would: the checker over the union of
the instances' ledgers (a message published by one instance and consumed by
another is neither lost nor unexpected), counters summed, the histograms
added exactly. Both sides of the verdict are kept: a dropped consumer
instance, and transient messages through a kill -9, must be reported lost.
"""
import base64
import gzip
import json
import os
import re
import struct
import subprocess
import time
from pathlib import Path

import pytest

from conftest import LOADGEN, SCRATCH, run_loadgen, scratch_env, stop_process
from test_reports import check_schema

SAFE_KILL = """\
name: shard-kill-durable
topology: {queue: shard-kill-%(tag)s, queue_type: classic, durable: true}
load:
  producers: 2
  consumers: 1
  rate: 400
  duration: 16s
  persistent: true
  confirm: 128
  prefetch: 50
faults:
  - {at: 3s, action: kill}
  - {at: 4s, action: start}
expect:
  lost: 0
  unexpected: 0
  unexplained_duplicates: 0
  recovery: {max: 20s}
"""

UNSAFE_KILL = """\
name: shard-kill-transient
topology: {queue: shard-transient-%(tag)s, durable: true}
load:
  producers: 2
  consumers: 1
  rate: 1000
  duration: 8s
  consumer_delay: 2ms
  prefetch: 20
faults:
  - {at: 3s, action: kill}
  - {at: 3500ms, action: start}
expect:
  lost: 0
"""


def job(args_of, n, tmp, env_index=True, timeout=150):
    """Starts n instances at once, as a Job does: instance i gets
    JOB_COMPLETION_INDEX=i and LOADGEN_INSTANCES=n, and args_of(i).
    Returns [(returncode, stdout, stderr, run_dir)]."""
    start_at = int(time.time()) + 4  # after every process has connected
    procs = []
    for i in range(n):
        d = Path(tmp) / f"i{i}"
        env = scratch_env(JOB_COMPLETION_INDEX=str(i), LOADGEN_INSTANCES=str(n)) if env_index else scratch_env()
        cmd = [LOADGEN, *map(str, args_of(i)), "--start-at", str(start_at), "--report-dir", str(d)]
        procs.append((subprocess.Popen(cmd, cwd=SCRATCH, env=env, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True), d))
    out = []
    for p, d in procs:
        try:
            so, se = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_process(p)
            raise
        out.append((p.returncode, so, se, d))
    return out


def load(d):
    return json.loads((Path(d) / "run.json").read_text())


def merge(*dirs, out, extra=()):
    return run_loadgen("merge", *map(str, dirs), "--out", out, *extra, timeout=120)


def hlog_table(path, tag):
    r = run_loadgen("hlog", path, "--tag", tag, check=True)
    return r.stdout


@pytest.fixture(scope="module")
def split_run(broker, tmp_path_factory):
    """4 producers on instances 0 and 1, both consumers on instance 2: every
    message crosses from one process to another. The consumers (500 msg/s)
    still have a backlog when the 6 s are up: instance 2 drains it."""
    tmp = tmp_path_factory.mktemp("split")
    layout = {0: ["--producer-ids", "0-1"], 1: ["--producer-ids", "2-3"], 2: ["--consumer-ids", "0-1"]}
    res = job(lambda i: ["bench", "--uri", broker.uri, "--queue", "scaleout-split", "--producers", 4,
                         "--consumers", 2, "--rate", 2000, "--messages", 4000, "--duration", "6s",
                         "--consumer-delay", "4ms",
                         "--confirm", 100, "--persistent", "--durable", "--run-id", "5ca1e",
                         *layout[i]], 3, tmp)
    return tmp, res


def test_three_instances_merge_to_the_run_one_process_would_report(split_run):
    tmp, res = split_run
    for rc, so, se, d in res:
        assert rc == 0, f"{d}: {so}\n{se}"
        r = load(d)
        # an instance sees part of the load: no verdict of its own on lost
        assert r["verdict"]["status"] == "partial", r["verdict"]
        assert r["totals"]["lost"] is None
        assert 'skipped="1"' in (d / "junit.xml").read_text()
        assert (d / "ledger.bin").exists()
    ins = [load(d) for *_, d in res]
    assert [x["config"]["instance"]["index"] for x in ins] == [0, 1, 2]
    assert ins[0]["totals"]["published"] == 2000 and ins[2]["totals"]["published"] == 0
    assert ins[2]["totals"]["consumed"] >= 4000 and ins[0]["totals"]["consumed"] == 0
    # consumers alone drain until the broker's queue is empty and quiet
    assert ins[2]["drain"]["ended"] == "idle" and ins[2]["duration_s"] > 7.5, ins[2]["drain"]

    m = merge(*(d for *_, d in res), out=tmp / "merged")
    assert m.returncode == 0, m.stdout + m.stderr
    assert "unique 4000, lost 0" in m.stdout
    run = load(tmp / "merged")
    t = run["totals"]
    assert run["verdict"]["status"] == "pass"
    assert (t["published"], t["confirmed"], t["unique"], t["lost"], t["gaps"]) == (4000, 4000, 4000, 0, 0)
    assert t["consumed"] == sum(x["totals"]["consumed"] for x in ins)
    assert t["stale_run"] == 0 and t["duplicates_unexplained"] == 0
    assert run["config"]["producers"] == 4 and run["config"]["consumers"] == 2
    assert "instance" not in run["config"] and run["merged"]["instances"] == 3
    check_schema(run, with_run=False)
    # the histograms add up exactly: the merged log holds the same values
    # as the three logs together, and run.json's counts are their sums
    both = tmp / "all.hlog"
    both.write_text("".join((d / "latency.hlog").read_text() for *_, d in res))
    for tag in ("e2e", "confirm"):
        assert hlog_table(tmp / "merged" / "latency.hlog", tag) == hlog_table(both, tag)
        assert run["latency"][tag]["count"] == sum(x["latency"][tag]["count"] for x in ins)
    assert run["latency"]["e2e"]["count"] == 4000
    assert run["latency"]["e2e"]["max"] == max(x["latency"]["e2e"]["max"] for x in ins)
    # the series: the instances' seconds side by side, summed
    assert sum(p["published"] for p in run["series"]) == 4000
    assert sum(p["consumed"] for p in run["series"]) == t["consumed"]
    assert max(p["e2e_p99_ms"] for p in run["series"]) > 0
    assert 'failures="0"' in (tmp / "merged" / "junit.xml").read_text()
    page = (tmp / "merged" / "report.html").read_text()
    assert "PASS" in page and "merged from 3 of 3 instances" in page
    assert "instance 2 of 3: part of the load" in (res[2][3] / "report.html").read_text()


def test_merge_reports_a_dropped_consumer_and_refuses_bad_sets(split_run, broker, tmp_path):
    tmp, res = split_run
    d0, d1, d2 = (d for *_, d in res)
    # a missing instance is refused: its absence is not a loss to report
    m = merge(d0, d1, out=tmp_path / "m1")
    assert m.returncode == 2 and "instance 2 of 3 missing" in m.stderr
    # dropped on purpose: every confirmed message is now never consumed
    m = merge(d0, d1, out=tmp_path / "m2", extra=["--allow-missing"])
    assert m.returncode == 1, m.stdout + m.stderr
    run = load(tmp_path / "m2")
    assert run["totals"]["lost"] == 4000 and run["verdict"]["status"] == "fail"
    assert any("4000 confirmed messages lost" in r for r in run["verdict"]["reasons"])
    assert any("missing from the merge" in r for r in run["verdict"]["reasons"])
    assert "<failure" in (tmp_path / "m2" / "junit.xml").read_text()
    # the same instance twice, a run of its own, a damaged ledger
    m = merge(d0, d0, d1, d2, out=tmp_path / "m3")
    assert m.returncode == 2 and "given twice" in m.stderr
    plain = tmp_path / "plain"
    run_loadgen("bench", "--uri", broker.uri, "--messages", 10, "--producers", 1, "--consumers", 1,
                "--queue", "scaleout-plain", "--report-dir", plain, check=True)
    m = merge(d0, d1, plain, out=tmp_path / "m4")
    assert m.returncode == 2 and "not an instance of a sharded run" in m.stderr, m.stderr
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in ("run.json", "latency.hlog"):
        (broken / f).write_bytes((d2 / f).read_bytes())
    data = (d2 / "ledger.bin").read_bytes()
    (broken / "ledger.bin").write_bytes(data[: len(data) // 2])
    m = merge(d0, d1, broken, out=tmp_path / "m5")
    assert m.returncode == 2 and "ledger.bin" in m.stderr, m.stderr


LEDGER_HEADER = struct.Struct("<8s9I")
LEDGER_RECORD = struct.Struct("<BIIQ")
CONSUMED, FLAGGED, CONFIRMED, LAST_SEQ = 1, 2, 3, 4


def read_ledger(path):
    """(header fields, [[kind, queue, producer, words]]) of a ledger.bin (docs/scale-out.md)."""
    b = gzip.decompress(Path(path).read_bytes())
    _, *h = LEDGER_HEADER.unpack_from(b, 0)
    off, recs = LEDGER_HEADER.size, []
    while True:
        kind, q, p, n = LEDGER_RECORD.unpack_from(b, off)
        off += LEDGER_RECORD.size
        if kind == 0:
            return h, recs
        recs.append([kind, q, p, list(struct.unpack_from(f"<{n}Q", b, off))])
        off += 8 * n


def write_ledger(path, h, recs, claimed=None):
    """claimed: {record index: n} a record that says n words and holds what it holds."""
    out = LEDGER_HEADER.pack(b"LGLEDG01", *h)
    for i, (kind, q, p, w) in enumerate(recs):
        out += LEDGER_RECORD.pack(kind, q, p, (claimed or {}).get(i, len(w))) + struct.pack(f"<{len(w)}Q", *w)
    Path(path).write_bytes(gzip.compress(out + LEDGER_RECORD.pack(0, 0, 0, 0)))


def crafted(src, dst, ledger=None, run=None, claimed=None):
    """A copy of instance directory src with its ledger (ledger(header, records)) or run.json (run(dict)) changed."""
    dst.mkdir()
    (dst / "latency.hlog").write_bytes((src / "latency.hlog").read_bytes())
    j = load(src)
    if run:
        run(j)
    (dst / "run.json").write_text(json.dumps(j))
    h, recs = read_ledger(src / "ledger.bin")
    if ledger:
        ledger(h, recs)
    write_ledger(dst / "ledger.bin", h, recs, claimed)
    return dst


def first(recs, kind):
    return next(r for r in recs if r[0] == kind)


def test_merge_refuses_crafted_ledgers_and_run_files(split_run, tmp_path):
    """Hardening II, items 2 and 8: a ledger.bin or run.json from another
    machine is input. Before, a flagged set longer than its consumed set
    segfaulted in ledger_union_word; a longer consumed set gave PASS with
    unique 51,855 for 600 messages and gaps of 2^64; a record claiming 2^27
    words took 1.5 GB; totals of the wrong type vanished and the merge
    passed. Each is now exit 2 naming the file and why; the safe merge of
    the same instances still passes (test above)."""
    _, res = split_run
    d0, d1, d2 = (d for *_, d in res)

    def longer_flagged(h, recs):
        first(recs, FLAGGED)[3] += [~0 & (2**64 - 1)] * 1000

    def flagged_alone(h, recs):
        recs.remove(first(recs, CONSUMED))

    def past_last(h, recs):
        for r in recs:
            if r[0] in (CONSUMED, FLAGGED):
                r[3] += [2**64 - 1] * 800

    def sequence_zero(h, recs):
        first(recs, CONSUMED)[3][0] |= 1

    def totals_wrong(j):
        j["totals"] = "all fine"

    def negative(j):
        j["totals"]["consumed"] = -5

    def huge(j):
        j["duration_s"] = 1e308

    def other_run(j):
        j["config"]["instance"]["run_id"] = "0badbeef"

    cases = [
        ("longer-flagged", dict(ledger=longer_flagged), "damaged ledger: queue 0 producer 0: a flagged set of"),
        ("flagged-alone", dict(ledger=flagged_alone), "a flagged set without its consumed set"),
        ("past-last", dict(ledger=past_last), "past the last sent"),
        ("sequence-zero", dict(ledger=sequence_zero), "holds sequence 0"),
        ("claims-2^27", dict(ledger=lambda h, r: None, claimed={0: 2**27}), "a record is out of range"),
        ("totals-string", dict(run=totals_wrong), "run.json: totals.published is missing"),
        ("negative", dict(run=negative), "totals.consumed: a count cannot be negative"),
        ("1e308", dict(run=huge), "duration_s: 1e+308 is out of range"),
        ("other-run", dict(run=other_run), "run.json is of run 0badbeef, its ledger.bin of run"),
    ]
    for name, kw, needle in cases:
        bad = crafted(d2, tmp_path / name, **kw)
        m = merge(d0, d1, bad, out=tmp_path / f"out-{name}")
        assert m.returncode == 2 and needle in m.stderr, (name, m.stdout, m.stderr)
        assert "Sanitizer" not in m.stderr
    # a producer's records in an instance that does not run it (d0 runs producers 0 and 1)
    bad = crafted(d0, tmp_path / "foreign-producer",
                  ledger=lambda h, recs: recs.append([CONFIRMED, 0, 3, [2**64 - 2]]))
    m = merge(bad, d1, d2, out=tmp_path / "out-foreign")
    assert m.returncode == 2 and "a record is out of range (kind 3, queue 0, producer 3" in m.stderr, m.stderr
    # a run.json of 65 MB (sparse) is refused before it is read
    big = crafted(d2, tmp_path / "big-run")
    with open(big / "run.json", "r+b") as f:
        f.truncate(65 << 20)
    m = merge(d0, d1, big, out=tmp_path / "out-big")
    assert m.returncode == 2 and "larger than 64 MiB" in m.stderr, m.stderr


def test_a_job_of_three_pods_collected_from_their_logs_and_merged(broker, tmp_path):
    """The Kubernetes contract without a cluster: three processes with an
    Indexed Job's environment run deploy/k8s/run-instance.sh with the same
    arguments; the index picks each one's producers, consumers and share of
    the rate; scripts/collect-runs takes the run directories out of their
    logs, and merge adds them up."""
    root = Path(__file__).resolve().parent.parent
    start = int(time.time()) + 4
    procs = []
    for i in range(3):
        env = scratch_env(JOB_COMPLETION_INDEX=str(i), LOADGEN_INSTANCES="3", LOADGEN_URI=broker.uri,
                          LOADGEN_RUN_ID="10b", LOADGEN_START_AT=str(start), LOADGEN=LOADGEN,
                          LOADGEN_ARGS="bench --queue scaleout-job --producers 3 --consumers 3 --rate 1500 "
                                       "--duration 4s --confirm 50")
        log = open(tmp_path / f"pod-{i}.log", "w")
        procs.append((subprocess.Popen([root / "deploy" / "k8s" / "run-instance.sh"], cwd=SCRATCH, env=env,
                                       stdout=log, stderr=subprocess.PIPE, text=True), log))
    for p, log in procs:
        _, err = p.communicate(timeout=150)
        log.close()
        assert p.returncode == 0, err
    c = subprocess.run([root / "scripts" / "collect-runs", "--from-log", *sorted(tmp_path.glob("pod-*.log")),
                        "--out", tmp_path / "runs"], capture_output=True, text=True, timeout=60)
    assert c.returncode == 0, c.stderr
    dirs = sorted((tmp_path / "runs").glob("instance-*"))
    assert [d.name for d in dirs] == ["instance-0", "instance-1", "instance-2"]
    ins = [load(d)["config"]["instance"] for d in dirs]
    assert [x["producer_ids"] for x in ins] == [[0, 1], [1, 2], [2, 3]]
    assert [x["consumer_ids"] for x in ins] == [[0, 1], [1, 2], [2, 3]]
    m = merge(*dirs, out=tmp_path / "m")
    assert m.returncode == 0, m.stdout + m.stderr
    t = load(tmp_path / "m")["totals"]
    # a third of 1500 msg/s each: the whole rate, for 4 s
    assert 5400 <= t["published"] <= 6100, t
    assert t["lost"] == 0 and t["unique"] == t["confirmed"] == t["published"]
    assert t["stale_run"] == 0
    # a tarball that reaches outside its directory is refused
    evil = tmp_path / "evil"
    evil.mkdir()
    (evil / "instance-7").mkdir()
    os.symlink("/etc/passwd", evil / "instance-7" / "run.json")
    tgz = subprocess.run(["tar", "-C", evil, "-czf", "-", "instance-7"], capture_output=True, check=True).stdout
    (tmp_path / "evil.log").write_text("-----BEGIN LOADGEN RUN instance-7-----\n" +
                                       base64.b64encode(tgz).decode() + "\n-----END LOADGEN RUN-----\n")
    c = subprocess.run([root / "scripts" / "collect-runs", "--from-log", tmp_path / "evil.log", "--out",
                        tmp_path / "runs2"], capture_output=True, text=True, timeout=60)
    assert c.returncode == 2 and "refused" in c.stderr, c.stderr
    assert not (tmp_path / "runs2" / "instance-7").exists()


def test_a_kill_across_three_instances_gives_the_verdict_of_one_process(own_broker, tmp_path):
    """Instance 0 kills and restarts the node the three share (by the pid
    `broker start --dir` recorded); 1 and 2 observe. The same scenario in
    one process against the same node gives the same verdict."""
    node = own_broker
    safe = tmp_path / "safe.yaml"
    safe.write_text(SAFE_KILL % {"tag": "a"})
    pid0 = node.pid
    layout = {0: ["--producer-ids", "0-0", "--broker-dir", node.dir], 1: ["--producer-ids", "1-1"],
              2: ["--consumer-ids", "0-0"]}
    res = job(lambda i: ["run", safe, "--uri", node.uri, "--run-id", "c0ffee", *layout[i]], 3, tmp_path / "s")
    for rc, so, se, d in res:
        assert rc == 0, f"{d}: {so}\n{se}"
    assert "observed: instance 0 acts" in json.dumps(load(res[1][3])["faults"])
    assert node.pid != pid0, "the node was not killed and restarted"
    assert node.action("status").returncode == 0, "the run stopped a node that is not its own"
    m = merge(*(d for *_, d in res), out=tmp_path / "s" / "m")
    assert m.returncode == 0, m.stdout + m.stderr
    run = load(tmp_path / "s" / "m")
    gates = {g["gate"]: g for g in run["verdict"]["gates"]}
    assert run["verdict"]["status"] == "pass", run["verdict"]
    assert set(gates) == {"lost", "unexpected", "unexplained_duplicates", "recovery", "faults_failed"}
    assert gates["lost"]["actual"] == 0 and gates["recovery"]["actual"] is not None
    # traffic after the restart (a boot takes 5 s or more here), and all three reconnected
    assert run["totals"]["unique"] > 3000 and run["totals"]["reconnects"] >= 3, run["totals"]
    assert [f["action"] for f in run["faults"] if f["instance"] == 0][:2] == ["kill", "start"]

    # one process, the same file, the same node
    safe.write_text(SAFE_KILL % {"tag": "b"})
    one = run_loadgen("run", safe, "--uri", node.uri, "--broker-dir", node.dir, "--report-dir",
                      tmp_path / "one", timeout=150)
    assert one.returncode == 0, one.stdout + one.stderr
    r1 = load(tmp_path / "one")
    assert r1["verdict"]["status"] == run["verdict"]["status"]
    assert [g["gate"] for g in r1["verdict"]["gates"]] == [g["gate"] for g in run["verdict"]["gates"]]
    assert r1["totals"]["lost"] == 0

    # the other side: transient messages in a backlog through the kill
    unsafe = tmp_path / "unsafe.yaml"
    unsafe.write_text(UNSAFE_KILL % {"tag": "a"})
    res = job(lambda i: ["run", unsafe, "--uri", node.uri, "--run-id", "bad5eed", *layout[i]], 3, tmp_path / "u")
    for rc, so, se, d in res:
        assert rc == 0, f"{d}: {so}\n{se}"
    m = merge(*(d for *_, d in res), out=tmp_path / "u" / "m")
    assert m.returncode == 1, m.stdout + m.stderr
    run = load(tmp_path / "u" / "m")
    assert run["totals"]["lost"] > 100 and run["verdict"]["status"] == "fail"
    assert node.action("status").returncode == 0


SPLIT_CRASH = """\
name: shard-split-crash
topology: {queue: shard-split-crash, durable: true}
load: {producers: 2, consumers: 2, rate: 400, duration: 8s, persistent: true, confirm: 64,
       prefetch: 100, multi_ack: 50, consumer_delay: 1ms}
faults:
  - {at: 2s, action: crash, for: 1s}
  - {at: 5s, action: crash, for: 1s}
expect:
  lost: 0
  unexplained_duplicates: 0
"""


def test_consumers_split_across_instances_under_a_crash(broker, tmp_path):
    """One producer and one consumer in each of two instances, on one queue.
    Both consumers crash, twice, holding up to 49 processed but unacked
    deliveries each (acks go 50 at a time); the broker redelivers them,
    flagged, to whichever consumer subscribes first, so one instance sees a
    copy of what the other consumed. The merge finds those duplicates across instances
    and explains them by the flag: none unexplained, nothing lost."""
    layout = {0: ["--producer-ids", "0-0", "--consumer-ids", "0-0"],
              1: ["--producer-ids", "1-1", "--consumer-ids", "1-1"]}
    f = tmp_path / "s.yaml"
    f.write_text(SPLIT_CRASH)
    res = job(lambda i: ["run", f, "--uri", broker.uri, "--run-id", "5b117", *layout[i]], 2, tmp_path / "s")
    for rc, so, se, d in res:
        assert rc == 0, f"{d}: {so}\n{se}"
        assert all(x["ok"] for x in load(d)["faults"]), load(d)["faults"]
    m = merge(*(d for *_, d in res), out=tmp_path / "m")
    assert m.returncode == 0, m.stdout + m.stderr
    cross = int(re.search(r"cross-instance duplicates (\d+)", m.stdout).group(1))
    run = load(tmp_path / "m")
    t = run["totals"]
    assert cross > 0 and t["duplicates_total"] >= cross, (m.stdout, t)
    assert t["duplicates_unexplained"] == 0 and t["lost"] == 0 and t["unique"] == t["confirmed"] == 3200, t
    assert run["verdict"]["status"] == "pass", run["verdict"]


@pytest.mark.parametrize("args, want", [
    (["bench", "--instance", "3/3", "--uri", "amqp://127.0.0.1:1"], "0 <= I < N"),
    (["bench", "--instance", "0/2", "--run-id", "1"], "give its --uri"),
    (["bench", "--instance", "0/2", "--uri", "amqp://127.0.0.1:1"], "--run-id"),
    (["bench", "--instance", "0/2", "--uri", "amqp://127.0.0.1:1", "--run-id", "zz"], "not a run id"),
    (["bench", "--instance", "0/2", "--uri", "amqp://127.0.0.1:1", "--run-id", "1", "--exchange", "x"],
     "without exchanges"),
    (["bench", "--producer-ids", "0-5", "--producers", 2, "--uri", "amqp://127.0.0.1:1", "--run-id", "1"],
     "the load has 2 producers"),
    (["bench", "--start-at", "12", "--uri", "amqp://127.0.0.1:1"], "wall-clock time"),
    (["capacity", "--slo", "e2e_p99=20ms", "--instance", "0/2"], "one process"),
    (["merge", "--out"], "--out DIR"),
    (["merge", "/nonexistent", "--out", "/nonexistent/out"], "run.json"),
])
def test_bad_scale_out_input_is_refused(args, want):
    r = run_loadgen(*args, timeout=30)
    assert r.returncode == 2, r.stdout + r.stderr
    assert want in r.stderr, r.stderr


def test_run_with_uri_needs_the_broker_dir_for_broker_faults(tmp_path):
    r = run_loadgen("run", Path(__file__).parent.parent / "scenarios" / "kill-durable-classic.yaml", "--uri",
                    "amqp://127.0.0.1:1", timeout=30)
    assert r.returncode == 2 and "--broker-dir" in r.stderr, r.stderr


def test_the_job_keeps_the_password_off_argv_and_runs_unprivileged(broker, tmp_path):
    """Hardening II, item 16. Before, run-instance.sh put the broker's URI,
    password and all, on loadgen's command line (/proc/PID/cmdline, `ps`),
    and job.yaml had no securityContext, memory limit or deadline; --run-id
    without --instance and half of a Job's environment were silently
    ignored (every pod ran the whole load)."""
    import yaml
    root = Path(__file__).resolve().parent.parent
    docs = list(yaml.safe_load_all((root / "deploy" / "k8s" / "job.yaml").read_text()))
    job = next(d for d in docs if d["kind"] == "Job")
    pod = job["spec"]["template"]["spec"]
    c = pod["containers"][0]
    assert job["spec"]["activeDeadlineSeconds"] > 0 and pod["securityContext"]["runAsNonRoot"] is True
    sc = c["securityContext"]
    assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True
    assert sc["capabilities"]["drop"] == ["ALL"] and c["resources"]["limits"]["memory"]
    assert not any("valueFrom" in e for e in c["env"]), "a secret in the environment"
    assert any(v.get("secret") for v in pod["volumes"])
    # the URI through run-instance.sh: on no command line of any process it starts
    secret = broker.uri  # its password is "guest": look for the whole URI
    env = scratch_env(JOB_COMPLETION_INDEX="0", LOADGEN_INSTANCES="1", LOADGEN_URI=broker.uri,
                      LOADGEN_RUN_ID="c0de", LOADGEN_START_AT=str(int(time.time()) + 1), LOADGEN=LOADGEN,
                      LOADGEN_ARGS="bench --queue scaleout-argv --producers 1 --consumers 1 --rate 200 --duration 3s")
    p = subprocess.Popen([root / "deploy" / "k8s" / "run-instance.sh"], cwd=SCRATCH, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = []
    try:
        while p.poll() is None:
            for d in Path("/proc").iterdir():
                if d.name.isdigit():
                    try:
                        cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                    except OSError:
                        continue
                    if "loadgen" in cmd and "scaleout-argv" in cmd:
                        seen.append(cmd)
            time.sleep(0.2)
        err = p.stderr.read()
    finally:
        stop_process(p)
    assert p.returncode == 0, err
    assert seen and not any(secret in cmd or "amqp://" in cmd for cmd in seen), seen[:3]
    assert any("--uri-file" in cmd for cmd in seen), seen[:3]
    # half a Job's environment, or a run id alone, is refused, not ignored
    r = run_loadgen("bench", "--uri", broker.uri, "--messages", "10", env=scratch_env(JOB_COMPLETION_INDEX="1"))
    assert r.returncode == 2 and "LOADGEN_INSTANCES is not" in r.stderr, r.stderr
    r = run_loadgen("bench", "--uri", broker.uri, "--messages", "10", env=scratch_env(LOADGEN_INSTANCES="3"))
    assert r.returncode == 2 and "JOB_COMPLETION_INDEX is not" in r.stderr, r.stderr
    r = run_loadgen("bench", "--uri", broker.uri, "--messages", "10", "--run-id", "abc")
    assert r.returncode == 2 and "give --instance I/N too" in r.stderr, r.stderr
    # --uri-file: a file, one line; its content never echoed
    f = tmp_path / "uri"
    f.write_text("amqp://guest:S3cretPW@127.0.0.1:1/%2f\n")
    r = run_loadgen("bench", "--uri-file", f, "--messages", "10", "--no-report")
    assert r.returncode == 3 and "S3cretPW" not in r.stderr + r.stdout, r.stderr
    r = run_loadgen("bench", "--uri-file", tmp_path, "--messages", "10")
    assert r.returncode == 2 and "not a regular file" in r.stderr, r.stderr
