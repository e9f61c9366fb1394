// Intention-revealing helpers for the metadata tests.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "fixture.h"
#include "metadata/loader.h"
#include "metadata/service.h"

namespace nsmp::metadata::testing {

inline std::shared_ptr<const Dataset> fixtureData() {
  Result<DatasetPtr> loaded = parseDataset(kDataset);
  EXPECT_TRUE(loaded.ok()) << loaded.status().message();
  return loaded.ok() ? *loaded : nullptr;
}

// A request as the proxy forwards it for a VM on `network` with `address`.
inline Request fromVm(const std::string& method, const std::string& target,
                      const std::string& network = kNetA,
                      const std::string& address = "192.0.2.10") {
  Request r;
  r.method = method;
  r.target = target;
  r.headers = {
      {"Host", "169.254.169.254"}, {"X-Neutron-Network-ID", network}, {"X-Forwarded-For", address}};
  return r;
}

class ServiceTest : public ::testing::Test {
 protected:
  ServiceTest() : service_(fixtureData()) {
    service_.setRandomSeed([] { return std::string("c2VlZA=="); });
  }
  Response get(const std::string& target, const std::string& network = kNetA,
               const std::string& address = "192.0.2.10") {
    return service_.handle(fromVm("GET", target, network, address));
  }
  // Expects 200 and returns the body.
  std::string body(const std::string& target, const std::string& network = kNetA,
                   const std::string& address = "192.0.2.10") {
    Response r = get(target, network, address);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    return r.body;
  }
  void expect404(const std::string& target, const std::string& network = kNetA,
                 const std::string& address = "192.0.2.10") {
    EXPECT_EQ(get(target, network, address).status, 404) << target;
  }

  MetadataService service_;
};

}  // namespace nsmp::metadata::testing
