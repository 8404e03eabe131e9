"""loadgen bench against a real RabbitMQ: counts, rates, latency, errors."""
import json
import re
import signal
import socket
import subprocess
import time

import pika
import pytest

from conftest import LOADGEN, SCRATCH, amqp_params, pid_alive, queue_count, run_loadgen, scratch_env, stop_process


def bench(uri, *args, timeout=120, tmp=None, expect=0):
    out = (tmp / "r.json") if tmp else None
    cmd = ["bench", "--uri", uri, "--quiet", *args]
    if out:
        cmd += ["--json", out]
    r = run_loadgen(*cmd, timeout=timeout)
    assert r.returncode == expect, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return (json.loads(out.read_text()) if out else None), r


def test_counts_match_and_broker_agrees(broker, tmp_path):
    j, _ = bench(broker.uri, "--messages", "20000", "--producers", "2", "--consumers", "2",
                 "--queue", "counts", "--keep-queues", tmp=tmp_path)
    t = j["totals"]
    assert t["published"] == t["confirmed"] == t["consumed"] == 20000
    assert t["unique"] == 20000 and t["gaps"] == 0 and t["duplicates_total"] == 0
    assert t["out_of_order"] == 0  # two competing consumers: each sees its share in order
    assert t["nacked"] == t["returned"] == t["indeterminate"] == 0
    assert sum(j["errors"].values()) == 0
    # The broker's own count: nothing left behind in the queue.
    assert queue_count(broker.uri, "counts") == 0
    lat = j["latency"]
    assert lat["e2e"]["count"] == 20000 and lat["confirm"]["count"] == 20000
    assert 0 < lat["e2e"]["p50"] <= lat["e2e"]["p99"] <= lat["e2e"]["max"]


def test_rate_accuracy(broker, tmp_path):
    j, _ = bench(broker.uri, "--rate", "2000", "--duration", "6s", tmp=tmp_path)
    full = [p for p in j["series"] if p["length"] == 1.0][:6]
    assert len(full) >= 5
    # Open loop: a stalled second is made up in the next, so the total is
    # exact and each second is near the rate (wide margin: a busy machine).
    for p in full:
        assert 1600 <= p["published"] <= 2400, full
    assert j["totals"]["published"] == 12000


def test_rate_schedule_steps(broker, tmp_path):
    j, _ = bench(broker.uri, "--rate", "500:2s,1500:2s", "--duration", "4s", tmp=tmp_path)
    s = [p["published"] for p in j["series"]][:4]
    assert j["totals"]["published"] == 2 * 500 + 2 * 1500
    # Each step shows at its own rate (a threefold change, wide margins).
    assert 800 <= s[0] + s[1] <= 1200 and 2600 <= s[2] + s[3] <= 3400, s


def intended_times(uri, queue):
    """The intended send times in the messages left in queue (header bytes
    24..31, docs/message-format.md), taken off with pika."""
    conn = pika.BlockingConnection(amqp_params(uri))
    ch = conn.channel()
    out = []
    while True:
        m, _, body = ch.basic_get(queue, auto_ack=True)
        if m is None:
            break
        out.append(int.from_bytes(body[24:32], "little"))
    ch.queue_delete(queue)
    conn.close()
    return out


@pytest.mark.parametrize("tick", ["50ms", "0"])
def test_paced_sends_are_due_on_the_send_tick(broker, tmp_path, tick):
    """--send-tick 50ms at 200 msg/s: messages are due in groups of 10 on
    one 50 ms grid (one wake-up sends each group); with 0 each message has
    its own intended time. Send lag is recorded for every paced send."""
    q = "tick-" + tick
    j, _ = bench(broker.uri, "--rate", "200", "--duration", "2s", "--consumers", "0", "--send-tick", tick,
                 "--queue", q, "--keep-queues", tmp=tmp_path)
    assert j["config"]["send_tick_ms"] == (50.0 if tick == "50ms" else 0.0)
    times = sorted(intended_times(broker.uri, q))
    assert len(times) == j["totals"]["published"] == 400
    assert j["latency"]["send-lag"]["count"] == 400 and "sent_late" in j["totals"]
    distinct = sorted(set(times))
    if tick == "50ms":
        assert len(distinct) == 40, distinct
        assert all((b - a) % 50_000_000 == 0 for a, b in zip(distinct, distinct[1:])), distinct
    else:
        assert len(distinct) == 400


