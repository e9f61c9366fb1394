// The metadata server's command line: which combinations start, which exit
// with a usage error, and how --nova-listen and the secret file are read.
#include "metadata/server_args.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace nsmp::metadata {
namespace {

struct Parsed {
  std::optional<int> exit;
  ServerArgs args;
};

Parsed parse(std::vector<std::string> words) {
  words.insert(words.begin(), "metadata-server");
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  Parsed p;
  ::testing::internal::CaptureStderr();
  p.exit = parseServerArgs(static_cast<int>(argv.size()), argv.data(), &p.args);
  ::testing::internal::GetCapturedStderr();
  return p;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

TEST(ServerArgs, WhichCombinationsStart) {
  struct Case {
    std::vector<std::string> words;
    bool starts;
  };
  const Case cases[] = {
      {{"--data", "d.json", "--socket", "/s"}, true},
      {{"--data", "d.json", "--nova-listen", "127.0.0.1:8775", "--shared-secret", "x"}, true},
      {{"--data=d.json", "--nova-listen=[::1]:0", "--shared-secret=x"}, true},
      {{"--data", "d.json", "--socket", "/s", "--nova-listen", "127.0.0.1:0", "--shared-secret",
        "x"},
       true},
      {{"--data", "d.json", "--check"}, true},

      {{"--data", "d.json"}, false},                                            // no front
      {{"--socket", "/s"}, false},                                              // no data
      {{"--data", "d.json", "--nova-listen", "127.0.0.1:8775"}, false},         // no secret
      {{"--data", "d.json", "--socket", "/s", "--shared-secret", "x"}, false},  // secret, no nova
      {{"--data", "d.json", "--nova-listen", "127.0.0.1:1", "--shared-secret", "x",
        "--shared-secret-file", "/f"},
       false},  // both secrets
      {{"--data", "d.json", "--nova-listen", "127.0.0.1:1", "--shared-secret", ""}, false},
      {{"--data", "d.json", "--nova-listen", "127.0.0.1:1", "--shared-secret-file",
        "/nonexistent/secret"},
       false},
      {{"--data", "d.json", "--nova-listen", "localhost:8775", "--shared-secret", "x"}, false},
      {{"--data", "d.json", "--nova-listen"}, false},
      {{"--data", "d.json", "--socket", "/s", "--bogus"}, false},
  };
  for (const Case& c : cases) {
    Parsed p = parse(c.words);
    if (c.starts) {
      EXPECT_FALSE(p.exit.has_value()) << join(c.words);
    } else {
      EXPECT_EQ(p.exit, std::optional<int>(2)) << join(c.words);
    }
  }
}

TEST(ServerArgs, ListenAddresses) {
  struct Case {
    const char* text;
    const char* host;  // nullptr: refused
    uint16_t port;
  };
  const Case cases[] = {
      {"127.0.0.1:8775", "127.0.0.1", 8775},
      {"0.0.0.0:0", "0.0.0.0", 0},
      {"[::1]:8775", "::1", 8775},
      {"[::]:65535", "::", 65535},
      {"::1:8775", nullptr, 0},   // IPv6 needs brackets
      {"127.0.0.1", nullptr, 0},  // no port
      {"127.0.0.1:", nullptr, 0},
      {"127.0.0.1:65536", nullptr, 0},
      {"127.0.0.1:-1", nullptr, 0},
      {"127.0.0.1:87a", nullptr, 0},
      {"localhost:8775", nullptr, 0},    // no names
      {"[127.0.0.1]:8775", nullptr, 0},  // brackets are for IPv6
      {"[::1:8775", nullptr, 0},
      {":8775", nullptr, 0},
  };
  for (const Case& c : cases) {
    auto spec = parseListenAddress(c.text);
    const std::string error = spec.status().message();
    if (c.host) {
      ASSERT_TRUE(spec.ok()) << c.text << ": " << error;
      EXPECT_EQ(spec->host, c.host) << c.text;
      EXPECT_EQ(spec->port, c.port) << c.text;
    } else {
      EXPECT_FALSE(spec.ok()) << c.text;
      EXPECT_NE(error.find("--nova-listen"), std::string::npos) << error;
    }
  }
}

TEST(ServerArgs, SecretFileGivesItsFirstLine) {
  char path[] = "/tmp/nsmp-secret-XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  struct Case {
    const char* content;
    const char* secret;  // nullptr: refused
  };
  const Case cases[] = {
      {"s3cret", "s3cret"},
      {"s3cret\n", "s3cret"},
      {"s3cret\r\n", "s3cret"},
      {"s3cret\nsecond line\n", "s3cret"},
      {" \tspaced secret \r\n", "spaced secret"},  // as oslo.config reads the ini
      {"", nullptr},
      {"\n", nullptr},
  };
  for (const Case& c : cases) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << c.content;
    Parsed p = parse({"--data", "d", "--nova-listen", "127.0.0.1:0", "--shared-secret-file", path});
    if (c.secret) {
      EXPECT_FALSE(p.exit.has_value()) << '"' << c.content << '"';
      EXPECT_EQ(p.args.sharedSecret, c.secret);
    } else {
      EXPECT_EQ(p.exit, std::optional<int>(2)) << '"' << c.content << '"';
    }
  }
  ::unlink(path);
}

}  // namespace
}  // namespace nsmp::metadata
