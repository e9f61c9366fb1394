#include "http/request.h"

#include <charconv>

#include "http/chars.h"
#include "http/head_writer.h"
#include "http/header_names.h"

namespace nsmp::http {
namespace {

// The field closeUpstreamHead() adds, at its longest.
constexpr std::string_view kLongestLengthField = "Content-Length: 18446744073709551615\r\n";

bool allDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// RFC 3986 host[:port] as it may appear in Host: no userinfo, path or spaces.
bool validHost(std::string_view h) {
  for (char c : h) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '/' || c == '\\' || c == '?' || c == '#' || c == '@' ||
        c == '"' || c == '<' || c == '>' || c == '{' || c == '}' || c == '|' || c == '^' ||
        c == '`') {
      return false;
    }
  }
  return true;
}

// "http://authority/path?q" -> authority and path; false if not absolute-form.
bool splitAbsolute(std::string_view target, std::string_view* authority, std::string_view* path) {
  constexpr std::string_view kHttp = "http://";
  if (target.size() < kHttp.size() || !equalsIgnoreCase(target.substr(0, kHttp.size()), kHttp)) {
    return false;
  }
  std::string_view rest = target.substr(kHttp.size());
  size_t slash = rest.find_first_of("/?");
  *authority = rest.substr(0, slash);
  *path = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
  return true;  // a path of "?query" gets its "/" when written (writeUpstreamHead)
}

// What analyzeRequest() gathers from the header fields.
struct HeaderTally {
  int hosts = 0;
  int lengths = 0;
  int encodings = 0;
  std::string_view host;    // the last Host value
  std::string_view length;  // the Content-Length value (repeats agree)
  bool expect_continue = false;
};

Reply tallyContentLength(std::string_view value, HeaderTally* t) {
  // Repeated fields must agree exactly (RFC 9110 §8.6); a list is refused.
  if (!allDigits(value)) return Reply::kInvalidContentLength;
  if (t->lengths++ > 0 && value != t->length) return Reply::kInvalidContentLength;
  t->length = value;
  return Reply::kNone;
}

Reply tallyTransferEncoding(std::string_view value, HeaderTally* t) {
  // Only a single "chunked" is framed unambiguously by every hop.
  if (++t->encodings > 1 || !equalsIgnoreCase(value, "chunked")) {
    return Reply::kInvalidTransferEncoding;
  }
  return Reply::kNone;
}

Reply tallyHeader(const Header& h, HeaderTally* t) {
  // Also catches whitespace before the colon (RFC 9112 §5.1: must be refused).
  if (!isToken(h.name)) return Reply::kInvalidHeaderName;
  switch (classifyRequestHeader(h.name)) {
    case HeaderClass::kHost:
      ++t->hosts;
      t->host = h.value;
      return Reply::kNone;
    case HeaderClass::kContentLength:
      return tallyContentLength(h.value, t);
    case HeaderClass::kTransferEncoding:
      return tallyTransferEncoding(h.value, t);
    case HeaderClass::kExpect:
      if (!equalsIgnoreCase(h.value, "100-continue")) return Reply::kExpectationFailed;
      t->expect_continue = true;
      return Reply::kNone;
    default:
      return Reply::kNone;
  }
}

// The framing and Host rules over the whole head, once its fields are tallied.
Reply checkFramingAndHost(const HeaderTally& t, uint8_t minor) {
  if (t.encodings > 0 && t.lengths > 0) return Reply::kContentLengthAndTransferEncoding;
  if (t.encodings > 0 && minor == 0) return Reply::kTransferEncodingOnHttp10;
  if (t.hosts > 1) return Reply::kDuplicateHost;
  if (t.hosts == 0 && minor >= 1) return Reply::kMissingHost;
  if (t.hosts == 1 && (t.host.empty() || !validHost(t.host))) return Reply::kInvalidRequest;
  return Reply::kNone;
}

// The body the head declares: facts->body and facts->content_length.
Reply readBodyFraming(const HeaderTally& t, RequestFacts* facts) {
  if (t.lengths > 0) {
    const char* end = t.length.data() + t.length.size();
    auto [p, ec] = std::from_chars(t.length.data(), end, facts->content_length);
    if (ec != std::errc() || p != end) return Reply::kInvalidContentLength;
    if (facts->content_length > 0) facts->body = BodyFraming::kLength;
  } else if (t.encodings > 0) {
    facts->body = BodyFraming::kChunked;
  }
  return Reply::kNone;
}

// The request target (RFC 9112 §3.2): facts->target, and facts->host from an
// absolute-form target.
Reply readTarget(const HeadFields& head, const HeaderTally& t, RequestFacts* facts) {
  const std::string_view target = head.target;
  const bool origin_form = !target.empty() && target.front() == '/';
  const bool asterisk_form = target == "*" && head.method_id == HTTP_OPTIONS;
  if (origin_form || asterisk_form) {
    facts->target = target;
    return Reply::kNone;
  }
  std::string_view authority, path;
  if (!splitAbsolute(target, &authority, &path)) return Reply::kInvalidRequest;
  // RFC 9112 §3.2.2: the authority replaces Host. The proxy serves one
  // host only, so a target naming any other host is refused.
  if (authority.empty() || !validHost(authority)) return Reply::kInvalidRequest;
  if (t.hosts == 1 && !equalsIgnoreCase(authority, t.host)) return Reply::kForeignAbsoluteUri;
  facts->target = path;
  facts->host = authority;
  facts->host_from_target = t.hosts == 0;
  return Reply::kNone;
}

}  // namespace

