// The per-request work of the proxy's data path on the request head, as
// Session::onHead does it: find the head's end (HeadScanner), parse it
// (llhttp), check it (analyzeRequest), and write the head the metadata agent
// receives (identity rewrite + serialise). One iteration = one request; the
// reported time is ns per request. The response side (upstream head -> client
// head) is measured too, since each request costs both.
#include <benchmark/benchmark.h>

#include <string>
#include <string_view>

#include "base/buffer.h"
#include "http/head_scanner.h"
#include "http/request.h"
#include "http/response.h"

namespace {

using nsmp::Buffer;
namespace http = nsmp::http;

constexpr std::string_view kNetworkId = "3f1c8e4a-6f5b-4d2e-9a7c-0b1d2e3f4a5b";
constexpr size_t kOutLimit = 64 * 1024;

// What wrk sends in bench/run.sh.
constexpr std::string_view kWrkHead =
    "GET /openstack/latest/meta_data.json HTTP/1.1\r\n"
    "Host: 169.254.169.254\r\n"
    "\r\n";

// cloud-init 22.4 (python-requests) fetching meta_data.json.
constexpr std::string_view kCloudInitHead =
    "GET /openstack/2018-08-27/meta_data.json HTTP/1.1\r\n"
    "Host: 169.254.169.254\r\n"
    "User-Agent: Cloud-Init/22.4.2\r\n"
    "Accept-Encoding: gzip, deflate\r\n"
    "Accept: */*\r\n"
    "Connection: keep-alive\r\n"
    "\r\n";

// A VM trying every spoofing trick: identity headers in several spellings,
// its own X-Forwarded-For, hop-by-hop names listed in Connection, and a
// dozen ordinary headers that must pass through in order.
constexpr std::string_view kSpoofHead =
    "GET /latest/meta-data/instance-id HTTP/1.1\r\n"
    "Host: 169.254.169.254\r\n"
    "User-Agent: curl/7.88.1\r\n"
    "Accept: */*\r\n"
    "X-Neutron-Router-ID: 11111111-2222-3333-4444-555555555555\r\n"
    "x-neutron-network-id: 66666666-7777-8888-9999-000000000000\r\n"
    "X_Neutron_Network_ID: 66666666-7777-8888-9999-000000000000\r\n"
    "X-Forwarded-For: 10.0.0.1, 10.0.0.2\r\n"
    "X-Instance-ID: i-0123456789\r\n"
    "Forwarded: for=10.0.0.1\r\n"
    "Connection: keep-alive, X-Trace\r\n"
    "X-Trace: abc\r\n"
    "Keep-Alive: timeout=5\r\n"
    "TE: trailers\r\n"
    "Accept-Language: en-US,en;q=0.9\r\n"
    "Cache-Control: no-cache\r\n"
    "Pragma: no-cache\r\n"
    "X-aws-ec2-metadata-token: AQAEAHh0b2tlbi1mb3ItdGhlLWJlbmNobWFyaw==\r\n"
    "Referer: http://169.254.169.254/latest/meta-data/\r\n"
    "DNT: 1\r\n"
    "\r\n";

// The metadata agent's answer as nginx (bench/run.sh's backend) sends it.
constexpr std::string_view kUpstreamResponseHead =
    "HTTP/1.1 200 OK\r\n"
    "Server: nginx/1.22.1\r\n"
    "Date: Sat, 28 Nov 2026 16:00:00 GMT\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 621\r\n"
    "Connection: close\r\n"
    "\r\n";

// One request head through the proxy's request path; false on any refusal.
bool rewriteRequest(std::string_view wire, http::HeadScanner& scanner, Buffer& out) {
  scanner.reset();
  http::RequestHead head;  // on the stack, as in the session
  if (http::readRequestHead(scanner, wire, &head).progress != http::HeadProgress::kComplete) {
    return false;
  }
  out.clear();
  return http::writeUpstreamHead(head.fields, head.facts, {"X-Neutron-Network-ID", kNetworkId},
                                 "192.0.2.10", out) == http::Reply::kNone;
}

void benchRequest(benchmark::State& state, std::string_view wire) {
  http::HeadScanner scanner;
  Buffer out(kOutLimit);
  if (!rewriteRequest(wire, scanner, out)) {
    state.SkipWithError("request refused");
    return;
  }
  // The rewrite must really have happened, or the figure means nothing.
  if (out.view().find(kNetworkId) == std::string_view::npos ||
      out.view().find("X-Forwarded-For: 192.0.2.10\r\n") == std::string_view::npos) {
    state.SkipWithError("identity headers missing from the upstream head");
    return;
  }
  for (auto _ : state) {
    bool ok = rewriteRequest(wire, scanner, out);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(wire.size()));
  state.counters["head_bytes"] = static_cast<double>(wire.size());
  state.counters["upstream_bytes"] = static_cast<double>(out.size());
}

void BM_RequestHeadRewrite_Wrk(benchmark::State& s) { benchRequest(s, kWrkHead); }
void BM_RequestHeadRewrite_CloudInit(benchmark::State& s) { benchRequest(s, kCloudInitHead); }
void BM_RequestHeadRewrite_Spoofing(benchmark::State& s) { benchRequest(s, kSpoofHead); }

// Scanning alone: the byte-by-byte checks before llhttp sees the head.
void BM_HeadScanOnly_CloudInit(benchmark::State& state) {
  http::HeadScanner scanner;
  for (auto _ : state) {
    scanner.reset();
    auto st = scanner.scan(kCloudInitHead);
    benchmark::DoNotOptimize(st);
  }
}

void BM_ResponseHeadRewrite(benchmark::State& state) {
  http::HeadScanner scanner(http::HeadLimits{}, /*request=*/false);
  Buffer out(kOutLimit);
  for (auto _ : state) {
    scanner.reset();
    http::ResponseHead head;
    if (http::readResponseHead(scanner, kUpstreamResponseHead, false, &head).progress !=
        http::HeadProgress::kComplete) {
      state.SkipWithError("response head refused");
      break;
    }
    http::ClientFraming framing = http::chooseClientFraming(head.fields, false, 1, true);
    out.clear();
    bool ok = http::writeClientHead(head.fields, framing, 1, out);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(out.data());
  }
}

BENCHMARK(BM_RequestHeadRewrite_Wrk);
BENCHMARK(BM_RequestHeadRewrite_CloudInit);
BENCHMARK(BM_RequestHeadRewrite_Spoofing);
BENCHMARK(BM_HeadScanOnly_CloudInit);
BENCHMARK(BM_ResponseHeadRewrite);

}  // namespace

BENCHMARK_MAIN();
