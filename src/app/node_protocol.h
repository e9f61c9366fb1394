// The meaning of the node's control lines (docs/node.md): a JSON request in,
// a JSON reply out, each on one line. Listener options are read by the same
// parsers as a single proxy's (app/cli, haproxy/config_parser), so a mistake
// gets the same message in both places.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "node/node.h"

namespace nsmp::app {

// Takes the reply line (without its newline); called exactly once.
using ReplyTo = std::function<void(std::string line)>;

// Answers one request line through `reply`: at once, or for an add that
// waits for the root helper, when the node has opened the sockets.
void handleControlLine(node::Node& node, std::string_view line, const ReplyTo& reply);

// The reply to a request line longer than node::ControlServer::kMaxLine.
std::string controlLineTooLongReply();

}  // namespace nsmp::app
