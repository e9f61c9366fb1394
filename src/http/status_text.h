// Reason phrases of the status codes this binary sends (RFC 9110 section 15):
// the proxy's local replies and the metadata server's answers. One table.
#pragma once

namespace nsmp::http {

// "Not Found" for 404; "Unknown" for a code no part of the binary sends.
const char* statusText(int status);

}  // namespace nsmp::http
