// The meaning of the node's control lines (docs/node.md): a JSON request in,
// a JSON reply out, each on one line. Listener options are read by the same
// parsers as a single proxy's (app/cli, haproxy/config_parser), so a mistake
// gets the same message in both places.
#pragma once

#include <string>
#include <string_view>

#include "node/node.h"

namespace nsmp::app {

std::string handleControlLine(node::Node& node, std::string_view line);

// The reply to a request line longer than node::ControlServer::kMaxLine.
std::string controlLineTooLongReply();

}  // namespace nsmp::app
