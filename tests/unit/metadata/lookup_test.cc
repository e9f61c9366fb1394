#include "metadata/lookup.h"

#include <gtest/gtest.h>

#include "helpers.h"

namespace nsmp::metadata::testing {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Case {
  const char* name;
  Headers headers;
  int status;
  std::string uuid;  // expected instance when status is 200
};

std::string describe(const Headers& headers) {
  std::string out;
  for (const auto& [k, v] : headers) out += k + ": " + v + "\\r\\n";
  return out;
}

TEST(Lookup, FindsTheInstanceAsNeutronsAgentDoes) {
  auto data = fixtureData();
  const Case cases[] = {
      {"network + address",
       {{"X-Neutron-Network-ID", kNetA}, {"X-Forwarded-For", "192.0.2.10"}},
       200,
       kVm1},
      {"same address, other network",
       {{"X-Neutron-Network-ID", kNetC}, {"X-Forwarded-For", "192.0.2.10"}},
       200,
       kVm3},
      {"header names are case-insensitive",
       {{"x-neutron-network-id", kNetB}, {"x-forwarded-for", "192.0.2.20"}},
       200,
       kVm2},
      {"router reaches its first network",
       {{"X-Neutron-Router-ID", kRouter}, {"X-Forwarded-For", "192.0.2.10"}},
       200,
       kVm1},
      {"router reaches its second network",
       {{"X-Neutron-Router-ID", kRouter}, {"X-Forwarded-For", "192.0.2.20"}},
       200,
       kVm2},
      {"OVN network header",
       {{"X-OVN-Network-ID", kNetC}, {"X-Forwarded-For", "192.0.2.10"}},
       200,
       kVm3},
      {"OVN and Neutron header agree",
       {{"X-OVN-Network-ID", kNetA},
        {"X-Neutron-Network-ID", kNetA},
        {"X-Forwarded-For", "192.0.2.10"}},
       200,
       kVm1},
      // Neutron's agent ignores X-OVN-Network-ID: a VM's copy passed through
      // by haproxy (Neutron's config does not delete it) changes nothing.
      {"OVN header beside a Neutron network is ignored",
       {{"X-OVN-Network-ID", kNetC},
        {"X-Neutron-Network-ID", kNetA},
        {"X-Forwarded-For", "192.0.2.10"}},
       200,
       kVm1},
      {"OVN header beside a router is ignored",
       {{"X-OVN-Network-ID", kNetC},
        {"X-Neutron-Router-ID", kRouter},
        {"X-Forwarded-For", "192.0.2.10"}},
       200,
       kVm1},
      {"repeated OVN header beside a Neutron network is ignored",
       {{"X-OVN-Network-ID", kNetC},
        {"X-OVN-Network-ID", kNetB},
        {"X-Neutron-Network-ID", kNetA},
        {"X-Forwarded-For", "192.0.2.10"}},
       200,
       kVm1},
      {"IPv6 address, any spelling",
       {{"X-Neutron-Network-ID", kNetA}, {"X-Forwarded-For", "2001:db8:0:0::10"}},
       200,
       kVm1},
      {"IPv4-mapped IPv6 is IPv4",
       {{"X-Neutron-Network-ID", kNetA}, {"X-Forwarded-For", "::ffff:192.0.2.10"}},
       200,
       kVm1},
      {"link-local IPv6 by the MAC in it",
       {{"X-Neutron-Network-ID", kNetA}, {"X-Forwarded-For", "fe80::f816:3eff:fe00:1"}},
       200,
       kVm1},
      {"empty router header is absent",
       {{"X-Neutron-Network-ID", kNetA},
        {"X-Neutron-Router-ID", ""},
        {"X-Forwarded-For", "192.0.2.10"}},
       200,
       kVm1},

      {"both network and router",
       {{"X-Neutron-Network-ID", kNetA},
        {"X-Neutron-Router-ID", kRouter},
        {"X-Forwarded-For", "192.0.2.10"}},
       400,
       ""},
      {"OVN header repeated",
       {{"X-OVN-Network-ID", kNetC},
        {"X-OVN-Network-ID", kNetC},
        {"X-Forwarded-For", "192.0.2.10"}},
       400,
       ""},
      {"network header repeated",
       {{"X-Neutron-Network-ID", kNetA},
        {"X-Neutron-Network-ID", kNetA},
        {"X-Forwarded-For", "192.0.2.10"}},
       400,
       ""},
      {"X-Forwarded-For missing", {{"X-Neutron-Network-ID", kNetA}}, 400, ""},
      {"X-Forwarded-For empty",
       {{"X-Neutron-Network-ID", kNetA}, {"X-Forwarded-For", ""}},
       400,
       ""},
      {"X-Forwarded-For a list",
       {{"X-Neutron-Network-ID", kNetA}, {"X-Forwarded-For", "192.0.2.99, 192.0.2.10"}},
       400,
       ""},
      {"X-Forwarded-For repeated",
       {{"X-Neutron-Network-ID", kNetA},
        {"X-Forwarded-For", "192.0.2.10"},
        {"X-Forwarded-For", "192.0.2.10"}},
       400,
       ""},
      {"X-Forwarded-For not an address",
       {{"X-Neutron-Network-ID", kNetA}, {"X-Forwarded-For", "vm1"}},
       400,
       ""},
      {"X-Forwarded-For with a port",
       {{"X-Neutron-Network-ID", kNetA}, {"X-Forwarded-For", "192.0.2.10:5555"}},
       400,
       ""},

      {"neither network nor router", {{"X-Forwarded-For", "192.0.2.10"}}, 404, ""},
      {"unknown network",
       {{"X-Neutron-Network-ID", "nope"}, {"X-Forwarded-For", "192.0.2.10"}},
       404,
       ""},
      {"unknown router",
       {{"X-Neutron-Router-ID", "nope"}, {"X-Forwarded-For", "192.0.2.10"}},
       404,
       ""},
      {"unknown address",
       {{"X-Neutron-Network-ID", kNetA}, {"X-Forwarded-For", "192.0.2.99"}},
       404,
       ""},
      {"address on another network",
       {{"X-Neutron-Network-ID", kNetA}, {"X-Forwarded-For", "192.0.2.20"}},
       404,
       ""},
      {"router does not reach network C",
       {{"X-Neutron-Router-ID", kRouter}, {"X-Forwarded-For", "192.0.2.30"}},
       404,
       ""},
      {"link-local with another MAC",
       {{"X-Neutron-Network-ID", kNetA}, {"X-Forwarded-For", "fe80::f816:3eff:fe00:9"}},
       404,
       ""},
  };
  for (const Case& c : cases) {
    Request request;
    request.method = "GET";
    request.target = "/";
    request.headers = c.headers;
    LookupResult r = findInstance(*data, request);
    EXPECT_EQ(r.status, c.status) << c.name << "\n" << describe(c.headers) << r.message;
    if (c.status == 200) {
      ASSERT_NE(r.instance, nullptr) << c.name;
      EXPECT_EQ(r.instance->uuid, c.uuid) << c.name;
    } else {
      EXPECT_EQ(r.instance, nullptr) << c.name;
      EXPECT_FALSE(r.message.empty()) << c.name;
    }
  }
}

TEST(Lookup, RouterWithTwoInstancesOnTheSameAddressIsNotFound) {
  // Neutron's agent needs exactly one port; two networks behind one router
  // with the same address is ambiguous.
  Result<DatasetPtr> r =
      parseDataset(R"({"routers": [{"id": "r", "networks": ["a", "b"]}], "instances": [
      {"uuid": "u1", "ports": [{"network_id": "a", "ip_addresses": ["192.0.2.1"]}]},
      {"uuid": "u2", "ports": [{"network_id": "b", "ip_addresses": ["192.0.2.1"]}]}]})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  Request request;
  request.headers = {{"X-Neutron-Router-ID", "r"}, {"X-Forwarded-For", "192.0.2.1"}};
  EXPECT_EQ(findInstance(**r, request).status, 404);
  request.headers = {{"X-Neutron-Network-ID", "b"}, {"X-Forwarded-For", "192.0.2.1"}};
  LookupResult one = findInstance(**r, request);
  ASSERT_NE(one.instance, nullptr);
  EXPECT_EQ(one.instance->uuid, "u2");
}

TEST_F(ServiceTest, LookupFailuresComeBeforeAnyPath) {
  EXPECT_EQ(get("/openstack", kNetA, "192.0.2.99").status, 404);
  EXPECT_EQ(get("/", kNetA, "192.0.2.99").status, 404);
  EXPECT_EQ(get("/latest/meta-data/", kNetA, "bad").status, 400);
  Response r = service_.handle(fromVm("GET", "/openstack", kNetA, "not-an-ip"));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("not-an-ip"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace nsmp::metadata::testing