@pytest.mark.parametrize("batch", [True, False])
def test_reads_that_wait_for_the_tick_keep_the_arrival_time(broker, tmp_path, batch):
    """Paced, reads wait for the next send tick (rxbatch.c): at a 50 ms
    tick the confirms and deliveries of a tick's 25 messages wait up to
    50 ms before they are read. Latency is the kernel's receive time, so
    it stays the broker's few milliseconds, not the tick: timed at the read
    it would be about 25-50 ms. --no-read-batch reads as bytes come: the
    same latency, and nothing is lost or doubled either way."""
    args = ["--rate", "500", "--duration", "3s", "--send-tick", "50ms", "--queue", f"rxb-{batch}"]
    j, _ = bench(broker.uri, *args, *([] if batch else ["--no-read-batch"]), tmp=tmp_path)
    assert j["config"]["read_batch"] is batch
    t = j["totals"]
    assert t["published"] == t["confirmed"] == t["consumed"] == 1500, t
    lat = j["latency"]
    assert lat["e2e"]["count"] == lat["confirm"]["count"] == 1500
    # a read stamped when it ran would put the median near 25 ms and up
    assert lat["e2e"]["p50"] < 12 and lat["confirm"]["p50"] < 12, (lat["e2e"], lat["confirm"])


def test_idle_connections_send_their_heartbeats(broker, tmp_path):
    """Our reads leave rabbitmq-c out of the run, so loadgen sends the
    heartbeats: three consumers with nothing to consume and a producer at
    1 msg/s at --heartbeat 1 for 10 s. The broker closes a connection that
    missed two heartbeats (without ours: 4 closes here), so none may be
    closed, time out or reconnect."""
    j, _ = bench(broker.uri, "--rate", "1", "--consumers", "3", "--heartbeat", "1", "--duration", "10s",
                 "--queue", "idle-hb", tmp=tmp_path)
    e = j["errors"]
    assert e["connection_errors"] == e["heartbeat_timeouts"] == e["reconnects"] == 0, e
    assert j["totals"]["consumed"] == j["totals"]["published"] >= 9, j["totals"]


def test_a_thousand_connections_ramp_up_paced_and_hold(broker, tmp_path):
    """500 producers at 1 msg/s + 500 consumers on 2 threads: the
    connectors set them up at --connect-rate 400/s (so setup takes over a
    second: the pacing is real) while the loops already run; every
    connection stays up (no heartbeat timeout, no reconnect) and every
    message is consumed."""
    j, r = bench(broker.uri, "--producers", "500", "--consumers", "500", "--rate", "500", "--threads", "2",
                 "--messages", "2000", "--connect-rate", "400", "--heartbeat", "2", tmp=tmp_path, timeout=180)
    p, t, e = j["process"], j["totals"], j["errors"]
    assert p["connections"] == 1000 and p["setup_s"] >= 2.0, p
    assert e["heartbeat_timeouts"] == 0 and e["reconnects"] == 0 and e["connect_errors"] == 0, e
    assert t["published"] == t["consumed"] == t["unique"] == 2000 and t["lost"] == 0, t
    assert "1000 connections up in" in r.stderr


def test_ordering_with_many_producers_on_compact_state(broker, tmp_path):
    """Beyond 256 producers a consumer keeps its highest sequence per
    producer in a map (5,000 x 5,000 dense arrays were 200 MB): two
    consumers of 300 producers see each producer in order. At full speed
    the producers run unevenly, so their sequences interleave out of step
    (one shared slot would call that out of order)."""
    j, _ = bench(broker.uri, "--producers", "300", "--consumers", "2", "--messages", "30000",
                 tmp=tmp_path, timeout=180)
    t = j["totals"]
    assert t["consumed"] == t["unique"] == 30000 and t["out_of_order"] == 0, t


