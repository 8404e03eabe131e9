"""pytest driver: owns real RabbitMQ nodes started through `loadgen broker`.

Nodes are ended by the pids loadgen recorded in their state file, and only
after checking the pid is still that process (its start time), never by name.
Everything a session creates lives in one scratch dir: removed at the end,
and a session that was killed is cleaned up by the next one. The session
fails if a broker, a loadgen or a network namespace it started outlives it.
"""
import json
import os
import socket
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOADGEN = os.environ.get("LOADGEN_BIN", str(ROOT / "bin" / "loadgen"))
SCRATCH_PREFIX = "loadgen-tests-"
# Every run writes a run directory under ./reports: tests run from a scratch
# directory so the checkout's reports/ stays the user's.
SCRATCH = tempfile.mkdtemp(prefix=SCRATCH_PREFIX)
# The false-alarm soak (tests/soak) runs only through `make soak`.
collect_ignore = [] if os.environ.get("LOADGEN_SOAK") else ["soak"]


def proc_start(pid):
    """The process's start time (clock ticks since boot), 0 if it is gone:
    with the pid, it names one process, never a later one reusing the pid."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return 0


def same_process(pid, start):
    return bool(pid) and bool(start) and pid_alive(pid) and proc_start(pid) == start


def scratch_env(**extra):
    """loadgen's temp and default state dirs go to the scratch dir, not the user's."""
    env = dict(os.environ, TMPDIR=SCRATCH, XDG_RUNTIME_DIR="")
    env.update(extra)
    return env


def run_loadgen(*args, timeout=120, check=False, **kw):
    """Runs bin/loadgen with args; returns the CompletedProcess (text mode).
    On a timeout subprocess.run SIGKILLs loadgen (its node dies with it)."""
    kw.setdefault("cwd", SCRATCH)
    kw.setdefault("env", scratch_env())
    r = subprocess.run([LOADGEN, *map(str, args)], capture_output=True, text=True,
                       timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"loadgen {args} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r


def run_scenario(tmp, text, *args, expect=None, timeout=240):
    """Writes text to tmp/s.yaml and runs it; returns (run.json, CompletedProcess)."""
    f = tmp / "s.yaml"
    f.write_text(text)
    out = tmp / "s.json"
    r = run_loadgen("run", f, "--json", out, "--report-dir", tmp / "run", *args, timeout=timeout)
    if expect is not None:
        assert r.returncode == expect, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return json.loads(out.read_text()), r


def stop_process(p, timeout=30):
    """Ends a Popen child of this test if it still runs: SIGTERM (loadgen
    then writes its report and stops its node), SIGKILL after timeout. The
    Popen object is our unreaped child, so its pid cannot name another process."""
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    for f in (p.stdout, p.stderr):
        if f:
            f.close()


def pid_alive(pid):
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Node:
    """A detached node started by `loadgen broker start --dir`."""

    def __init__(self, dirpath, *extra):
        self.dir = Path(dirpath)
        r = run_loadgen("broker", "start", "--dir", self.dir, *extra, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"broker start failed ({r.returncode}): {r.stderr}")
        self.uri = r.stdout.strip().splitlines()[0]
        self.port = int(self.uri.rsplit(":", 1)[1].split("/")[0])

    def state(self):
        return json.loads((self.dir / "broker.json").read_text())

    @property
    def pid(self):
        return self.state()["pid"]

    def action(self, name, check=True):
        return run_loadgen("broker", name, "--dir", self.dir, timeout=120, check=check)

    def close(self):
        try:
            st = self.state()
        except (OSError, ValueError):
            return
        self.action("stop", check=False)
        try:
            st = self.state()  # a restart may have recorded new pids
        except (OSError, ValueError):
            pass
        # Fallback if stop failed: by recorded pid, and only if it is still
        # the process that was recorded (same start time).
        for pid, start in ((st.get("pid"), st.get("pid_start")), (st.get("epmd_pid"), st.get("epmd_start"))):
            if same_process(pid, start):
                os.kill(pid, signal.SIGKILL)

    def dump_log(self):
        log = self.dir / "log" / "node.log"
        return log.read_text()[-4000:] if log.exists() else "(no node log)"


@pytest.fixture(scope="session")
def broker():
    """One node for the whole session; tests must not kill it. Its dir is in
    the scratch dir, so a killed session's node is found by the next one."""
    node = Node(Path(SCRATCH) / "session-broker")
    yield node
    node.close()