Reply replyForParseError(llhttp_errno_t err, std::string_view head) {
  switch (err) {
    case HPE_INVALID_VERSION: {
      // "GET /" with no version at all is HTTP/0.9; "HTTP/2.0" etc. is 505.
      std::string_view line = head.substr(0, head.find('\r'));
      if (line.find(' ') == line.rfind(' ')) return Reply::kHttp09;
      size_t v = line.rfind(" HTTP/");
      if (v != std::string_view::npos && line.size() == v + 9 && line[v + 7] == '.') {
        return Reply::kUnsupportedVersion;
      }
      return Reply::kInvalidRequest;
    }
    case HPE_INVALID_HEADER_TOKEN:
      return Reply::kInvalidHeaderName;
    case HPE_UNEXPECTED_CONTENT_LENGTH: {
      // llhttp reports both Content-Length with Transfer-Encoding and a
      // repeated Content-Length this way; tell them apart for the log.
      for (size_t at = head.find('\n'); at != std::string_view::npos;
           at = head.find('\n', at + 1)) {
        constexpr std::string_view kTe = "transfer-encoding:";
        if (equalsIgnoreCase(head.substr(at + 1, kTe.size()), kTe)) {
          return Reply::kContentLengthAndTransferEncoding;
        }
      }
      return Reply::kInvalidContentLength;
    }
    case HPE_INVALID_CONTENT_LENGTH:
      return Reply::kInvalidContentLength;
    case HPE_INVALID_TRANSFER_ENCODING:
      return Reply::kInvalidTransferEncoding;
    default:
      return Reply::kInvalidRequest;
  }
}

Reply replyForBodyError(BodyError err) {
  switch (err) {
    case BodyError::kChunkLineTooLong:
      return Reply::kChunkLineTooLong;
    case BodyError::kTrailersTooLarge:
      return Reply::kTrailersTooLarge;
    case BodyError::kBodyTooLarge:
      return Reply::kBodyTooLarge;
    default:
      return Reply::kInvalidChunk;
  }
}

Reply analyzeRequest(const HeadFields& head, RequestFacts* facts) {
  *facts = RequestFacts{};
  if (head.major == 0) return Reply::kHttp09;
  if (head.major != 1) return Reply::kUnsupportedVersion;
  if (head.method_id == HTTP_CONNECT) return Reply::kConnectMethod;
  facts->minor = head.minor;
  facts->keep_alive = head.keep_alive;
  facts->head_method = head.method_id == HTTP_HEAD;

  HeaderTally tally;
  for (const Header& h : head.headers()) {
    if (Reply r = tallyHeader(h, &tally); r != Reply::kNone) return r;
  }
  if (Reply r = checkFramingAndHost(tally, head.minor); r != Reply::kNone) return r;
  facts->host = tally.host;
  if (Reply r = readBodyFraming(tally, facts); r != Reply::kNone) return r;
  // 100-continue asks for the go-ahead to send a body; with none it is moot.
  facts->expect_continue = tally.expect_continue && facts->body != BodyFraming::kNone;
  return readTarget(head, tally, facts);
}

Reply writeUpstreamHead(const HeadFields& head, const RequestFacts& facts,
                        const UpstreamIdentity& identity, std::string_view peer_ip, Buffer& out,
                        bool keep_alive) {
  const ConnectionTokens connection(head);
  HeadWriter w(out);
  // RFC 9112 §3.2.1: an empty path is sent as "/" (absolute-form "http://h?q").
  w.put(head.method).put(facts.target.front() == '?' ? " /" : " ").put(facts.target);
  w.put(facts.minor == 0 ? " HTTP/1.0" : " HTTP/1.1");
  w.endStartLine();
  if (facts.host_from_target) w.field("Host", facts.host);
  for (const Header& h : head.headers()) {
    HeaderClass cls = classifyRequestHeader(h.name);
    if (cls == HeaderClass::kHost) {
      w.field(h.name, facts.host);
    } else if (cls == HeaderClass::kForward && !connection.lists(h.name)) {
      w.field(h.name, h.value);
    }
  }
  w.field(identity.header, identity.value);
  w.field("X-Forwarded-For", peer_ip);
  if (!keep_alive || facts.minor == 0) w.field("Connection", "close");
  if (facts.body == BodyFraming::kChunked) return w.finishOpen(kLongestLengthField.size());
  if (facts.body == BodyFraming::kLength) w.field("Content-Length", facts.content_length);
  return w.finish();
}

void closeUpstreamHead(Buffer& out, uint64_t content_length) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, content_length);
  out.append("Content-Length: ");
  out.append({digits, static_cast<size_t>(end - digits)});
  out.append("\r\n\r\n");
}

HeadStep readRequestHead(HeadScanner& scanner, std::string_view data, RequestHead* head) {
  switch (scanner.scan(data)) {
    case HeadScanner::State::kIncomplete:
      return {HeadProgress::kIncomplete};
    case HeadScanner::State::kError:
      return {HeadProgress::kRejected, scanner.error()};
    case HeadScanner::State::kComplete:
      break;
  }
  head->size = scanner.headEnd();
  std::string_view bytes = data.substr(0, head->size);
  if (llhttp_errno_t err = parseHead(bytes, HeadKind::kRequest, &head->fields); err != HPE_OK) {
    return {HeadProgress::kRejected, replyForParseError(err, bytes)};
  }
  if (Reply r = analyzeRequest(head->fields, &head->facts); r != Reply::kNone) {
    return {HeadProgress::kRejected, r};
  }
  return {HeadProgress::kComplete};
}

}  // namespace nsmp::http
