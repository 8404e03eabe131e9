"""Run directories and reports: real runs against the session broker, the page
in Debian's headless Chromium, and compare on real classic and quorum runs."""
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zlib

import pytest

from conftest import LOADGEN, ROOT, run_loadgen

HISTS = ["e2e", "e2e-uncorrected", "confirm", "confirm-uncorrected", "send-lag"]
FORBIDDEN = ["<script", "<link", "<img", "src=", "href=", "url(", "@import", "http://", "https://"]


def bench_run(uri, dirpath, *extra):
    r = run_loadgen("bench", "--uri", uri, "--quiet", "--rate", "500", "--duration", "3s",
                    "--report-dir", dirpath, *extra, timeout=120)
    assert r.returncode == 0, r.stderr
    assert f"report in {dirpath}/report.html" in r.stderr
    return json.loads((dirpath / "run.json").read_text())


SCENARIO = """\
name: report-check
description: a short run with a latency toxic, a disconnect and a gate set to fail
topology: {queue: report-q, durable: true}
load: {rate: 500, duration: 5s, persistent: true, heartbeat: 2}
faults:
  - {at: 1s, action: toxic, for: 1s, toxic: {type: latency, stream: downstream, attributes: {latency: 50}}}
  - {at: 3s, action: disconnect}
expect:
  lost: 0
  throughput: {min: 1000000}
  e2e_p99: {max: 10s}
"""


@pytest.fixture(scope="module")
def bench_dir(broker, tmp_path_factory):
    d = tmp_path_factory.mktemp("reports") / "bench-run"
    bench_run(broker.uri, d)
    return d


@pytest.fixture(scope="module")
def scenario_dir(broker, tmp_path_factory):
    base = tmp_path_factory.mktemp("scenario")
    f = base / "report-check.yaml"
    f.write_text(SCENARIO)
    d = base / "run"
    r = run_loadgen("run", f, "--uri", broker.uri, "--report-dir", d, timeout=180)
    assert r.returncode == 1, r.stdout + r.stderr  # the throughput gate fails on purpose
    return d


def schema_rows():
    """{path: (type, when)} of docs/report-schema.md's run.json table, the
    contract that include/run_schema.h must equal (tests/unit/test_run_schema.c)."""
    doc = (ROOT / "docs" / "report-schema.md").read_text().split("## run.json", 1)[1]
    rows = re.findall(r"^\| `([^`]+)` \| ([^|]+?) \| ([^|]+?) \|", doc, re.M)
    assert len(rows) > 100
    return {p: (t, set(w.split(", "))) for p, t, w in rows}


def type_ok(v, t):
    kinds = {"integer": lambda x: isinstance(x, int) and not isinstance(x, bool),
             "number": lambda x: isinstance(x, (int, float)) and not isinstance(x, bool),
             "string": lambda x: isinstance(x, str), "boolean": lambda x: isinstance(x, bool),
             "array": lambda x: isinstance(x, list), "object": lambda x: isinstance(x, dict),
             "null": lambda x: x is None}
    return any(kinds[k.strip()](v) for k in t.split(" or "))


def tokens(path):
    """'latency.*.p99.9' -> ['latency', '*', 'p99.9']: a part that starts with
    a digit belongs to the key before it."""
    out = []
    for part in path.split("."):
        if out and part[:1].isdigit():
            out[-1] += "." + part
        else:
            out.append(part)
    return out


def matches(obj, path, rows):
    """Every value at path ('[]': each element, '*': each key; a last '*'
    each key that no row of its own names); (found, values)."""
    vals, prefix, toks = [obj], "", tokens(path)
    for i, tok in enumerate(toks):
        arr = tok.endswith("[]")
        key = tok[:-2] if arr else tok
        nxt = []
        for v in vals:
            if not isinstance(v, dict):
                continue
            if key == "*":  # as the last part, "any other key"
                nxt += [x for k, x in v.items() if i < len(toks) - 1 or not any(
                        r == prefix + k or r.startswith(prefix + k + ".") for r in rows)]
            elif key in v:
                nxt.append(v[key])
            else:
                return False, []
        if arr:
            nxt = [e for v in nxt if isinstance(v, list) for e in v]
        vals, prefix = nxt, prefix + tok + "."
    return True, vals