@pytest.fixture
def own_broker(tmp_path):
    """A node for one test, which may kill, pause or restart it."""
    node = Node(tmp_path / "node")
    yield node
    node.close()


def amqp_params(uri):
    import pika
    return pika.URLParameters(uri + "?connection_attempts=1&socket_timeout=5&blocked_connection_timeout=5")


def queue_count(uri, queue):
    """Messages ready in `queue`, asked of the broker itself (passive declare)."""
    import pika
    conn = pika.BlockingConnection(amqp_params(uri))
    try:
        ch = conn.channel()
        return ch.queue_declare(queue=queue, passive=True).method.message_count
    finally:
        conn.close()


def free_port():
    """A port the kernel has free on 127.0.0.1 now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_until(pred, timeout=10.0, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


# ---- session start and end: nothing a session started may outlive it ----------

def _netns():
    r = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
    return {line.split()[0] for line in r.stdout.splitlines() if line.strip()}


def _ours(pid, dirs):
    """True if the process's command line names one of dirs (a node started
    in them, or a loadgen run from them)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().decode(errors="replace")
    except OSError:
        return False
    return any(d.rstrip("/") + "/" in cmd for d in dirs)


def _leftover_processes(dirs):
    me = os.getpid()
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != me and pid_alive(int(name)) and _ours(int(name), dirs):
            out.append(int(name))
    return out


def _stop_nodes_in(root):
    """Stops, through loadgen (which checks pid identity), every node whose
    state file is under root."""
    for dirpath, dirnames, filenames in os.walk(root):
        if dirpath[len(str(root)):].count(os.sep) >= 4:
            dirnames[:] = []
        if "broker.json" in filenames:
            subprocess.run([LOADGEN, "broker", "stop", "--dir", dirpath], capture_output=True,
                           timeout=120, env=scratch_env())


def pytest_sessionstart(session):
    """Records this session as the scratch dir's owner, and cleans up after
    earlier sessions that were killed before their teardown."""
    Path(SCRATCH, ".owner").write_text(f"{os.getpid()} {proc_start(os.getpid())}\n")
    session.config._loadgen_netns = _netns()
    for old in Path(tempfile.gettempdir()).glob(SCRATCH_PREFIX + "*"):
        if str(old) == SCRATCH or not old.is_dir() or old.is_symlink():
            continue
        try:
            pid, start = map(int, (old / ".owner").read_text().split())
        except (OSError, ValueError):
            # No owner recorded (an older session): stale only once it is old.
            if time.time() - old.stat().st_mtime < 6 * 3600:
                continue
            pid, start = 0, 0
        if same_process(pid, start):
            continue  # another live session's
        _stop_nodes_in(old)
        if not _leftover_processes([str(old)]):
            shutil.rmtree(old, ignore_errors=True)


def pytest_sessionfinish(session, exitstatus):
    dirs = [SCRATCH]
    try:
        dirs.append(str(session.config._tmp_path_factory.getbasetemp()))
    except Exception:
        pass
    problems = []
    left = _leftover_processes(dirs)
    if left:
        # Give detached stops a moment, then end what is still ours.
        time.sleep(2)
        left = _leftover_processes(dirs)
    for pid in left:
        start = proc_start(pid)
        if _ours(pid, dirs) and same_process(pid, start):
            problems.append(f"process {pid} outlived the session: {open(f'/proc/{pid}/cmdline').read()[:200]!r}")
            os.kill(pid, signal.SIGKILL)
    new_ns = _netns() - getattr(session.config, "_loadgen_netns", set())
    if new_ns:
        problems.append(f"network namespaces left: {sorted(new_ns)}")
    if not left:
        shutil.rmtree(SCRATCH, ignore_errors=True)
    if problems:
        print("\nleftovers after the session:\n  " + "\n  ".join(problems))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
