"""debian/changelog names CMake's project version (the one source of truth), and
the binary reports it. (debian/rules refuses to build otherwise; this catches a
version bump without a changelog entry before anyone builds the package.)
"""
import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def cmake_version():
    with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
        return re.search(r"^project\(ns-metadata-proxy VERSION ([0-9.]+)", f.read(), re.M).group(1)


@pytest.mark.skipif(shutil.which("dpkg-parsechangelog") is None, reason="needs dpkg-dev")
def test_changelog_names_the_cmake_version(binary):
    run = subprocess.run(["dpkg-parsechangelog", "-l", os.path.join(ROOT, "debian", "changelog"),
                          "-S", "Version"], capture_output=True, text=True, timeout=30, check=True)
    # A native package: the Debian version is the upstream version itself.
    assert run.stdout.strip() == cmake_version(), (
        f"debian/changelog says {run.stdout.strip()}, CMakeLists.txt {cmake_version()}: "
        f"add an entry (dch -v {cmake_version()})")
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
    assert version.stdout.startswith(f"ns-metadata-proxy {cmake_version()} ")
