#include "http/reply.h"

#include <cstddef>

namespace nsmp::http {
namespace {

constexpr ReplyInfo kTable[] = {
    {0, "", "-"},
    {400, "Bad Request", "invalid_request"},
    {400, "Bad Request", "content_length_and_transfer_encoding"},
    {400, "Bad Request", "invalid_transfer_encoding"},
    {400, "Bad Request", "invalid_content_length"},
    {400, "Bad Request", "obs_fold"},
    {400, "Bad Request", "bare_cr_or_lf"},
    {400, "Bad Request", "invalid_header_name"},
    {400, "Bad Request", "invalid_header_value"},
    {400, "Bad Request", "invalid_chunk"},
    {400, "Bad Request", "chunk_line_too_long"},
    {400, "Bad Request", "transfer_encoding_on_http10"},
    {400, "Bad Request", "missing_host"},
    {400, "Bad Request", "duplicate_host"},
    {400, "Bad Request", "foreign_absolute_uri"},
    {400, "Bad Request", "connect_method"},
    {400, "Bad Request", "http09"},
    {505, "HTTP Version Not Supported", "unsupported_version"},
    {414, "URI Too Long", "uri_too_long"},
    {431, "Request Header Fields Too Large", "headers_too_large"},
    {431, "Request Header Fields Too Large", "too_many_headers"},
    {431, "Request Header Fields Too Large", "trailers_too_large"},
    {413, "Content Too Large", "body_too_large"},
    {408, "Request Timeout", "request_timeout"},
    {417, "Expectation Failed", "expectation_failed"},
    {429, "Too Many Requests", "rate_limited"},
    {429, "Too Many Requests", "too_many_connections"},
    {503, "Service Unavailable", "upstream_unavailable"},
    {504, "Gateway Timeout", "upstream_timeout"},
    {502, "Bad Gateway", "invalid_upstream_response"},
    {502, "Bad Gateway", "upstream_head_too_large"},
};
static_assert(sizeof kTable / sizeof kTable[0] == static_cast<size_t>(Reply::kCount));

}  // namespace

const ReplyInfo& replyInfo(Reply r) { return kTable[static_cast<size_t>(r)]; }

}  // namespace nsmp::http
