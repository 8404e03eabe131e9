"""False-alarm soak (issue 9): safe scenarios, each run LOADGEN_SOAK_RUNS
times (default 5); every run must PASS (test_unsafe.py: and every shipped
unsafe scenario must be caught every time). Not part of `make test`: run it with
`make soak`, which prints the table of scenario x runs x verdicts.

Scenarios with broker actions (kill, stop, restart, pause) get their own
embedded node per run; the others share the session node through --uri."""
import json
import os
from pathlib import Path

import pytest

from conftest import run_loadgen

HERE = Path(__file__).resolve().parent
# the soak's own safe scenarios, and the shipped safe ones (routing among them)
SHIPPED_SAFE = ["fanout-kill", "topic-kill", "headers-routing", "dead-letter-chain", "fanout-consumer-crash",
                "retry-dead-letter", "idempotent-redelivery", "service-order-worker", "service-order-worker-link",
                "service-order-worker-broker-kill", "service-celery-acks-late"]
# a cluster in network namespaces needs root
if os.geteuid() == 0:
    SHIPPED_SAFE += ["cluster-quorum-leader-kill", "cluster-quorum-minority-partition", "cluster-quorum-loss",
                     "cluster-stream-follower-kill"]
SCENARIOS = sorted((HERE / "scenarios").glob("*.yaml")) + [
    HERE.parent.parent / "scenarios" / f"{n}.yaml" for n in SHIPPED_SAFE]
RUNS = int(os.environ.get("LOADGEN_SOAK_RUNS", "5"))
OUT = os.environ.get("LOADGEN_SOAK_OUT")
BROKER_ACTIONS = ("action: kill", "action: stop", "action: restart", "action: pause", "  policies:", "  nodes:",
                  "services:")


@pytest.mark.slow
@pytest.mark.parametrize("run", range(1, RUNS + 1))
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_safe_scenario_passes(path, run, broker, tmp_path):
    out = tmp_path / "r.json"
    args = ["run", path, "--json", out, "--no-report"]
    if not any(a in path.read_text() for a in BROKER_ACTIONS):
        args += ["--uri", broker.uri]
    r = run_loadgen(*args, timeout=300)
    j = json.loads(out.read_text()) if out.exists() else {}
    verdict = j.get("verdict", {}).get("status", f"exit {r.returncode}")
    if OUT:
        t = j.get("totals", {})
        with open(OUT, "a") as f:
            f.write(json.dumps({"scenario": path.stem, "run": run, "verdict": verdict,
                                "exit": r.returncode, "lost": t.get("lost"),
                                "unexplained": t.get("duplicates_unexplained"),
                                "duplicates": t.get("duplicates_total"),
                                "reconnects": j.get("errors", {}).get("reconnects")}) + "\n")
    assert r.returncode == 0 and verdict == "pass", r.stdout[-3000:] + r.stderr[-3000:]