def check_schema(j, with_run):
    """Both ways: every documented key is there with its type, and every key
    of the run.json is documented (inside `open` objects anything goes)."""
    rows = schema_rows()
    for path, (t, when) in rows.items():
        if "run" in when and not with_run:
            continue
        found, vals = matches(j, path, rows)
        assert found or "optional" in when, f"run.json has no {path}"
        for v in vals:
            assert type_ok(v, t), f"{path}: {v!r} is not {t}"

    def known(sp):
        return sp in rows or any(r.startswith(sp + ".") or r.startswith(sp + "[]") for r in rows)

    def walk(v, paths, where):
        """paths: the schema paths v may be ('latency.e2e' and 'latency.*')."""
        if isinstance(v, list):
            for e in v:
                walk(e, {p + "[]" for p in paths}, where + "[]")
            return
        if not isinstance(v, dict) or any("open" in rows.get(p, ("", set()))[1] for p in paths):
            return
        for key, sub in v.items():
            subs = {f"{p}.{k}" if p else k for p in paths for k in (key, "*")}
            subs = {sp for sp in subs if known(sp)}
            assert subs, f"run.json has {where}{key}, not in docs/report-schema.md"
            walk(sub, subs, f"{where}{key}.")
    walk(j, {""}, "")


def test_bench_run_directory(bench_dir, broker):
    j = json.loads((bench_dir / "run.json").read_text())
    check_schema(j, with_run=False)
    assert "scenario" not in j and j["verdict"] == {"pass": True, "status": "pass", "gates": [], "reasons": []}
    assert j["environment"]["broker_version"] == j["broker"]["version"] != "unknown"
    assert j["config"]["uri"].startswith("amqp://") and "guest:guest" not in j["config"]["uri"]
    assert j["totals"]["consumed"] == j["latency"]["e2e"]["count"] == 1500
    d = j["latency"]["e2e"]["distribution"]
    assert d["percentile"][-1] == 1.0 and len(d["value_ms"]) == len(d["percentile"]) > 10
    assert d["value_ms"] == sorted(d["value_ms"]) and d["value_ms"][-1] == j["latency"]["e2e"]["max"]
    for h in HISTS:
        text = (bench_dir / f"latency-{h}.hgrm").read_text()
        assert "1/(1-Percentile)" in text and "#[Max" in text
    suites = ET.parse(bench_dir / "junit.xml").getroot()
    suite = suites.find("testsuite")
    assert suite.get("name") == "bench" and suite.get("tests") == "1" and suite.get("failures") == "0"


def test_hlog_reads_back_to_the_hgrm(bench_dir):
    """Our own reader decodes every interval row; merged, they are the run's
    distribution, line for line (no warmup)."""
    out = run_loadgen("hlog", bench_dir / "latency.hlog", check=True).stdout
    tags = re.findall(r"^# tag (\S+): (\d+) intervals, (\d+) values", out, re.M)
    assert sorted(t[0] for t in tags) == sorted(HISTS)
    assert all(int(t[2]) > 0 for t in tags)
    for h in HISTS:
        one = run_loadgen("hlog", bench_dir / "latency.hlog", "--tag", h, check=True).stdout
        assert one == (bench_dir / f"latency-{h}.hgrm").read_text()
    bad = bench_dir.parent / "bad.hlog"
    bad.write_text("#[Histogram log format version 1.3]\nTag=e2e,0.0,1.0,1.0,notbase64!!\n")
    r = run_loadgen("hlog", bad)
    assert r.returncode == 2 and "bad.hlog:2" in r.stderr


