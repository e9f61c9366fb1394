// The UNIX-socket server end to end in one process: the loop runs on the test
// thread, a client thread talks to the socket with blocking I/O and, when
// done, wakes the loop through an eventfd to shut the server down.
#include "metadata/server.h"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <thread>
#include <vector>

#include "fixture.h"

namespace nsmp::metadata::testing {
namespace {

using event::Millis;

const std::string kIdentity =
    "X-Neutron-Network-ID: " + kNetB + "\r\nX-Forwarded-For: 192.0.2.20\r\n";

std::string get(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: 169.254.169.254\r\n" + kIdentity + extra + "\r\n";
}

// A blocking client socket; every read gives up after 5 s so that a broken
// server fails the test instead of hanging it.
class Client {
 public:
  explicit Client(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path.c_str());
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&sun), sizeof sun) == 0;
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Client() { close(); }
  bool connected() const { return connected_; }
  void send(const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }
  // One response: the head, then Content-Length bytes unless `head` says
  // the request was HEAD. "" on EOF or timeout before a full response.
  std::string response(bool head = false) {
    for (;;) {
      size_t end = buf_.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t len = 0;
        auto cl = buf_.find("Content-Length: ");
        if (cl != std::string::npos && cl < end) len = std::stoul(buf_.substr(cl + 16));
        // 1xx responses have no body.
        if (buf_.compare(0, 10, "HTTP/1.1 1") == 0) len = 0;
        size_t total = end + 4 + (head ? 0 : len);
        if (buf_.size() >= total) {
          std::string r = buf_.substr(0, total);
          buf_.erase(0, total);
          return r;
        }
      }
      if (!fill()) return "";
    }
  }
  bool atEof() { return buf_.empty() && !fill(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  bool fill() {
    char tmp[4096];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

std::string manyTrailers(int n) {
  std::string t;
  for (int i = 0; i < n; ++i) t += "T" + std::to_string(i) + ": v\r\n";
  return t;
}

std::string bodyOf(const std::string& response) {
  auto end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

class ServerTest : public ::testing::Test, public event::IoHandler, public event::TimerHandler {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/nsmp-mdserver-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    socket_ = dir_ + "/metadata.sock";
    data_ = dir_ + "/metadata.json";
    writeData(kDataset);
    config_.socketPath = socket_;
    config_.pollInterval = Millis(10);
  }
  void TearDown() override {
    std::remove(data_.c_str());
    std::remove((data_ + ".new").c_str());
    std::remove(socket_.c_str());
    rmdir(dir_.c_str());
  }

  void writeData(const std::string& text) {
    std::ofstream(data_ + ".new", std::ios::trunc) << text;
    std::rename((data_ + ".new").c_str(), data_.c_str());
  }

  // Runs the server until `client` (on its own thread) returns.
  void serve(const std::function<void()>& client) {
    event::Loop loop;
    ASSERT_TRUE(loop.init().ok());
    DataFileWatcher watcher(data_);
    Result<DatasetPtr> initial = watcher.load();
    ASSERT_TRUE(initial.ok()) << initial.status().message();
    MetadataService service((*initial));
    Server server(loop, service, &watcher, config_);
    Status started = server.start();
    ASSERT_TRUE(started.ok()) << started.message();
    server_ = &server;
    wake_.fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    wake_.handler = this;
    ASSERT_TRUE(loop.add(wake_, EPOLLIN).ok());
    event::Timer guard(loop, this);  // a hung client ends the test, not the run
    guard.arm(Millis(20'000));
    std::thread thread([&] {
      client();
      uint64_t one = 1;
      (void)!::write(wake_.fd, &one, sizeof one);
    });
    loop.run();
    thread.join();
    loop.remove(wake_);
    ::close(wake_.fd);
    server_ = nullptr;
  }
  void onIo(event::Watcher&, uint32_t) override { server_->beginShutdown(Millis(1000)); }
  void onTimer(event::Timer&) override {
    ADD_FAILURE() << "the client did not finish";
    server_->beginShutdown(Millis(0));
  }

  std::string dir_, socket_, data_;
  ServerConfig config_;
  Server* server_ = nullptr;
  event::Watcher wake_;
};

TEST_F(ServerTest, AnswersOverTheSocket) {
  serve([&] {
    Client c(socket_);
    ASSERT_TRUE(c.connected());
    c.send(get("/openstack/latest/meta_data.json"));
    std::string r = c.response();
    EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
    EXPECT_NE(r.find("Content-Type: application/json\r\n"), std::string::npos) << r;
    EXPECT_NE(bodyOf(r).find("\"uuid\":\"" + kVm2 + "\""), std::string::npos) << r;
  });
  EXPECT_NE(::access(socket_.c_str(), F_OK), 0) << "socket file left behind";
}

TEST_F(ServerTest, KeepAlivePipeliningAndClose) {
  serve([&] {
    Client c(socket_);
    c.send(get("/latest/meta-data/hostname") + get("/latest/meta-data/instance-id") +
           "HEAD /openstack/latest/meta_data.json HTTP/1.1\r\nHost: x\r\n" + kIdentity + "\r\n" +
           get("/latest/meta-data/local-ipv4", "Connection: close\r\n"));
    EXPECT_EQ(bodyOf(c.response()), "vm2");
    EXPECT_EQ(bodyOf(c.response()), "i-00000002");
    std::string head = c.response(/*head=*/true);
    EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << head;
    EXPECT_EQ(bodyOf(head), "");
    EXPECT_EQ(head.find("Content-Length: 0\r\n"), std::string::npos) << "HEAD keeps the GET length";
    std::string last = c.response();
    EXPECT_NE(last.find("Connection: close\r\n"), std::string::npos) << last;
    EXPECT_EQ(bodyOf(last), "192.0.2.20");
    EXPECT_TRUE(c.atEof());
  });
}

TEST_F(ServerTest, ByteByByte) {
  serve([&] {
    Client c(socket_);
    for (char ch : get("/latest/meta-data/hostname")) c.send(std::string(1, ch));
    EXPECT_EQ(bodyOf(c.response()), "vm2");
  });
}

TEST_F(ServerTest, Http10ClosesUnlessKeepAlive) {
  serve([&] {
    Client a(socket_);
    a.send("GET /latest/meta-data/hostname HTTP/1.0\r\n" + kIdentity + "\r\n");
    EXPECT_EQ(bodyOf(a.response()), "vm2");
    EXPECT_TRUE(a.atEof());
    Client b(socket_);
    b.send("GET /latest/meta-data/hostname HTTP/1.0\r\nConnection: keep-alive\r\n" + kIdentity +
           "\r\n");
    std::string r = b.response();
    EXPECT_NE(r.find("Connection: keep-alive\r\n"), std::string::npos) << r;
    b.send("GET /latest/meta-data/hostname HTTP/1.0\r\n" + kIdentity + "\r\n");
    EXPECT_EQ(bodyOf(b.response()), "vm2");
  });
}

TEST_F(ServerTest, PasswordPostWithBodyAndExpectContinue) {
  serve([&] {
    Client c(socket_);
    c.send("POST /openstack/latest/password HTTP/1.1\r\nHost: x\r\n" + kIdentity +
           "Content-Length: 6\r\nExpect: 100-continue\r\n\r\n");
    EXPECT_EQ(c.response().rfind("HTTP/1.1 100 Continue\r\n", 0), 0u);
    c.send("s3cret");
    EXPECT_EQ(c.response().rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
    c.send("POST /openstack/latest/password HTTP/1.1\r\nHost: x\r\n" + kIdentity +
           "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    EXPECT_EQ(c.response().rfind("HTTP/1.1 409 Conflict\r\n", 0), 0u);
    c.send(get("/openstack/latest/password"));
    EXPECT_EQ(bodyOf(c.response()), "s3cret");
  });
}

TEST_F(ServerTest, BadRequestsAreAnsweredAndClosed) {
  const std::pair<std::string, std::string> cases[] = {
      {"GET / HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n", "HTTP/1.1 400 "},
      {"GET / HTTP/1.1\r\n" + kIdentity + "\r\n", "HTTP/1.1 400 "},  // no Host
      {"GET / HTTP/1.1\nHost: x\n\n", "HTTP/1.1 400 "},              // bare LF
      {"GET / HTTP/2.0\r\nHost: x\r\n\r\n", "HTTP/1.1 505 "},
      {"POST /openstack/latest/password HTTP/1.1\r\nHost: x\r\n" + kIdentity +
           "Content-Length: 100000\r\n\r\n",
       "HTTP/1.1 413 "},
      {"POST /openstack/latest/password HTTP/1.1\r\nHost: x\r\n" + kIdentity +
           "Transfer-Encoding: chunked\r\n\r\nzz\r\n",
       "HTTP/1.1 400 "},
      {"GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 414 "},
      // Trailers have the limits of header fields (issue #10: they grew memory).
      {"POST /openstack/latest/password HTTP/1.1\r\nHost: x\r\n" + kIdentity +
           "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n" + manyTrailers(101) + "\r\n",
       "HTTP/1.1 431 "},
      // A bare CR where the last CRLF belongs ends nothing.
      {"POST /openstack/latest/password HTTP/1.1\r\nHost: x\r\n" + kIdentity +
           "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\rX",
       "HTTP/1.1 400 "},
      // Chunk-size lines are bounded.
      {"POST /openstack/latest/password HTTP/1.1\r\nHost: x\r\n" + kIdentity +
           "Transfer-Encoding: chunked\r\n\r\n3;e=" + std::string(5000, 'e') +
           "\r\nabc\r\n0\r\n\r\n",
       "HTTP/1.1 400 "},
  };
  serve([&] {
    for (const auto& [request, status] : cases) {
      Client c(socket_);
      c.send(request);
      std::string r = c.response();
      EXPECT_EQ(r.rfind(status, 0), 0u) << request.substr(0, 80) << "\n-> " << r;
      EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos) << r;
      EXPECT_TRUE(c.atEof()) << request.substr(0, 80);
    }
  });
}

TEST_F(ServerTest, LookupErrorsKeepTheConnection) {
  serve([&] {
    Client c(socket_);
    c.send("GET /openstack HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 192.0.2.20\r\n\r\n");
    EXPECT_EQ(c.response().rfind("HTTP/1.1 404 ", 0), 0u);
    c.send(get("/openstack", "X-Neutron-Router-ID: " + kRouter + "\r\n"));
    EXPECT_EQ(c.response().rfind("HTTP/1.1 400 ", 0), 0u);
    c.send(get("/latest/meta-data/hostname"));
    EXPECT_EQ(bodyOf(c.response()), "vm2");
  });
}

TEST_F(ServerTest, UnfinishedRequestGets408) {
  config_.requestTimeout = Millis(50);
  serve([&] {
    Client c(socket_);
    c.send("GET /openstack HTTP/1.1\r\nHost: x\r\n");  // never finished
    std::string r = c.response();
    EXPECT_EQ(r.rfind("HTTP/1.1 408 ", 0), 0u) << r;
    EXPECT_TRUE(c.atEof());
  });
}

TEST_F(ServerTest, IdleConnectionIsClosed) {
  config_.idleTimeout = Millis(50);
  serve([&] {
    Client c(socket_);
    c.send(get("/latest/meta-data/hostname"));
    EXPECT_EQ(bodyOf(c.response()), "vm2");
    EXPECT_TRUE(c.atEof());  // closed after the idle timeout, without a response
  });
}

TEST_F(ServerTest, ConnectionLimitQueuesInTheBacklog) {
  config_.maxConnections = 1;
  serve([&] {
    Client first(socket_);
    first.send(get("/latest/meta-data/hostname"));
    EXPECT_EQ(bodyOf(first.response()), "vm2");
    Client second(socket_);  // connects (backlog) but is not accepted yet
    ASSERT_TRUE(second.connected());
    second.send(get("/latest/meta-data/instance-id"));
    first.close();  // frees the slot: the server accepts the second
    EXPECT_EQ(bodyOf(second.response()), "i-00000002");
  });
}

// Out of descriptors, accept() fails and the connection stays in the backlog,
// where no new edge will ever come for it: only a retry can serve it (the
// server used to wait for another connection to close -- with none open,
// forever).
TEST_F(ServerTest, AConnectionWaitingWhileOutOfFdsIsServedOnceFdsFreeUp) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "the sanitizer runtime itself needs descriptors";
#endif
  serve([&] {
    rlimit saved{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
    int probe = ::dup(0);
    ASSERT_GE(probe, 0);
    ::close(probe);
    rlimit low = saved;
    low.rlim_cur = static_cast<rlim_t>(probe + 16);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
    std::vector<int> filler;  // every descriptor the limit allows but one, for the client
    for (int fd; (fd = ::dup(0)) >= 0;) filler.push_back(fd);
    ::close(filler.back());
    filler.pop_back();
    Client c(socket_);
    ASSERT_TRUE(c.connected());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the server's accept fails
    for (int fd : filler) ::close(fd);
    ::setrlimit(RLIMIT_NOFILE, &saved);
    c.send(get("/latest/meta-data/hostname"));  // data on the connection is no edge on the listener
    EXPECT_EQ(bodyOf(c.response()), "vm2");
  });
}

TEST_F(ServerTest, ReloadsTheDataFileAndKeepsItWhenANewVersionIsBroken) {
  serve([&] {
    auto hostname = [&] {
      Client c(socket_);
      c.send(get("/latest/meta-data/hostname"));
      return bodyOf(c.response());
    };
    ASSERT_EQ(hostname(), "vm2");
    std::string renamed = kDataset;
    renamed.replace(renamed.find("\"name\": \"vm2\""), 13, "\"name\": \"vm2-new\"");
    writeData(renamed);
    std::string seen;
    for (int i = 0; i < 500 && seen != "vm2-new"; ++i) {  // bounded: the server polls every 10 ms
      seen = hostname();
      if (seen != "vm2-new") std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(seen, "vm2-new");
    writeData("{\"instances\": [");  // broken: logged, the previous data stays
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(hostname(), "vm2-new");
  });
}

TEST_F(ServerTest, RefusesASocketAnotherServerListensOn) {
  serve([&] {
    event::Loop loop;
    ASSERT_TRUE(loop.init().ok());
    MetadataService service(parseDataset(kDataset).value());
    Server second(loop, service, nullptr, config_);
    EXPECT_FALSE(second.start().ok());
    Client c(socket_);  // the first server still has its socket
    c.send(get("/latest/meta-data/hostname"));
    EXPECT_EQ(bodyOf(c.response()), "vm2");
  });
}

}  // namespace
}  // namespace nsmp::metadata::testing
