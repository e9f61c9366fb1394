// Reads the configuration fixtures in tests/unit/haproxy/configs/.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace nsmp::haproxy::testing {

inline std::string readFixture(const std::string& name) {
  std::ifstream in(std::string(NSMP_HAPROXY_FIXTURES) + "/" + name);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace nsmp::haproxy::testing
