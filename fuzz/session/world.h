// The world the session fuzzer drives: the proxy's real objects -- an
// event::Loop, a proxy::Worker and one proxy::Listener, exactly as the binary
// builds them -- with VM clients on socketpairs handed to Listener::adopt()
// and a metadata agent on a real UNIX socket. Nothing runs by itself: the
// fuzzer sends, reads, closes and moves a fake clock, and settle() turns the
// loop until nothing moves. Every byte each side sends and receives is
// recorded for the checks (checks.h).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "event/loop.h"
#include "fuzz/session/record.h"
#include "net/address.h"
#include "proxy/config.h"
#include "proxy/worker.h"

namespace nsmp::fuzz {

inline constexpr size_t kClientSlots = 4;
// Slots share addresses (slot 3 is slot 0's address), so that the per-source
// limit is reached.
inline constexpr size_t kAddresses = 3;
inline constexpr const char* kIdentity = "net-fuzz";

struct ClientConn {
  int fd = -1;  // our end; -1 once we closed it
  size_t address = 0;
  Record sent;
  Record received;
  bool shut_wr = false;  // we sent FIN
  bool eof = false;      // the proxy closed its side (or reset)
};

// What the agent answered, so a client's response can be traced back.
struct AgentAnswer {
  bool known = false;       // the agent had the request it answers
  std::string forwarded;    // its X-Forwarded-For
  std::string request_line; // "METHOD target"
};

struct AgentConn {
  int fd = -1;
  size_t id = 0;
  Record received;
  size_t answers = 0;  // final responses sent
  bool eof = false;
};

class World {
 public:
  struct Options {
    uint32_t upstream_keepalive = 0;
    bool rate_limit = false;
    uint32_t maxconn_per_source = 2;
    uint64_t max_body = 64 * 1024;
  };

  explicit World(const Options& options);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // -- the VMs --------------------------------------------------------------
  void clientOpen(size_t slot);  // a new connection in an empty slot
  void clientSend(size_t slot, std::string_view bytes);
  void clientShutWrite(size_t slot);
  void clientClose(size_t slot);  // the record moves to finished()
  void clientRead(size_t slot);

  // -- the agent ------------------------------------------------------------
  size_t agentCount() const { return agents_.size(); }
  void agentSend(size_t index, std::string_view bytes);
  // An answer marked with its number, for the order checks; `bytes` is the
  // head's end, after the marker field.
  void agentAnswer(size_t index, std::string_view status_line, std::string_view rest,
                   bool final_response);
  void agentClose(size_t index);
  void agentShutWrite(size_t index);
  void agentRead(size_t index);
  void agentToggleListening();

  // -- the process ----------------------------------------------------------
  void advance(event::Millis by);
  void shutdown();
  void settle();  // turns the loop until nothing moves
  // Ends the run: reads everything, lets every timeout fire.
  void finish();

  const proxy::Listener& listener() const { return *listener_; }
  size_t liveSessions() const;
  bool stopped() const { return stopped_; }
  std::string addressText(size_t address) const;
  uint64_t maxBody() const { return options_.max_body; }

  // Every client connection of the run, open and closed.
  const std::vector<std::unique_ptr<ClientConn>>& clients() const { return all_clients_; }
  const std::vector<std::unique_ptr<AgentConn>>& agents() const { return agents_; }
  const AgentAnswer* answer(std::string_view marker) const;

 private:
  bool acceptAgents();
  ClientConn* slot(size_t k) { return slots_[k % kClientSlots]; }

  Options options_;
  std::string dir_;
  std::string agent_path_;
  int agent_listener_ = -1;
  std::unique_ptr<event::Loop> loop_;
  std::unique_ptr<proxy::Worker> worker_;
  proxy::Listener* listener_ = nullptr;
  ClientConn* slots_[kClientSlots] = {};
  std::vector<std::unique_ptr<ClientConn>> all_clients_;
  std::vector<std::unique_ptr<AgentConn>> agents_;
  std::vector<std::pair<std::string, AgentAnswer>> answers_;
  bool stopped_ = false;
};

// The fake clock the world's loop reads.
event::TimePoint fakeNow();

}  // namespace nsmp::fuzz
