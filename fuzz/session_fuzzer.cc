// Fuzzes the proxy's real session code -- the same Worker, Listener, Session
// and agent pool the binary runs -- with several VM connections and an agent
// at once, their bytes interleaved in fuzzer-chosen pieces and orders, the
// agent's answers and the passing of time taken from the input too (see
// fuzz/session/world.h). On every input it checks:
//  - no crash, no sanitizer report;
//  - every request the agent receives passes the proxy's own checks and
//    carries exactly one identity header (ours) and one X-Forwarded-For
//    (the address of a VM that sent that very request line), nothing else
//    that names an identity, and no '_' field name;
//  - every VM gets valid, complete responses, in the order it asked, each
//    relaying an answer the agent gave to that VM's request (never another
//    VM's);
//  - the heap stays within a fixed bound per open connection;
//  - once every timeout has passed, no session and no agent connection is
//    left, and the process holds the descriptors it held before.
//
// Input: byte 0 chooses the listener's options; then operations, each one
// byte (the operation) and its operands.
#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <dirent.h>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "base/log.h"
#include "fuzz/invariant.h"
#include "fuzz/session/streams.h"
#include "fuzz/session/world.h"
#include "proxy/listener.h"

#if defined(__SANITIZE_ADDRESS__)
#define NSMP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NSMP_ASAN 1
#endif
#endif
#ifdef NSMP_ASAN
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace {

using namespace nsmp;
using fuzz::check;

size_t heapBytes() {
#ifdef NSMP_ASAN
  return __sanitizer_get_current_allocated_bytes();
#else
  struct mallinfo2 m = ::mallinfo2();
  return m.uordblks + m.hblkhd;
#endif
}

size_t openFds() {
  size_t n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (::readdir(d)) ++n;
    ::closedir(d);
  }
  return n;
}

// What one connection may hold: four bounded buffers (a head and a rewritten
// head each way, ~49 KiB, rounded up by the buffer's doubling), a chunked
// request body (max_body), and the agent connection's objects.
constexpr size_t kPerConnection = 4 * 64 * 1024 + 64 * 1024;
// Free buffer blocks kept for reuse (32 x 16 KiB), the fuzzer's own tables.
constexpr size_t kSlack = 1 << 20;

