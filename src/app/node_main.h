// `ns-metadata-proxy node` (the daemon serving every namespace of a node) and
// `ns-metadata-proxy ctl` (its command-line client). See docs/node.md.
#pragma once

namespace nsmp::app {

// argv[0] is "node" / "ctl". Return the process exit status.
int nodeMain(int argc, char** argv);
int ctlMain(int argc, char** argv);

// Where both look for the control socket without --control.
inline constexpr const char* kDefaultControlPath = "/run/ns-metadata-proxy.sock";

}  // namespace nsmp::app