def test_scenario_run_directory(scenario_dir):
    j = json.loads((scenario_dir / "run.json").read_text())
    check_schema(j, with_run=True)
    assert j["verdict"]["pass"] is False
    failed = [g["gate"] for g in j["verdict"]["gates"] if not g["pass"]]
    assert failed == ["throughput"]
    actions = [(f["action"], f["revert"]) for f in j["faults"]]
    assert actions == [("toxic", False), ("toxic", True), ("disconnect", False)]
    suite = ET.parse(scenario_dir / "junit.xml").getroot().find("testsuite")
    assert suite.get("name") == "report-check"
    assert suite.get("tests") == "4" and suite.get("failures") == "1"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"lost", "throughput", "e2e_p99", "faults_failed"}
    assert cases["faults_failed"].find("failure") is None  # every step applied
    fail = cases["throughput"].find("failure")
    assert fail is not None and "min 1e+06" in fail.get("message")
    assert cases["throughput"].get("classname") == "report-check.performance"
    assert cases["lost"].find("failure") is None
    html = (scenario_dir / "report.html").read_text()
    assert "class='fault'" in html and ">toxic<" in html and ">disconnect<" in html
    assert "badge fail" in html and html.count("<svg") == 7  # 4 + the broker's CPU, depth, consumers (memory unknown: --uri)


def test_report_regenerates_the_page(scenario_dir, tmp_path):
    d = tmp_path / "copy"
    shutil.copytree(scenario_dir, d)
    before = (d / "report.html").read_text()
    (d / "report.html").unlink()
    (d / "junit.xml").unlink()
    r = run_loadgen("report", d, check=True)
    assert r.stdout.strip() == f"{d}/report.html"
    assert (d / "report.html").read_text() == before
    assert ET.parse(d / "junit.xml").getroot().find("testsuite").get("failures") == "1"
    r = run_loadgen("report", tmp_path / "nothing-here")
    assert r.returncode == 2 and "nothing-here/run.json" in r.stderr
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "run.json").write_text('{"not": "a run"}')
    r = run_loadgen("report", tmp_path / "junk")
    assert r.returncode == 2 and "schema_version" in r.stderr


def test_html_is_self_contained(bench_dir, scenario_dir):
    for d in (bench_dir, scenario_dir):
        html = (d / "report.html").read_text()
        for bad in FORBIDDEN:
            assert bad not in html, f"{d}/report.html references {bad}"


CHROMIUM = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            # Nothing may leave this machine, not even Chromium's own update checks.
            "--host-resolver-rules=MAP * ~NOTFOUND"]


