"""The docs say what the code does: every command the README and docs/ show
names a real subcommand with options its --help lists, every shipped
scenario they name passes --check, every link between pages lands on a file
(and heading), and the README stays a front page."""
import re
from pathlib import Path

from conftest import ROOT, run_loadgen

PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
COMMAND = re.compile(r"^\s*(?:sudo\s+)?(?:\S*/)?loadgen\s+([a-z-]+)(.*)$")


def shown_commands():
    """(page, subcommand, rest of the line) of each loadgen line in a code block."""
    for page in PAGES:
        for block in re.findall(r"```[a-z]*\n(.*?)```", page.read_text(), re.S):
            for line in block.splitlines():
                m = COMMAND.match(line)
                if m:
                    yield page, m.group(1), m.group(2).split("#")[0]


def test_every_shown_command_and_option_exists():
    helps = {}
    shown = list(shown_commands())
    assert len(shown) > 20, "the docs show loadgen's commands"
    for page, sub, rest in shown:
        if sub not in helps:
            r = run_loadgen(sub, "--help")
            assert r.returncode == 0, f"{page.name}: `loadgen {sub}` is not a command"
            helps[sub] = r.stdout + r.stderr
        # capacity and run pass the load's options through to bench's parser
        known = helps[sub] + (helps.setdefault("bench", run_loadgen("bench", "--help").stdout)
                              if sub in ("capacity", "run") else "")
        for opt in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", rest):
            assert opt == "--help" or opt in known, f"{page.name}: `loadgen {sub} {opt}`: not in `loadgen {sub} --help`"


def test_shipped_scenarios_the_docs_name_pass_check():
    named = set()
    for page in PAGES:
        named.update(re.findall(r"scenarios/([a-z0-9-]+\.yaml)", page.read_text()))
    assert named
    for name in sorted(named):
        path = ROOT / "scenarios" / name
        assert path.exists(), f"the docs name scenarios/{name}, which is not shipped"
        r = run_loadgen("run", "--check", path)
        assert r.returncode == 0, r.stderr


def slug(heading):
    return re.sub(r"[^a-z0-9 -]", "", heading.strip().lower()).replace(" ", "-")


def test_links_between_pages_land():
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#\s]*\.md)(#[a-z0-9-]+)?\)", page.read_text()):
            path, anchor = target
            dest = (page.parent / path).resolve()
            assert dest.exists(), f"{page.name} links to {path}, which does not exist"
            if anchor:
                heads = [slug(h) for h in re.findall(r"(?m)^#+ (.*)$", dest.read_text())]
                assert anchor[1:] in heads, f"{page.name} links to {path}{anchor}: no such heading"


def test_readme_is_a_front_page():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 150
    for must in ("make run", "make test", "## Exit codes", "docs/scenarios.md", "docs/development.md"):
        assert must in text
    # every page of docs/ is reachable from the README, directly or through one page
    linked = set(re.findall(r"\(docs/([a-z-]+\.md)", text))
    for name in list(linked):
        linked.update(re.findall(r"\]\(([a-z-]+\.md)", (ROOT / "docs" / name).read_text()))
    for page in (ROOT / "docs").glob("*.md"):
        assert page.name in linked, f"docs/{page.name} is not linked from the README"
