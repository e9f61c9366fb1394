// SHA-256 against FIPS 180-4's examples (and lengths around the padding
// boundaries, from Python's hashlib), HMAC-SHA256 against RFC 4231 section 4.
#include "metadata/hmac_sha256.h"

#include <gtest/gtest.h>

#include <string>

namespace nsmp::metadata {
namespace {

std::string bytes(size_t n, char c) { return std::string(n, c); }

TEST(Sha256, FipsExamples) {
  struct Case {
    std::string input;
    const char* digest;
  };
  const Case cases[] = {
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmn"
       "opqrsmnopqrstnopqrstu",
       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
      {bytes(1'000'000, 'a'), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
      // The length field fits after the 0x80 byte (55), does not (56), and
      // the message fills one or two blocks exactly or nearly.
      {bytes(55, 'a'), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
      {bytes(56, 'a'), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
      {bytes(63, 'a'), "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
      {bytes(64, 'a'), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
      {bytes(119, 'a'), "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
      {bytes(120, 'a'), "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
  };
  for (const Case& c : cases) {
    std::string shown = c.input.size() > 64 ? std::to_string(c.input.size()) + " bytes" : c.input;
    EXPECT_EQ(hexLower(sha256(c.input)), c.digest) << shown;
    // Fed in pieces of every size up to a block and a half, the same digest.
    for (size_t piece = 1; piece <= 97 && c.input.size() <= 200; ++piece) {
      Sha256 h;
      for (size_t off = 0; off < c.input.size(); off += piece)
        h.update(std::string_view(c.input).substr(off, piece));
      EXPECT_EQ(hexLower(h.finish()), c.digest) << shown << " in pieces of " << piece;
    }
  }
}

TEST(HmacSha256, Rfc4231Vectors) {
  std::string key4;
  for (char b = 1; b <= 25; ++b) key4 += b;
  struct Case {
    const char* name;
    std::string key;
    std::string data;
    const char* mac;
  };
  const Case cases[] = {
      {"4.2", bytes(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"4.3", "Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {"4.4", bytes(20, '\xaa'), bytes(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {"4.5", key4, bytes(50, '\xcd'),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      // 4.6 gives only the first 128 bits.
      {"4.6", bytes(20, '\x0c'), "Test With Truncation", "a3b6167473100ee06e0c796c2955552b"},
      {"4.7", bytes(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {"4.8", bytes(131, '\xaa'),
       "This is a test using a larger than block-size key and a larger than block-size data. The "
       "key needs to be hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const Case& c : cases) {
    std::string mac = hexLower(hmacSha256(c.key, c.data));
    EXPECT_EQ(mac.substr(0, std::string_view(c.mac).size()), c.mac) << "RFC 4231 " << c.name;
  }
}

TEST(HmacSha256, KeyOfExactlyOneBlockIsNotHashed) {
  // RFC 2104: only keys longer than B (64) are hashed first; a 64-byte key
  // and its hash must therefore give different MACs.
  std::string key = bytes(64, 'k');
  Sha256Digest hashed = sha256(key);
  std::string hashedKey(reinterpret_cast<const char*>(hashed.data()), hashed.size());
  EXPECT_NE(hexLower(hmacSha256(key, "m")), hexLower(hmacSha256(hashedKey, "m")));
  // ...while a 65-byte key and its hash give the same one.
  key += 'k';
  hashed = sha256(key);
  hashedKey.assign(reinterpret_cast<const char*>(hashed.data()), hashed.size());
  EXPECT_EQ(hexLower(hmacSha256(key, "m")), hexLower(hmacSha256(hashedKey, "m")));
}

TEST(EqualConstantTime, ComparesContentsAndLengths) {
  struct Case {
    std::string a, b;
    bool equal;
  };
  const Case cases[] = {
      {"", "", true},        {"abc", "abc", true},  {"abc", "abd", false},
      {"abc", "ab", false},  {"ab", "abc", false},  {"abc", "", false},
      {"", "abc", false},    {"xbc", "abc", false}, {std::string("a\0c", 3), "a", false},
      {"ABC", "abc", false},
  };
  for (const Case& c : cases)
    EXPECT_EQ(equalConstantTime(c.a, c.b), c.equal) << '"' << c.a << "\" vs \"" << c.b << '"';
}

}  // namespace
}  // namespace nsmp::metadata
