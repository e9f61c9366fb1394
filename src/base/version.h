// What this binary is: the project version (CMake's project(VERSION), the
// one source of truth; debian/changelog must agree) and the commit it was
// built from (`git describe --always --dirty` at build time, "unknown" outside
// a git checkout; see cmake/GitCommit.cmake).
#pragma once

namespace nsmp {

const char* projectVersion();  // "0.1.0"
const char* buildCommit();     // "c8889ef", "c8889ef-dirty", "v0.1.0-3-gabc1234" or "unknown"

}  // namespace nsmp
