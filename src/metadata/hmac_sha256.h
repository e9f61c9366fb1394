// SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for the one thing the
// metadata server signs: Neutron's X-Instance-ID-Signature, the lower-case
// hex HMAC-SHA256 of the instance id keyed with metadata_proxy_shared_secret
// (neutron/common/utils.py sign_instance_id(); checked by Nova in
// nova/api/metadata/handler.py _validate_shared_secret()).
//
// Written here rather than linked from nettle or libcrypto: the binary is
// static and one copy runs per network, and nettle's static library brings a
// start-up constructor (CPU feature dispatch) and ~38 KiB of text into every
// proxy process; this is ~4 KiB and runs only when called. Tested against the
// FIPS 180-4 and RFC 4231 vectors (tests/unit/metadata/hmac_sha256_test.cc).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace nsmp::metadata {

using Sha256Digest = std::array<uint8_t, 32>;

// Incremental SHA-256. update() any number of times, then finish() once.
class Sha256 {
 public:
  Sha256();
  void update(std::string_view bytes);
  Sha256Digest finish();

 private:
  void compress(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> block_{};
  size_t blockLen_ = 0;
  uint64_t totalBytes_ = 0;
};

Sha256Digest sha256(std::string_view bytes);
Sha256Digest hmacSha256(std::string_view key, std::string_view message);

// Lower-case hex, as Python's hexdigest().
std::string hexLower(const Sha256Digest& digest);

// Equal contents, in time that depends on the lengths only (as Python's
// hmac.compare_digest(), which Nova uses): a forged signature learns nothing
// from how long the comparison took.
bool equalConstantTime(std::string_view a, std::string_view b);

}  // namespace nsmp::metadata
