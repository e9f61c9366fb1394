// The id a listener serves for: Neutron's network or router UUID (or OVN's
// network id). It is sent as the identity header value, names files
// (<state_path>/ns-metadata-proxy/<id>.conf for --engine haproxy and
// `cleanup`, ns-metadata-proxy-<id>.log under --log-dir), tags syslog and the
// node's log lines, and is written into a generated haproxy config. Every
// producer (the Neutron command line, the haproxy config reader, the node's
// `ctl add`, `cleanup`) checks it with isSafeId() and nothing else, so an id
// one of them accepts is safe in all of those places.
#pragma once

#include <string>
#include <string_view>

namespace nsmp::proxy {

// 1-255 bytes of printable ASCII (0x21-0x7e) except '/', '\', '"', '\'',
// '#' and '%', and neither "." nor "..": one path component that stays
// inside its directory, one header token, one haproxy config word without
// quoting (haproxy reads '#' as a comment, quotes and '\' as quoting, and
// '%' as a log-format expression).
bool isSafeId(std::string_view id);

// Why isSafeId(id) is false, for a message after the option or directive:
// "'../x' must be 1-255 printable ASCII characters ...". The id is quoted
// escaped (log::escaped), and left out when empty or too long to show.
std::string idProblem(std::string_view id);

}  // namespace nsmp::proxy
