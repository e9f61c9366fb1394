"""ns-metadata-proxy(8) (man/ns-metadata-proxy.8) against the binary it documents.

- Every mode's `--help` and the man page's subsection for that mode name the same
  options: an option one lists and the other lacks fails the test, which names it.
  (The help texts are the source of truth; to update the page, add an `.It Fl ...`
  entry in the mode's subsection and rerun this file.)
- The page passes `mandoc -T lint` and `man --warnings` (groff) without a message.
- `--version` (and the haproxy drop-in's `-v`) print CMake's project version and the
  commit the binary was built from.
"""
import os
import re
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MAN = os.path.join(ROOT, "man", "ns-metadata-proxy.8")

# An option as the help texts and the rendered page write it: -f, -db, --network_id,
# --log-file, --nodaemonize; not the dashes inside words (ns-metadata-proxy,
# X-Forwarded-For, X-Neutron-*-ID, 0-65535).
OPTION = re.compile(r"(?<![\w/.*-])--?[A-Za-z][A-Za-z0-9_-]*")

# The page's subsection title (its first words) -> how to get that mode's help.
MODES = {
    "Neutron command line": ["--help"],
    "haproxy drop-in": "haproxy -h",
    "cleanup": ["cleanup", "--help"],
    "metadata-server": ["metadata-server", "--help"],
    "node": ["node", "--help"],
    "ctl": ["ctl", "--help"],
}


def options(text):
    return {m.rstrip("-") for m in OPTION.findall(text)}


def render(path):
    """The page as plain text, wide enough that no line wraps inside an option."""
    run = subprocess.run(["mandoc", "-T", "ascii", "-O", "width=200", path],
                         capture_output=True, timeout=30, check=True)
    return re.sub(r".\x08", "", run.stdout.decode())


def subsections(text):
    """{title: body} of every .Ss subsection (rendered 3 columns in, sections at 0)."""
    out, title = {}, None
    for line in text.splitlines():
        if re.match(r"^\S", line):
            title = None
        elif re.match(r"^   \S", line):
            title = line.strip()
            out[title] = ""
        elif title is not None:
            out[title] += line + "\n"
    return out


def help_text(binary, how, tmp_path):
    if how == "haproxy -h":
        link = tmp_path / "haproxy"  # the drop-in: called by that name
        link.symlink_to(binary)
        argv = [str(link), "-h"]
    else:
        argv = [binary, *how]
    run = subprocess.run(argv, capture_output=True, timeout=10)
    assert run.returncode == 0, (argv, run.stderr)
    assert run.stdout, f"{argv} printed no help on stdout"
    return run.stdout.decode()


@pytest.fixture(scope="module")
def page_sections():
    return subsections(render(MAN))


@pytest.mark.parametrize("mode", MODES)
def test_help_and_man_page_list_the_same_options(binary, tmp_path, page_sections, mode):
    titles = [t for t in page_sections if t.startswith(mode)]
    assert len(titles) == 1, f"man page needs one subsection starting {mode!r}: {list(page_sections)}"
    in_page = options(page_sections[titles[0]])
    in_help = options(help_text(binary, MODES[mode], tmp_path))
    assert in_help, "found no option in the help text"
    missing = sorted(in_help - in_page)
    extra = sorted(in_page - in_help)
    assert not missing and not extra, (
        f"{mode}: in --help but not in man/ns-metadata-proxy.8: {missing}; "
        f"in the man page but not in --help: {extra}")


def test_the_comparison_sees_a_missing_option(binary, tmp_path, page_sections):
    # The check above is not vacuous: a page without one node option fails it.
    body = page_sections[[t for t in page_sections if t.startswith("node")][0]]
    without = body.replace("--pid_file", "")
    in_help = options(help_text(binary, MODES["node"], tmp_path))
    assert in_help - options(without) == {"--pid_file"}


def test_mandoc_lint_is_clean():
    run = subprocess.run(["mandoc", "-T", "lint", MAN], capture_output=True, timeout=30)
    # Whether another package's page (sd_notify(3), haproxy(1)) is installed, and
    # whether mandoc's database is current, depend on the machine, not on the page.
    machine = re.compile(r"referenced manual not found|outdated mandoc\.db")
    messages = [line for line in (run.stdout + run.stderr).decode().splitlines()
                if line and not machine.search(line)]
    assert not messages, "\n".join(messages)


def test_groff_has_no_warnings():
    # What lintian runs on an installed page.
    env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80")
    run = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", MAN],
                         capture_output=True, timeout=30, env=env)
    assert run.returncode == 0 and not run.stderr, run.stderr.decode()


def project_version():
    with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
        m = re.search(r"^project\(ns-metadata-proxy VERSION ([0-9.]+)", f.read(), re.M)
    assert m, "CMakeLists.txt has no project(ns-metadata-proxy VERSION x.y.z)"
    return m.group(1)


def check_commit(commit):
    """`git describe --always --dirty` output at build time, or "unknown"."""
    if commit == "unknown":
        return
    m = re.fullmatch(r"(?:.+-g)?([0-9a-f]{7,40})(-dirty)?", commit)
    assert m, f"commit {commit!r} is not what git describe prints"
    inside = subprocess.run(["git", "-C", ROOT, "rev-parse", "--git-dir"], capture_output=True,
                            timeout=10)
    if inside.returncode == 0:
        known = subprocess.run(["git", "-C", ROOT, "cat-file", "-e", m.group(1) + "^{commit}"],
                               capture_output=True, timeout=10)
        assert known.returncode == 0, f"{commit}: no such commit in {ROOT}"


def test_version_names_the_project_version_and_commit(binary):
    run = subprocess.run([binary, "--version"], capture_output=True, timeout=10)
    assert run.returncode == 0
    m = re.fullmatch(r"ns-metadata-proxy (\S+) \(commit (\S+)\)\n", run.stdout.decode())
    assert m, run.stdout
    assert m.group(1) == project_version()
    check_commit(m.group(2))


def test_haproxy_version_names_the_same(binary, tmp_path):
    link = tmp_path / "haproxy"
    link.symlink_to(binary)
    run = subprocess.run([str(link), "-v"], capture_output=True, timeout=10)
    assert run.returncode == 0
    native = subprocess.run([binary, "--version"], capture_output=True, timeout=10)
    version, commit = re.fullmatch(r"ns-metadata-proxy (\S+) \(commit (\S+)\)\n",
                                   native.stdout.decode()).groups()
    assert run.stdout.decode() == (
        f"ns-metadata-proxy version {version} (commit {commit}; haproxy-compatible mode)\n")