class Input {
 public:
  Input(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  bool empty() const { return p_ == end_; }
  uint8_t byte() { return p_ < end_ ? *p_++ : 0; }
  std::string_view bytes(size_t n) {
    n = std::min<size_t>(n, static_cast<size_t>(end_ - p_));
    std::string_view s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// Requests a VM makes, so the fuzzer starts from real traffic; a unique path
// per request lets the order checks tell them apart.
std::string clientTemplate(uint8_t which, unsigned n) {
  const std::string path = "/openstack/" + std::to_string(n);
  switch (which % 9) {
    case 0:
      return "GET " + path + " HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n";
    case 1:
      return "GET " + path + " HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
    case 2:
      return "HEAD " + path + " HTTP/1.1\r\nHost: h\r\n\r\n";
    case 3:
      return "POST " + path + " HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
    case 4:
      return "POST " + path +
             " HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n"
             "0\r\nT: v\r\n\r\n";
    case 5:
      return "POST " + path +
             " HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n";
    case 6:
      return "GET " + path + " HTTP/1.0\r\n\r\n";
    case 7:
      return "GET " + path +
             " HTTP/1.1\r\nHost: h\r\nX-Neutron-Network-ID: spoof\r\nX_Neutron_Router_ID: r\r\n"
             "X-Forwarded-For: 203.0.113.9\r\nForwarded: for=203.0.113.9\r\n\r\n";
    default:
      return "GET http://h" + path + "?q HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n";
  }
}

void agentTemplate(fuzz::World& w, size_t conn, uint8_t which, std::string_view body) {
  const std::string len = std::to_string(body.size());
  switch (which % 7) {
    case 0:
      return w.agentAnswer(conn, "HTTP/1.1 200 OK",
                           "Content-Length: " + len + "\r\n\r\n" + std::string(body), true);
    case 1: {
      std::string chunked;
      if (!body.empty()) chunked = fmt::format("{:x}\r\n{}\r\n", body.size(), body);
      return w.agentAnswer(conn, "HTTP/1.1 200 OK",
                           "Transfer-Encoding: chunked\r\n\r\n" + chunked + "0\r\nT: v\r\n\r\n",
                           true);
    }
    case 2:
      return w.agentAnswer(conn, "HTTP/1.1 100 Continue", "\r\n", false);
    case 3:
      return w.agentAnswer(conn, "HTTP/1.1 204 No Content", "\r\n", true);
    case 4:  // delimited by close
      w.agentAnswer(conn, "HTTP/1.0 200 OK", "\r\n" + std::string(body), true);
      return w.agentClose(conn);
    case 5:
      return w.agentAnswer(
          conn, "HTTP/1.1 404 Not Found",
          "Connection: keep-alive\r\nContent-Length: " + len + "\r\n\r\n" + std::string(body),
          true);
    default:
      return w.agentAnswer(
          conn, "HTTP/1.1 200 OK",
          "Content-Length: " + std::to_string(body.size() + 7) + "\r\n\r\n" + std::string(body),
          true);  // cut short: the agent then closes or times out
  }
}

void checkMemory(const fuzz::World& w, size_t baseline) {
  const size_t connections = w.liveSessions() + w.agentCount();
  check(heapBytes() <= baseline + kSlack + connections * (kPerConnection + w.maxBody()),
        "the heap stays within a bound per connection");
}

void checkAgentSide(const fuzz::World& w) {
  // What each VM asked, by address.
  std::vector<std::vector<std::string>> asked(fuzz::kAddresses);
  // An address whose VM sent more than its record holds: what it asked is
  // not fully known, so requests naming it are not matched to a line.
  std::vector<bool> unknown(fuzz::kAddresses, false);
  for (const auto& c : w.clients()) {
    if (!c->sent.complete()) {
      unknown[c->address] = true;
      continue;
    }
    for (const fuzz::SentRequest& s : fuzz::requestsSent(c->sent.view(), w.maxBody())) {
      asked[c->address].push_back(s.request_line);
    }
  }
  for (const auto& a : w.agents()) {
    if (!a->received.complete()) continue;
    for (const fuzz::AgentRequest& r : fuzz::requestsReceived(a->received.view())) {
      if (!r.complete_head) break;
      check(r.valid, "the agent gets only heads the proxy itself accepts");
      check(r.identity_fields == 1 && r.identity_is_ours, "exactly one identity header, ours");
      check(r.forwarded_fields == 1, "exactly one X-Forwarded-For");
      check(!r.foreign_identity, "no other identity header reaches the agent");
      check(!r.underscore, "no '_' field name reaches the agent");
      bool sender = false;
      for (size_t address = 0; address < fuzz::kAddresses; ++address) {
        if (w.addressText(address) != r.forwarded) continue;
        sender = sender || unknown[address];
        for (const std::string& line : asked[address]) sender = sender || line == r.request_line;
      }
      check(sender, "X-Forwarded-For names the VM that sent the request");
    }
  }
}

void checkClientSide(const fuzz::World& w) {
  for (const auto& c : w.clients()) {
    if (!c->sent.complete() || !c->received.complete()) continue;
    const bool closed = c->eof || c->fd < 0;
    auto sent = fuzz::requestsSent(c->sent.view(), w.maxBody());
    auto got = fuzz::responsesReceived(c->received.view(), sent, closed);
    check(got.size() <= sent.size() + 1, "at most one response per request, and one refusal");
    for (size_t i = 0; i < got.size(); ++i) {
      const fuzz::ReceivedResponse& r = got[i];
      check(r.valid, "every response head the VM gets is valid");
      check(r.complete || (i + 1 == got.size() && closed),
            "responses are complete, but for the last one of a closed connection");
      if (r.marker.empty()) continue;
      const fuzz::AgentAnswer* a = w.answer(r.marker);
      check(a != nullptr, "a marked response relays an agent answer");
      if (!a->known) continue;
      check(a->forwarded == w.addressText(c->address), "a VM gets only answers to its requests");
      check(i < sent.size() && a->request_line == sent[i].request_line,
            "responses come in the order of the requests");
    }
  }
}

void checkQuiet(const fuzz::World& w) {
  check(w.liveSessions() == 0, "no session outlives every timeout");
  for (const auto& c : w.clients()) {
    check(c->fd < 0 || c->eof, "every VM connection is closed in the end");
  }
  for (const auto& a : w.agents()) {
    check(a->fd < 0 || a->eof, "every agent connection is closed in the end");
  }
}

const fuzz::World* g_world = nullptr;

// Printable, at most `max` bytes.
std::string shown(std::string_view s, size_t max = 2000) {
  std::string out;
  for (char c : s.substr(0, max)) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n\n    ";
    } else if (u < 0x20 || u >= 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  return s.size() > max ? out + "..." : out;
}

void describe() {
  if (!g_world) return;
  for (const auto& c : g_world->clients()) {
    std::fprintf(stderr, "VM %s (fd %d, eof %d) sent:\n    %s\n  received:\n    %s\n",
                 g_world->addressText(c->address).c_str(), c->fd, c->eof,
                 shown(c->sent.view()).c_str(), shown(c->received.view()).c_str());
  }
  for (const auto& a : g_world->agents()) {
    std::fprintf(stderr, "agent connection %zu (fd %d, eof %d) received:\n    %s\n", a->id, a->fd,
                 a->eof, shown(a->received.view()).c_str());
  }
}

void run(Input& in) {
  const uint8_t flags = in.byte();
  fuzz::World::Options options;
  options.upstream_keepalive = (flags & 1) != 0 ? 4 : 0;
  options.rate_limit = (flags & 2) != 0;
  options.maxconn_per_source = (flags & 4) != 0 ? 2 : 0;
  options.max_body = (flags & 8) != 0 ? 64 : 64 * 1024;
  fuzz::World w(options);
  g_world = &w;
  fuzz::g_describe = describe;
  const size_t baseline = heapBytes();
  unsigned requests = 0;
  for (int ops = 0; !in.empty() && ops < 256; ++ops) {
    const uint8_t op = in.byte();
    const size_t k = in.byte();
    switch (op % 14) {
      case 0:
        w.clientSend(k, in.bytes(in.byte() + 1u));
        break;
      case 1:
        w.clientSend(k, clientTemplate(in.byte(), requests++));
        break;
      case 2: {  // many bytes: a flood of one pattern
        std::string_view pattern = in.bytes(in.byte() % 8 + 1u);
        const size_t total = (in.byte() + 1u) * 8 * 1024;  // up to 2 MiB
        std::string flood;
        flood.reserve(total);
        while (!pattern.empty() && flood.size() < total) flood += pattern;
        w.clientSend(k, flood);
        break;
      }
      case 3:
        w.clientShutWrite(k);
        break;
      case 4:
        w.clientClose(k);
        break;
      case 5:
        w.clientOpen(k);
        break;
      case 6:
        w.clientRead(k);
        break;
      case 7:
        w.agentSend(k, in.bytes(in.byte() + 1u));
        break;
      case 8:
        agentTemplate(w, k, in.byte(), in.bytes(in.byte() % 64));
        break;
      case 9:
        if (k % 2 == 0) {
          w.agentClose(k / 2);
        } else {
          w.agentShutWrite(k / 2);
        }
        break;
      case 10:
        w.agentRead(k);
        break;
      case 11:
        w.advance(event::Millis(k * 250));
        break;
      case 12:
        if (k % 8 == 0) w.shutdown();
        break;
      default:
        w.agentToggleListening();
        break;
    }
    checkMemory(w, baseline);
  }
  w.finish();
  checkAgentSide(w);
  checkClientSide(w);
  checkQuiet(w);
  g_world = nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Access lines are not the point here.
  static const bool quiet = log::useFile("/dev/null").ok();
  (void)quiet;
  const size_t fds = openFds();
  {
    Input in(data, size);
    run(in);
  }
  check(openFds() == fds, "every descriptor is given back");
  return 0;
}
