// What a peer sent, made safe to put in a log line. A request target or a
// header value comes from a VM; written raw, a CR or LF would forge a second
// log line, an ESC would drive the operator's terminal, and a '"' would end
// the quoted field early and make the rest look like our own fields.
#pragma once

#include <string>
#include <string_view>

namespace nsmp::log {

// Appends `text` to *out with every byte outside printable ASCII (below 0x20,
// 0x7f and above: control characters, non-ASCII) and every '"' and '\'
// written as "\xHH" (two lowercase hex digits), so an escape in the output
// always stands for an escaped byte and the text reads back unambiguously.
void appendEscaped(std::string_view text, std::string* out);

// The same, as a new string.
std::string escaped(std::string_view text);

}  // namespace nsmp::log
