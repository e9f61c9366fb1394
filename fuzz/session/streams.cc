#include "fuzz/session/streams.h"

#include "http/body_decoder.h"
#include "http/header_names.h"
#include "http/request.h"
#include "http/response.h"

namespace nsmp::fuzz {
namespace {

class Discard final : public http::BodySink {
 public:
  void onBodyData(std::string_view) override {}
};

// The target as the proxy writes it upstream (RFC 9112 §3.2.1).
std::string upstreamLine(const http::RequestHead& head) {
  std::string_view target = head.facts.target;
  return std::string(head.fields.method) + (target.front() == '?' ? " /" : " ") +
         std::string(target);
}

}  // namespace

std::vector<AgentRequest> requestsReceived(std::string_view stream) {
  std::vector<AgentRequest> out;
  while (!stream.empty()) {
    AgentRequest r;
    http::HeadScanner scanner;
    http::RequestHead head;
    http::HeadStep step = http::readRequestHead(scanner, stream, &head);
    if (step.progress == http::HeadProgress::kIncomplete) {
      out.push_back(r);
      break;
    }
    r.complete_head = true;
    if (step.progress == http::HeadProgress::kRejected) {
      out.push_back(r);
      break;
    }
    r.valid = true;
    r.request_line = upstreamLine(head);
    for (const http::Header& h : head.fields.headers()) {
      if (h.name.find('_') != std::string_view::npos) r.underscore = true;
      if (http::equalsIgnoreCase(h.name, "X-Neutron-Network-ID")) {
        ++r.identity_fields;
        if (h.value != "net-fuzz") r.identity_is_ours = false;
      } else if (http::equalsIgnoreCase(h.name, "X-Forwarded-For")) {
        ++r.forwarded_fields;
        r.forwarded = std::string(h.value);
      } else if (http::classifyRequestHeader(h.name) == http::HeaderClass::kIdentity) {
        r.foreign_identity = true;
      }
    }
    http::BodyDecoder body;
    body.start(head.facts.body, head.facts.content_length);
    Discard sink;
    size_t used = body.decode(stream.substr(head.size), sink);
    r.complete = body.done();
    out.push_back(r);
    if (!r.complete) break;
    stream.remove_prefix(head.size + used);
  }
  return out;
}

std::vector<SentRequest> requestsSent(std::string_view stream, uint64_t max_body) {
  std::vector<SentRequest> out;
  while (!stream.empty()) {
    http::HeadScanner scanner;
    http::RequestHead head;
    if (http::readRequestHead(scanner, stream, &head).progress != http::HeadProgress::kComplete) {
      break;
    }
    http::BodyDecoder body;
    body.start(head.facts.body, head.facts.content_length, max_body);
    if (body.failed()) break;  // refused from its head (413)
    // A head with a Content-Length body goes to the agent before its body is
    // in: the request counts from its head on.
    out.push_back({upstreamLine(head), head.facts.head_method});
    Discard sink;
    size_t used = body.decode(stream.substr(head.size), sink);
    if (!body.done()) break;
    stream.remove_prefix(head.size + used);
  }
  return out;
}

std::vector<ReceivedResponse> responsesReceived(std::string_view stream,
                                                const std::vector<SentRequest>& sent, bool closed) {
  std::vector<ReceivedResponse> out;
  while (!stream.empty()) {
    const size_t i = out.size();
    const bool head_request = i < sent.size() && sent[i].head_method;
    http::HeadScanner scanner(http::HeadLimits{}, /*request=*/false);
    http::ResponseHead head;
    http::HeadStep step = http::readResponseHead(scanner, stream, head_request, &head);
    ReceivedResponse r;
    if (step.progress == http::HeadProgress::kIncomplete) {
      r.valid = true;  // cut short: complete stays false
      out.push_back(r);
      break;
    }
    if (step.progress == http::HeadProgress::kRejected) {
      out.push_back(r);
      break;
    }
    r.valid = true;
    r.status = head.fields.status;
    for (const http::Header& h : head.fields.headers()) {
      if (http::equalsIgnoreCase(h.name, "X-Fuzz-Seq")) r.marker = std::string(h.value);
    }
    stream.remove_prefix(head.size);
    if (r.status < 200) continue;  // interim
    if (head_request && r.status == 408 && !head.fields.keep_alive) {
      // A 408 that closes may precede the request it is taken to answer (sent
      // at the http-request timeout, before the VM's first byte): then it
      // has its body. Either way nothing can follow it.
      const std::string_view rest = stream;
      r.complete = rest.empty() || rest.size() == head.fields.content_length;
      out.push_back(r);
      break;
    }
    http::BodyDecoder body;
    body.start(head.fields);
    Discard sink;
    size_t used = body.decode(stream, sink);
    if (!body.done() && closed && !body.failed()) body.finish();
    r.complete = body.done();
    out.push_back(r);
    if (!r.complete) break;
    stream.remove_prefix(used);
  }
  return out;
}

}  // namespace nsmp::fuzz
