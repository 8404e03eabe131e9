#!/usr/bin/python3
"""Prints the soak table from the JSON lines test_soak.py wrote."""
import collections
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1])]
by = collections.OrderedDict()
for r in sorted(rows, key=lambda r: (r["scenario"], r["run"])):
    by.setdefault(r["scenario"], []).append(r)
print(f"{'scenario':32} {'runs':>4} {'as expected':>11} {'fail':>4} {'other':>5}  verdicts (lost/unexplained/duplicates/reconnects)")
total = bad = false_alarms = misses = 0
for name, rs in by.items():
    n = len(rs)
    want = rs[0].get("expect", "pass")
    p = sum(r["verdict"] == want for r in rs)
    f = sum(r["verdict"] == "fail" for r in rs) if want == "pass" else 0
    total += n
    bad += n - p
    detail = " ".join(f"{r['verdict']}({r['lost']}/{r['unexplained']}/{r['duplicates']}/{r['reconnects']})" for r in rs)
    print(f"{name:32} {n:4} {p:11} {f:4} {n - p - f:5}  {detail}")
    if want == "pass":
        false_alarms += n - p
    else:
        misses += n - p
print(f"{'total':32} {total:4} {total - bad:11}  false alarms: {false_alarms}, unsafe runs missed: {misses}")
sys.exit(1 if bad else 0)
