#!/usr/bin/python3
"""Prints the soak table from the JSON lines test_soak.py wrote."""
import collections
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1])]
by = collections.OrderedDict()
for r in sorted(rows, key=lambda r: (r["scenario"], r["run"])):
    by.setdefault(r["scenario"], []).append(r)
print(f"{'scenario':32} {'runs':>4} {'pass':>4} {'fail':>4} {'other':>5}  verdicts (lost/unexplained/duplicates/reconnects)")
total = bad = 0
for name, rs in by.items():
    n = len(rs)
    p = sum(r["verdict"] == "pass" for r in rs)
    f = sum(r["verdict"] == "fail" for r in rs)
    total += n
    bad += n - p
    detail = " ".join(f"{r['verdict']}({r['lost']}/{r['unexplained']}/{r['duplicates']}/{r['reconnects']})" for r in rs)
    print(f"{name:32} {n:4} {p:4} {f:4} {n - p - f:5}  {detail}")
print(f"{'total':32} {total:4} {total - bad:4}  false alarms: {bad}")
