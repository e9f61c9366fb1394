#include "http/reply.h"

#include <cstddef>

namespace nsmp::http {
namespace {

constexpr ReplyInfo kTable[] = {
    {0, "-"},
    {400, "invalid_request"},
    {400, "content_length_and_transfer_encoding"},
    {400, "invalid_transfer_encoding"},
    {400, "invalid_content_length"},
    {400, "obs_fold"},
    {400, "bare_cr_or_lf"},
    {400, "invalid_header_name"},
    {400, "invalid_header_value"},
    {400, "invalid_chunk"},
    {400, "chunk_line_too_long"},
    {400, "transfer_encoding_on_http10"},
    {400, "missing_host"},
    {400, "duplicate_host"},
    {400, "foreign_absolute_uri"},
    {400, "connect_method"},
    {400, "http09"},
    {505, "unsupported_version"},
    {414, "uri_too_long"},
    {431, "headers_too_large"},
    {431, "too_many_headers"},
    {431, "trailers_too_large"},
    {413, "body_too_large"},
    {408, "request_timeout"},
    {417, "expectation_failed"},
    {429, "rate_limited"},
    {429, "too_many_connections"},
    {503, "upstream_unavailable"},
    {504, "upstream_timeout"},
    {502, "invalid_upstream_response"},
    {502, "upstream_head_too_large"},
};
static_assert(sizeof kTable / sizeof kTable[0] == static_cast<size_t>(Reply::kCount));

}  // namespace

const ReplyInfo& replyInfo(Reply r) { return kTable[static_cast<size_t>(r)]; }

}  // namespace nsmp::http
