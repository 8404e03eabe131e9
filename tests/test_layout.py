"""The source stays the shape issue 26 left it in: lines within .clang-format's
column limit, no function over 120 lines, files under ~700 lines, every
fault family registered once, and the include graph checked (one way
between folders, no circles)."""
import re
import subprocess
from pathlib import Path

from conftest import ROOT

SOURCES = sorted(list((ROOT / "loadgen").rglob("*.[ch]")) + list((ROOT / "include").glob("*.h")) +
                 list((ROOT / "tests" / "unit").glob("*.c")))
MAX_FUNCTION = 120
MAX_FILE = 700


def functions(path):
    """(name, first line, length) of each top-level function definition."""
    lines = path.read_text().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^[a-z][\w\s\*]*?\b(\w+)\s*\(", lines[i])
        if m and not lines[i].rstrip().endswith(";") and "{" not in lines[i]:
            j = i
            while j < len(lines) and not lines[j].startswith("{") and not lines[j].rstrip().endswith(";"):
                j += 1
            if j < len(lines) and lines[j].startswith("{"):
                k = j
                while k < len(lines) and lines[k] != "}":
                    k += 1
                yield m.group(1), i + 1, k - i + 1
                i = k
        i += 1


def test_lines_fit_the_column_limit():
    limit = int(re.search(r"ColumnLimit:\s*(\d+)", (ROOT / ".clang-format").read_text()).group(1))
    wide = [f"{p.relative_to(ROOT)}:{n}" for p in SOURCES
            for n, line in enumerate(p.read_text().split("\n"), 1) if len(line) > limit]
    assert not wide, f"wider than {limit} columns: {wide[:10]}"


def test_no_function_is_long():
    long_ = [f"{p.relative_to(ROOT)}:{line} {name} ({n} lines)" for p in SOURCES if p.suffix == ".c"
             for name, line, n in functions(p) if n > MAX_FUNCTION]
    assert not long_, "split into named steps: " + "; ".join(long_)


def test_no_file_is_long():
    big = [f"{p.relative_to(ROOT)} ({len(p.read_text().splitlines())})" for p in SOURCES
           if len(p.read_text().splitlines()) > MAX_FILE]
    assert not big, big


def test_every_fault_family_is_registered():
    faults = ROOT / "loadgen" / "scenario" / "faults"
    registry = (faults / "faults.c").read_text()
    for f in faults.glob("fault_*.c"):
        m = re.search(r"^const struct fault_family (fault_family_\w+)", f.read_text(), re.M)
        if m:
            assert registry.count("&" + m.group(1)) == 1, f"{f.name}: {m.group(1)} not in faults.c's table"


def test_include_graph():
    r = subprocess.run(["/usr/bin/python3", ROOT / "scripts" / "check-include-cycles"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "folders in order" in r.stdout
