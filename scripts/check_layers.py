#!/usr/bin/env python3
"""Checks that src/ keeps its layers (ctest label `layers`).

Every folder of src/ is a layer; each holds one or more CMake libraries
(nsmp_library in its CMakeLists.txt). The order, lowest first (a layer may
include only layers on an earlier line; layers on one line are peers and may
not include each other):

    base                        Status/Result, buffers, logging, the version
    event                       epoll loop, timers, signals
    net                         fds, addresses, sockets, Stream, Acceptor
    http                        head scanner/parser/writer, replies, identity
    proxy daemon                the engine; process plumbing (pidfile, privileges)
    haproxy metadata node metrics
                                haproxy's config and command line; the built-in
                                metadata server; the node of many namespaces;
                                Prometheus text and health of the proxy's counters
    app                         command lines and main()

For each `#include "layer/file.h"` in src/ this fails when:
  - the layer is above the including file's layer or beside it;
  - the header belongs to a library that the including file's library does
    not link directly (its DEPS): CMake would let it compile through a
    library that links it (PUBLIC), but the use would not be written down;
  - the path climbs out with `..` or names no file.
A header belongs to the library whose SOURCES has the .cc of the same name,
else to the first library of its folder. The compiler enforces a part of this
on its own (cmake/Warnings.cmake: a layer's headers are visible only to
targets that link it).

Usage: check_layers.py [SRC_DIR]    (default: src/ next to this script)
"""

import pathlib
import re
import sys

ORDER = [
    ["base"],
    ["event"],
    ["net"],
    ["http"],
    ["proxy", "daemon"],
    ["haproxy", "metadata", "node", "metrics"],
    ["app"],
]
RANK = {layer: rank for rank, line in enumerate(ORDER) for layer in line}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
COMMAND = re.compile(r"\b(nsmp_library|add_executable|target_link_libraries)\s*\(([^)]*)\)", re.S)
KEYWORDS = {"SOURCES", "DEPS", "PRIVATE", "PUBLIC", "INTERFACE", "STATIC"}


class Library:
    def __init__(self, name, layer):
        self.name = name
        self.layer = layer
        self.sources = []
        self.deps = set()


def parse_layer(folder):
    """The libraries (and executables) defined in one layer's CMakeLists.txt."""
    text = (folder / "CMakeLists.txt").read_text()
    text = re.sub(r"#[^\n]*", "", text)
    libraries = {}
    for command, body in COMMAND.findall(text):
        words = body.split()
        name, rest = words[0], words[1:]
        if command == "target_link_libraries":
            if name in libraries:
                libraries[name].deps.update(w for w in rest if w not in KEYWORDS)
            continue
        library = libraries.setdefault(name, Library(name, folder.name))
        section = "SOURCES" if command == "add_executable" else None
        for word in rest:
            if word in KEYWORDS:
                section = word
            elif section == "SOURCES":
                library.sources.append(word)
            elif section == "DEPS":
                library.deps.add(word)
    return list(libraries.values())


def owners(src):
    """Maps every file of src/ (as "layer/file") to the library it belongs to."""
    owner = {}
    for folder in sorted(p for p in src.iterdir() if (p / "CMakeLists.txt").exists()):
        if folder.name not in RANK:
            sys.exit(f"check_layers.py: src/{folder.name} is in no layer: add it to ORDER")
        libraries = parse_layer(folder)
        by_stem = {}
        for library in libraries:
            for source in library.sources:
                by_stem[pathlib.Path(source).stem] = library
        first = next(l for l in libraries if l.sources)
        for path in sorted(folder.iterdir()):
            if path.suffix in (".cc", ".h"):
                owner[f"{folder.name}/{path.name}"] = by_stem.get(path.stem, first)
    return owner


def check(src):
    owner = owners(src)
    errors = []
    for name, library in sorted(owner.items()):
        layer = library.layer
        text = (src / name).read_text()
        for included in INCLUDE.findall(text):
            where = f"src/{name}: #include \"{included}\""
            if "/" not in included:
                continue  # a generated header in the target's own include path
            if ".." in included.split("/"):
                errors.append(f"{where}: climbs out with '..'; name it from src/")
                continue
            target_layer = included.split("/")[0]
            if target_layer not in RANK:
                continue  # a system or third-party header written with quotes
            target = owner.get(included)
            if target is None:
                errors.append(f"{where}: no such file in src/")
                continue
            if target_layer != layer and RANK[target_layer] >= RANK[layer]:
                relation = "beside" if RANK[target_layer] == RANK[layer] else "above"
                errors.append(
                    f"{where}: layer '{target_layer}' is {relation} '{layer}' "
                    f"(order in scripts/check_layers.py); move the code down or invert the call")
                continue
            if target is not library and target.name not in library.deps:
                errors.append(
                    f"{where}: {library.name} does not link {target.name}; "
                    f"add it to DEPS in src/{layer}/CMakeLists.txt")
    return errors


def main():
    src = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else
                       pathlib.Path(__file__).resolve().parent.parent / "src")
    errors = check(src)
    for error in errors:
        print(error)
    if errors:
        print(f"check_layers.py: {len(errors)} include(s) break the layers")
        return 1
    print(f"check_layers.py: layers kept in {src}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
