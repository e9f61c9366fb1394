// `ns-metadata-proxy metadata-server --socket PATH --data FILE [--debug]`:
// the built-in stand-in for Neutron's metadata agent and Nova's metadata API.
#pragma once

namespace nsmp::metadata {

// argv[0] is "metadata-server". Returns the process exit status: 0 after a
// clean SIGTERM/SIGINT shutdown, 1 when the data file or the socket is
// refused at start, 2 for a bad command line.
int metadataServerMain(int argc, char** argv);

}  // namespace nsmp::metadata