def chromium(tmp_path, *args):
    r = subprocess.run([*CHROMIUM, f"--user-data-dir={tmp_path / 'profile'}", *map(str, args)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


def png_pixels(path):
    """Decompressed scanlines of a PNG (enough to tell blank from drawn)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 4], "big")
        if data[pos + 4:pos + 8] == b"IDAT":
            idat += data[pos + 8:pos + 8 + n]
        pos += 12 + n
    return zlib.decompress(idat)


def page_requests(netlog):
    """URLs of requests the page started (the browser's own have no origin)."""
    text = netlog.read_text()
    try:
        j = json.loads(text)
    except ValueError:  # the log may end without its closing brackets
        j = json.loads(text.rstrip().rstrip(",") + "]}")
    names = {v: k for k, v in j["constants"]["logEventTypes"].items()}
    return [e["params"]["url"] for e in j["events"]
            if names.get(e["type"]) == "URL_REQUEST_START_JOB" and "url" in e.get("params", {})
            and e["params"].get("initiator") != "not an origin"]


def test_html_in_chromium(scenario_dir, tmp_path):
    page = scenario_dir / "report.html"
    shot = tmp_path / "shot.png"
    chromium(tmp_path, "--window-size=1280,2000", f"--screenshot={shot}", f"file://{page}")
    pixels = png_pixels(shot)
    # Blank white is one byte value (plus filter bytes); charts and text are many.
    assert len(set(pixels)) > 50 and pixels.count(255) < 0.99 * len(pixels)
    dom = chromium(tmp_path, "--dump-dom", f"file://{page}")
    assert dom.count("<svg") == 7
    paths = re.findall(r"<path [^>]*d=\"M([^\"]*)\"", dom)
    assert len(paths) >= 10 and all(len(p) > 10 for p in paths)
    assert "PASS" in dom and "FAIL" in dom

    netlog = tmp_path / "net.json"
    chromium(tmp_path, f"--log-net-log={netlog}", "--dump-dom", f"file://{page}")
    assert page_requests(netlog) == []
    # The control: a page that does reference the network is caught.
    leaky = tmp_path / "leaky.html"
    leaky.write_text(page.read_text().replace("</body>", "<img src='http://example.invalid/x.png'></body>"))
    netlog2 = tmp_path / "net2.json"
    chromium(tmp_path, f"--log-net-log={netlog2}", "--dump-dom", f"file://{leaky}")
    assert any("example.invalid" in u for u in page_requests(netlog2))


def test_compare_classic_vs_quorum(broker, tmp_path):
    runs = {}
    for qt in ("classic", "quorum"):
        for i in (1, 2):
            d = tmp_path / f"{qt}-{i}"
            bench_run(broker.uri, d, "--queue-type", qt, "--queue", f"cmp-{qt}", "--durable",
                      "--persistent")
            runs[(qt, i)] = json.loads((d / "run.json").read_text())
    assert runs[("quorum", 1)]["config"]["queue_type"] == "quorum"
    # Two single runs: a table, a change column, and the HTML page.
    out = tmp_path / "one.html"
    r = run_loadgen("compare", "--out", out, tmp_path / "classic-1", tmp_path / "quorum-1", check=True)
    lines = r.stdout.splitlines()
    assert "classic-1 (n=1)" in lines[0] and "quorum-1 (n=1)" in lines[0] and "change" in lines[0]
    row = next(l for l in lines if l.startswith("consumed msg/s"))
    assert "%" in row and "n=1, no spread" in row
    p99 = next(l for l in lines if l.startswith("e2e p99 "))
    expect = runs[("classic", 1)]["latency"]["e2e"]["p99"]
    assert f"{expect:.3f}" in p99
    html = out.read_text()
    assert html.count("<svg") == 3 and "classic-1 #1" in html and "quorum-1 #1" in html
    for bad in FORBIDDEN:
        assert bad not in html
    # Groups of repeated runs: mean and spread, and a verdict against the noise.
    out2 = tmp_path / "groups.html"
    r = run_loadgen("compare", "--out", out2, f"classic={tmp_path}/classic-*",
                    f"quorum={tmp_path}/quorum-*", check=True)
    head, *rows = r.stdout.splitlines()
    assert "classic (n=2)" in head and "quorum (n=2)" in head
    row = next(l for l in rows if l.startswith("e2e p50"))
    # The verdict is the one the documented rule gives for these four runs:
    # better/worse only beyond twice the standard error of the difference.
    def stats(qt):
        v = [runs[(qt, i)]["latency"]["e2e"]["p50"] for i in (1, 2)]
        m = sum(v) / 2
        return m, sum((x - m) ** 2 for x in v) / 1  # sample variance, n - 1 = 1
    (mb, vb), (mq, vq) = stats("classic"), stats("quorum")
    d, se = mq - mb, ((vb / 2) + (vq / 2)) ** 0.5
    want = "same" if d == 0 else "(noise)" if abs(d) <= 2 * se else "better" if d < 0 else "worse"
    assert "±" in row and row.rstrip().endswith(want), (row, want)
    assert "quorum #2" in out2.read_text()
    # Bad input: named, exit 2, no crash.
    r = run_loadgen("compare", tmp_path / "missing")
    assert r.returncode == 2 and "missing/run.json" in r.stderr
    r = run_loadgen("compare", f"x={tmp_path}/none-*")
    assert r.returncode == 2 and "matches no run directory" in r.stderr