def test_descriptor_limit_is_checked_before_the_run(broker):
    """More connections than descriptors: a clear error and exit 2, not a
    run that fails half way (a child with a soft limit of 256)."""
    import resource
    r = subprocess.run([LOADGEN, "bench", "--uri", broker.uri, "--producers", "300", "--consumers", "300",
                        "--duration", "1s"], capture_output=True, text=True, timeout=60, cwd=SCRATCH,
                       env=scratch_env(), preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256)))
    assert r.returncode == 2, r.stderr
    assert "file descriptors" in r.stderr and "256" in r.stderr


def test_consumer_delay_shows_in_latency(broker, tmp_path):
    j, _ = bench(broker.uri, "--rate", "20", "--duration", "3s", "--consumer-delay", "30ms",
                 "--prefetch", "10", tmp=tmp_path)
    assert j["totals"]["consumed"] == 60
    assert j["latency"]["e2e"]["p50"] >= 30.0
    # The broker confirms without waiting for the handler: the 30 ms show in
    # e2e only (compared within the run, not with a fixed time).
    assert j["latency"]["confirm"]["p50"] + 20 <= j["latency"]["e2e"]["p50"]


def test_outputs_hgrm_hlog_and_redacted_config(broker, tmp_path):
    uri = broker.uri
    assert "guest:guest@" in uri  # has a password to redact
    j, _ = bench(uri, "--messages", "3000", "--rate", "1000", "--hgrm", tmp_path / "lat",
                 "--hlog", tmp_path / "lat.hlog", tmp=tmp_path)
    assert ":***@" in j["config"]["uri"] and "guest:guest" not in json.dumps(j)
    hgrm = (tmp_path / "lat-e2e.hgrm").read_text()
    assert "Value     Percentile TotalCount 1/(1-Percentile)" in hgrm
    assert re.search(r"#\[Max     =\s+[\d.]+, Total count    =\s+3000\]", hgrm)
    log = (tmp_path / "lat.hlog").read_text().splitlines()
    assert log[0] == "#[Histogram log format version 1.3]"
    rows = [l for l in log if l.startswith("Tag=e2e,")]
    assert len(rows) >= 3 and all(",HISTF" in r for r in rows)


def test_multiple_queues_and_quorum(broker, tmp_path):
    j, _ = bench(broker.uri, "--messages", "3000", "--producers", "3", "--consumers", "3",
                 "--queues", "3", "--queue", "multi", "--queue-type", "quorum", tmp=tmp_path)
    t = j["totals"]
    assert t["published"] == t["confirmed"] == t["consumed"] == 3000
    assert j["config"]["queue_type"] == "quorum"


def test_foreign_and_corrupt_messages_are_counted_not_trusted(broker, tmp_path):
    conn = pika.BlockingConnection(amqp_params(broker.uri))
    ch = conn.channel()
    ch.queue_declare("dirty")
    ch.basic_publish("", "dirty", b"hello, not a loadgen message")
    ch.basic_publish("", "dirty", b"LG\x01\x00" + b"\x00" * 10)  # truncated header
    ch.basic_publish("", "dirty", b"LG\x01\x00" + b"\xff" * 60)  # garbage after the magic
    conn.close()
    j, _ = bench(broker.uri, "--producers", "0", "--consumers", "1", "--queue", "dirty",
                 "--predeclared", "--duration", "2s", tmp=tmp_path)
    t = j["totals"]
    assert t["consumed"] == 0
    assert t["bad_foreign"] == 1 and t["bad_truncated"] == 2
    assert queue_count(broker.uri, "dirty") == 0


