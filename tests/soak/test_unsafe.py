"""The other side of the soak: every shipped unsafe scenario, LOADGEN_SOAK_RUNS
times, must be caught each time (exit 1) in its own gate only."""
import json
import os

import pytest

from conftest import ROOT, run_loadgen
from test_scenarios import UNSAFE
from test_soak import OUT, RUNS

CAUGHT = UNSAFE + ([("unsafe-cluster-classic-node-kill", "lost"), ("unsafe-cluster-classic-partition", "lost")]
                   if os.geteuid() == 0 else [])


@pytest.mark.slow
@pytest.mark.parametrize("run", range(1, RUNS + 1))
@pytest.mark.parametrize("name,gate", CAUGHT, ids=[c[0] for c in CAUGHT])
def test_unsafe_scenario_is_caught(name, gate, run, tmp_path):
    out = tmp_path / "r.json"
    r = run_loadgen("run", ROOT / "scenarios" / f"{name}.yaml", "--json", out, "--no-report", timeout=300)
    j = json.loads(out.read_text()) if out.exists() else {}
    failed = sorted(g["gate"] for g in j.get("verdict", {}).get("gates", []) if g["status"] == "fail")
    caught = r.returncode == 1 and failed == [gate]
    if OUT:
        t = j.get("totals", {})
        with open(OUT, "a") as f:
            f.write(json.dumps({"scenario": name, "run": run, "expect": "caught",
                                "verdict": "caught" if caught else f"missed ({r.returncode}, {failed})",
                                "exit": r.returncode, "lost": t.get("lost"),
                                "unexplained": t.get("duplicates_unexplained"),
                                "duplicates": t.get("duplicates_total"),
                                "reconnects": j.get("errors", {}).get("reconnects")}) + "\n")
    assert caught, f"exit {r.returncode}, failed gates {failed}\n{r.stdout[-2000:]}"
