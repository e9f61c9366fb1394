// The option table behind app/cli: one row per option, each with the code
// that checks and stores its value. Internal to app/cli.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "app/cli.h"
#include "base/result.h"

namespace nsmp::app::cli {

// What the options have said so far; turned into Options once all are read
// (defaults that depend on other options, e.g. the socket under state_path,
// are settled then).
struct ParseState {
  Options options;
  std::optional<std::string> network_id;
  std::optional<std::string> router_id;
  std::optional<std::string> upstream_socket;
  std::string bind_host = "0.0.0.0";
  std::string bind_zone;  // from "fe80::1%eth0"
  std::string bind_interface;
  uint16_t port = 9697;
  std::string log_file;  // as given; joined with log_dir when relative
  std::string log_dir;
  bool use_syslog = false;
  bool help = false;
  bool version = false;
};

// Stores `value` or says why not ("'abc' is not ...", without the option name).
using ValueFn = Status (*)(ParseState& state, std::string_view value);
using FlagFn = void (*)(ParseState& state, bool on);

struct OptionSpec {
  std::string_view name;     // as shown in --help; '-' and '_' are interchangeable
  std::string_view metavar;  // empty for a flag
  std::string_view help;
  ValueFn value = nullptr;  // exactly one of value / flag
  FlagFn flag = nullptr;
};

std::span<const OptionSpec> optionTable();

// `name` as in the table: an option of the process (pidfile, daemon, user,
// logging, engine, help), not of a listener.
bool isProcessOption(std::string_view name);

}  // namespace nsmp::app::cli