@pytest.mark.parametrize("args,needle", [
    (["--rate", "abc"], "--rate"),
    (["--size", "4XB"], "--size"),
    (["--duration", "soon"], "--duration"),
    (["--queue-type", "lazy"], "--queue-type"),
    (["--producers", "-1"], "--producers"),
    (["--frobnicate"], "--frobnicate"),
    (["--multi-ack", "500", "--prefetch", "10"], "--multi-ack"),
    (["--uri", "http://example"], "--uri"),
    (["--fail-rate", "1.5"], "--fail-rate"),
    (["--fail-rate", "0.1", "--auto-ack"], "--fail-rate"),
    (["--fail-action", "explode"], "--fail-action"),
    (["--fail-rate", "0.1", "--fail-action", "retry", "--queue-arg", "x-dead-letter-exchange=dlx"],
     "x-dead-letter-exchange"),
    (["--ordering", "global"], "--ordering"),
    (["--send-tick", "2s"], "--send-tick"),
    (["--send-tick", "soon"], "--send-tick"),
    (["--report-dir", "/proc/nope/run"], "--report-dir"),
])
def test_bad_options_exit_2(args, needle):
    r = run_loadgen("bench", *args)
    assert r.returncode == 2, r.stderr
    assert needle in r.stderr


def test_unreachable_broker_exits_3():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now: connection refused
    t0 = time.monotonic()
    r = run_loadgen("bench", "--uri", f"amqp://guest:secret@127.0.0.1:{port}/", "--duration", "1s")
    assert r.returncode == 3
    assert f"127.0.0.1:{port}" in r.stderr and "secret" not in r.stderr
    assert time.monotonic() - t0 < 5


def test_silent_broker_exits_3_within_connect_timeout():
    # A listener that never speaks AMQP: the handshake must time out, not hang.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    port = s.getsockname()[1]
    try:
        t0 = time.monotonic()
        r = run_loadgen("bench", "--uri", f"amqp://guest:guest@127.0.0.1:{port}/",
                        "--connect-timeout", "2s", "--duration", "1s", timeout=30)
        elapsed = time.monotonic() - t0
        assert r.returncode == 3, r.stderr
        assert f"127.0.0.1:{port}" in r.stderr
        assert elapsed < 8
    finally:
        s.close()


def _embedded_pid(stderr_line):
    m = re.search(r"embedded node \S+ \(pid (\d+)\)", stderr_line)
    return int(m.group(1)) if m else None


def test_embedded_broker_run_and_cleanup(tmp_path):
    out = tmp_path / "r.json"
    p = subprocess.Popen([LOADGEN, "bench", "--messages", "2000", "--quiet", "--json", out,
                          "--no-report"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         cwd=SCRATCH, env=scratch_env())
    try:
        stdout, stderr = p.communicate(timeout=120)
    finally:
        stop_process(p)
    assert p.returncode == 0, stderr
    pid = _embedded_pid(stderr)
    assert pid and not pid_alive(pid)
    j = json.loads(out.read_text())
    assert j["broker"]["mode"] == "embedded" and j["totals"]["consumed"] == 2000


def test_ctrl_c_writes_report_and_leaves_no_broker(tmp_path):
    out = tmp_path / "r.json"
    rdir = tmp_path / "run"
    p = subprocess.Popen([LOADGEN, "bench", "--duration", "60s", "--rate", "500", "--json", out,
                          "--report-dir", rdir],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         cwd=SCRATCH, env=scratch_env())
    pid = None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = p.stderr.readline()
            pid = pid or _embedded_pid(line)
            if line.startswith("[   2s]"):
                break
        assert pid, "no embedded broker pid seen"
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=60)
    finally:
        stop_process(p)
    assert p.returncode == 130
    assert not pid_alive(pid)
    j = json.loads(out.read_text())
    assert j["interrupted"] is True and j["totals"]["published"] >= 500
    # The run directory is complete too, and says it was interrupted.
    assert json.loads((rdir / "run.json").read_text())["interrupted"] is True
    assert "interrupted" in (rdir / "report.html").read_text()
    assert 'failures="1"' in (rdir / "junit.xml").read_text()


def test_stream_queue(broker, tmp_path):
    j, _ = bench(broker.uri, "--rate", "500", "--duration", "2s", "--queue-type", "stream",
                 "--queue", "stream-q", tmp=tmp_path)
    t = j["totals"]
    assert t["published"] == t["confirmed"] == t["consumed"] == 1000
