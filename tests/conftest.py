"""pytest driver: owns real RabbitMQ nodes started through `loadgen broker`.

Nodes are ended by the pids loadgen recorded in their state file, never by name.
"""
import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOADGEN = os.environ.get("LOADGEN_BIN", str(ROOT / "bin" / "loadgen"))
# Every run writes a run directory under ./reports: tests run from a scratch
# directory so the checkout's reports/ stays the user's.
SCRATCH = tempfile.mkdtemp(prefix="loadgen-tests-")
# The false-alarm soak (tests/soak) runs only through `make soak`.
collect_ignore = [] if os.environ.get("LOADGEN_SOAK") else ["soak"]


def run_loadgen(*args, timeout=120, check=False, **kw):
    """Runs bin/loadgen with args; returns the CompletedProcess (text mode)."""
    kw.setdefault("cwd", SCRATCH)
    # Temp and default state dirs of loadgen go to the scratch dir, not the user's.
    kw.setdefault("env", dict(os.environ, TMPDIR=SCRATCH, XDG_RUNTIME_DIR=""))
    r = subprocess.run([LOADGEN, *map(str, args)], capture_output=True, text=True,
                       timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"loadgen {args} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r


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

    def __init__(self, dirpath):
        self.dir = Path(dirpath)
        r = run_loadgen("broker", "start", "--dir", self.dir, timeout=120)
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
        for pid in (st.get("pid"), st.get("epmd_pid")):
            # Fallback by recorded pid only, if stop failed.
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)
        st = self.state()
        for pid in (st.get("pid"), st.get("epmd_pid")):
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)

    def dump_log(self):
        log = self.dir / "log" / "node.log"
        return log.read_text()[-4000:] if log.exists() else "(no node log)"


@pytest.fixture(scope="session")
def broker(tmp_path_factory):
    """One node for the whole session; tests must not kill it."""
    node = Node(tmp_path_factory.mktemp("session-broker"))
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


def wait_until(pred, timeout=10.0, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()
