#include "metadata/hmac_sha256.h"

#include <algorithm>

namespace nsmp::metadata {
namespace {

// FIPS 180-4 section 4.2.2: the first 32 bits of the fractional parts of the
// cube roots of the first 64 primes.
constexpr uint32_t kRound[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

// Section 5.3.3: the first 32 bits of the fractional parts of the square
// roots of the first 8 primes.
constexpr std::array<uint32_t, 8> kInitial = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                              0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

constexpr size_t kBlock = 64;  // bytes; also HMAC's B (RFC 2104 section 2)

constexpr uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

}  // namespace

Sha256::Sha256() : state_(kInitial) {}

// Section 6.2.2: one 512-bit block, big-endian words.
void Sha256::compress(const uint8_t* p) {
  uint32_t w[64];
  for (size_t t = 0; t < 16; ++t)
    w[t] = uint32_t{p[4 * t]} << 24 | uint32_t{p[4 * t + 1]} << 16 | uint32_t{p[4 * t + 2]} << 8 |
           uint32_t{p[4 * t + 3]};
  for (int t = 16; t < 64; ++t) {
    uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
    uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
    w[t] = w[t - 16] + s0 + w[t - 7] + s1;
  }
  uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3];
  uint32_t e = state_[4], f = state_[5], g = state_[6], h = state_[7];
  for (int t = 0; t < 64; ++t) {
    uint32_t t1 =
        h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + kRound[t] + w[t];
    uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  state_[0] += a;
  state_[1] += b;
  state_[2] += c;
  state_[3] += d;
  state_[4] += e;
  state_[5] += f;
  state_[6] += g;
  state_[7] += h;
}

void Sha256::update(std::string_view bytes) {
  totalBytes_ += bytes.size();
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t n = bytes.size();
  while (n > 0) {
    if (blockLen_ == 0 && n >= kBlock) {
      compress(p);
      p += kBlock;
      n -= kBlock;
      continue;
    }
    size_t take = std::min(n, kBlock - blockLen_);
    for (size_t i = 0; i < take; ++i) block_[blockLen_ + i] = p[i];
    blockLen_ += take;
    p += take;
    n -= take;
    if (blockLen_ == kBlock) {
      compress(block_.data());
      blockLen_ = 0;
    }
  }
}

// Section 5.1.1: a 1 bit, zeros up to 56 mod 64 bytes, the length in bits as
// a 64-bit big-endian number.
Sha256Digest Sha256::finish() {
  uint64_t bits = totalBytes_ * 8;
  block_[blockLen_++] = 0x80;
  if (blockLen_ > kBlock - 8) {
    while (blockLen_ < kBlock) block_[blockLen_++] = 0;
    compress(block_.data());
    blockLen_ = 0;
  }
  while (blockLen_ < kBlock - 8) block_[blockLen_++] = 0;
  for (int i = 7; i >= 0; --i) block_[blockLen_++] = static_cast<uint8_t>(bits >> (8 * i));
  compress(block_.data());
  Sha256Digest out;
  for (size_t i = 0; i < 8; ++i) {
    out[4 * i] = static_cast<uint8_t>(state_[i] >> 24);
    out[4 * i + 1] = static_cast<uint8_t>(state_[i] >> 16);
    out[4 * i + 2] = static_cast<uint8_t>(state_[i] >> 8);
    out[4 * i + 3] = static_cast<uint8_t>(state_[i]);
  }
  return out;
}

Sha256Digest sha256(std::string_view bytes) {
  Sha256 h;
  h.update(bytes);
  return h.finish();
}

// RFC 2104 section 2: H(K ^ opad, H(K ^ ipad, text)), a key longer than the
// block hashed first, a shorter one padded with zeros.
Sha256Digest hmacSha256(std::string_view key, std::string_view message) {
  std::array<uint8_t, kBlock> k{};
  if (key.size() > kBlock) {
    Sha256Digest hashed = sha256(key);
    std::copy(hashed.begin(), hashed.end(), k.begin());
  } else {
    std::copy(key.begin(), key.end(), k.begin());
  }
  std::array<char, kBlock> pad;
  for (size_t i = 0; i < kBlock; ++i) pad[i] = static_cast<char>(k[i] ^ 0x36);
  Sha256 inner;
  inner.update(std::string_view(pad.data(), pad.size()));
  inner.update(message);
  Sha256Digest innerDigest = inner.finish();
  for (size_t i = 0; i < kBlock; ++i) pad[i] = static_cast<char>(k[i] ^ 0x5c);
  Sha256 outer;
  outer.update(std::string_view(pad.data(), pad.size()));
  outer.update(
      std::string_view(reinterpret_cast<const char*>(innerDigest.data()), innerDigest.size()));
  return outer.finish();
}

std::string hexLower(const Sha256Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * digest.size());
  for (uint8_t b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

bool equalConstantTime(std::string_view a, std::string_view b) {
  // Every byte of `a` is looked at whatever differs; no early exit.
  volatile unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) {
    unsigned char other = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff = diff | (static_cast<unsigned char>(a[i]) ^ other);
  }
  return diff == 0;
}

}  // namespace nsmp::metadata
