#include "metadata/loader.h"

#include <gtest/gtest.h>

#include "fixture.h"

namespace nsmp::metadata {
namespace {

using testing::kDataset;

// Expects the text to be refused with an error containing `needle`.
void expectRefused(const std::string& text, const std::string& needle) {
  Result<DatasetPtr> r = parseDataset(text);
  ASSERT_FALSE(r.ok()) << "accepted: " << text;
  EXPECT_NE(r.status().message().find(needle), std::string::npos)
      << "error \"" << r.status().message() << "\" lacks \"" << needle << "\" for input:\n"
      << text;
}

std::string withInstance(const std::string& body) {
  return R"({"instances": [{"uuid": "u1", "ports": [{"network_id": "n1", "ip_addresses": ["192.0.2.1"]}])" +
         body + "}]}";
}

TEST(Loader, LoadsTheFixture) {
  Result<DatasetPtr> r = parseDataset(kDataset);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ((*r)->instances.size(), 3u);
  const Instance& vm1 = (*r)->instances[0];
  EXPECT_EQ(vm1.name, "vm1");
  EXPECT_EQ(vm1.hostname, "vm1.example");
  EXPECT_EQ(vm1.ports[0].addresses.size(), 2u);
  EXPECT_EQ(vm1.ports[0].macText, "fa:16:3e:00:00:01");
  ASSERT_TRUE(vm1.key.has_value());
  EXPECT_EQ(vm1.key->type, "ssh");
  EXPECT_EQ(vm1.userData, std::optional<std::string>("#cloud-config\nhostname: vm1\n"));
  EXPECT_EQ(vm1.vendorData2["static"]["vendor"], "lab");  // Nova's StaticJSON default
  const Instance& vm2 = (*r)->instances[1];
  EXPECT_EQ(vm2.hostname, "vm2");  // defaults to the name
  EXPECT_EQ(vm2.availabilityZone, "nova");
  EXPECT_FALSE(vm2.userData.has_value());
  EXPECT_EQ(vm2.ec2InstanceId, "i-00000002");
  ASSERT_EQ((*r)->routers.size(), 1u);
  EXPECT_EQ((*r)->routers.begin()->second.networkIds.size(), 2u);
}

TEST(Loader, DefaultNetworkDataHasALinkPerPortWithAMac) {
  Result<DatasetPtr> r = parseDataset(kDataset);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const auto& nd = (*r)->instances[0].networkData;
  ASSERT_EQ(nd["links"].size(), 1u);
  EXPECT_EQ(nd["links"][0]["ethernet_mac_address"], "fa:16:3e:00:00:01");
  ASSERT_EQ(nd["networks"].size(), 2u);
  EXPECT_EQ(nd["networks"][0]["type"], "ipv4_dhcp");
  EXPECT_EQ(nd["networks"][1]["type"], "ipv6_dhcp");
  EXPECT_EQ(nd["networks"][0]["link"], nd["links"][0]["id"]);
  EXPECT_TRUE(nd["services"].is_array());
  EXPECT_TRUE((*r)->instances[1].networkData["links"].empty());  // no MAC, no link
}

TEST(Loader, UserDataBase64IsDecoded) {
  Result<DatasetPtr> r = parseDataset(withInstance(R"(, "user_data_base64": "AAEC/w==")"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)->instances[0].userData, std::optional<std::string>(std::string("\0\1\2\xff", 4)));
}

TEST(Loader, SyntaxErrorsNameTheLine) {
  const std::pair<std::string, std::string> cases[] = {
      {"{\n  \"instances\": [\n    {\"uuid\": \"u1\",}\n  ]\n}\n", "line 3, column"},
      {"{\n  \"instances\": []\n", "line 3, column 1"},
      {"{\"instances\": [] /* c */}", "line 1, column"},
      {"\n\n\n{\"instances\": [], \"routers\": [}\n", "line 4"},
      {"", "line 1, column 1"},
  };
  for (const auto& [text, needle] : cases) expectRefused(text, needle);
}

TEST(Loader, PositionOfByteCountsLines) {
  std::string text = "ab\ncd\n\nef";
  EXPECT_EQ(positionOfByte(text, 1).line, 1u);
  EXPECT_EQ(positionOfByte(text, 2).column, 2u);
  EXPECT_EQ(positionOfByte(text, 4).line, 2u);
  EXPECT_EQ(positionOfByte(text, 4).column, 1u);
  EXPECT_EQ(positionOfByte(text, 8).line, 4u);
  EXPECT_EQ(positionOfByte(text, 1000).line, 4u);  // past the end: the last line
}

TEST(Loader, ValidationErrorsNameTheKey) {
  const std::pair<std::string, std::string> cases[] = {
      {"[]", "expected an object"},
      {"{}", "instances: missing"},
      {R"({"instances": {}})", "instances: expected an array"},
      {R"({"instance": []})", "instance: unknown key"},
      {R"({"instances": [{"ports": []}]})", "instances[0].uuid: missing"},
      {R"({"instances": [{"uuid": ""}]})", "instances[0].uuid: must not be empty"},
      {R"({"instances": [{"uuid": 7}]})", "instances[0].uuid: expected a string, found number"},
      {R"({"instances": [{"uuid": "u1"}]})", "instances[0].ports: missing"},
      {R"({"instances": [{"uuid": "u1", "ports": []}]})", "instances[0].ports: needs at least one"},
      {R"({"instances": [{"uuid": "u1", "ports": [{"ip_addresses": ["192.0.2.1"]}]}]})",
       "instances[0].ports[0].network_id: missing"},
      {R"({"instances": [{"uuid": "u1", "ports": [{"network_id": "n", "ip_addresses": []}]}]})",
       "instances[0].ports[0].ip_addresses: needs at least one"},
      {R"({"instances": [{"uuid": "u1", "ports": [{"network_id": "n", "ip_addresses": ["192.0.2.1", "192.0.2.300"]}]}]})",
       "instances[0].ports[0].ip_addresses[1]: \"192.0.2.300\" is not an IPv4 or IPv6 address"},
      {withInstance(
           R"(, "ports": [{"network_id": "n", "ip_addresses": ["192.0.2.1"], "mac_address": "x"}])"),
       "ports[0].mac_address: \"x\" is not a MAC"},
      {withInstance(R"(, "user-data": "x")"), "instances[0].user-data: unknown key"},
      {withInstance(R"(, "user_data": 5)"), "instances[0].user_data: expected a string"},
      {withInstance(R"(, "user_data": "a", "user_data_base64": "YQ==")"), "not both"},
      {withInstance(R"(, "user_data_base64": "not base64!")"), "user_data_base64: is not valid"},
      {withInstance(R"(, "key": {"name": "k"})"), "instances[0].key.data: missing"},
      {withInstance(R"(, "launch_index": -1)"), "instances[0].launch_index"},
      {withInstance(R"(, "meta": {"a": 1})"), "instances[0].meta.a: expected a string"},
      {withInstance(R"(, "security_groups": ["a", 2])"), "instances[0].security_groups[1]"},
      {withInstance(R"(, "files": [{"content": "x"}])"), "instances[0].files[0].path: missing"},
      {withInstance(R"(, "floating_ip": "nope")"), "instances[0].floating_ip"},
      {withInstance(R"(, "network_data": {"links": {}})"),
       "instances[0].network_data.links: expected an array"},
      {withInstance(R"(, "network_data": {"link": []})"),
       "instances[0].network_data.link: unknown key"},
      {withInstance(R"(, "network_data": {"links": [{"type": "ovs"}]})"),
       "instances[0].network_data.links[0].id: missing"},
      {withInstance(R"(, "network_data": {"links": [{"id": "l", "type": "ovs"}],
                                            "networks": [{"type": "ipv4", "link": "m"}]})"),
       "instances[0].network_data.networks[0].link: \"m\" is not the id of a link"},
      {withInstance(R"(, "network_data": {"networks": [{"link": "m"}]})"),
       "instances[0].network_data.networks[0].type: missing"},
      {withInstance(R"(, "network_data": {"services": ["dns"]})"),
       "instances[0].network_data.services[0]: expected an object"},
      {withInstance(R"(, "devices": {})"), "instances[0].devices: expected an array"},
      {withInstance(R"(, "dedicated_cpus": ["1"])"), "instances[0].dedicated_cpus[0]"},
      {withInstance(R"(, "vendor_data2": [])"), "instances[0].vendor_data2: expected an object"},
      {withInstance(", \"password\": \"" + std::string(1021, 'p') + "\""), "instances[0].password"},
      {R"({"instances": [{"uuid": "u1", "ports": [{"network_id": "n", "ip_addresses": ["192.0.2.1"]}]},
                         {"uuid": "u1", "ports": [{"network_id": "n", "ip_addresses": ["192.0.2.2"]}]}]})",
       "instances[1].uuid: \"u1\" is used by an earlier instance"},
      {R"({"instances": [{"uuid": "u1", "ports": [{"network_id": "n", "ip_addresses": ["2001:db8::1"]}]},
                         {"uuid": "u2", "ports": [{"network_id": "n", "ip_addresses": ["2001:DB8:0::1"]}]}]})",
       "instances[1].ports[0].ip_addresses[0]: 2001:db8::1 on network n is already used by "
       "instances[0].ports[0].ip_addresses[0]"},
      {R"({"instances": [], "routers": [{"id": "r"}]})", "routers[0].networks: missing"},
      {R"({"instances": [], "routers": [{"id": "r", "networks": [1]}]})", "routers[0].networks[0]"},
      {R"({"instances": [], "routers": [{"id": "r", "networks": []}, {"id": "r", "networks": []}]})",
       "routers[1].id: \"r\" is used by an earlier router"},
  };
  for (const auto& [text, needle] : cases) expectRefused(text, needle);
}

TEST(Loader, CommentKeysAreIgnoredEverywhere) {
  Result<DatasetPtr> r = parseDataset(
      R"({"_comment": "top", "instances": [{"_note": "x", "uuid": "u1",
          "ports": [{"_why": "y", "network_id": "n", "ip_addresses": ["192.0.2.1"]}]}]})");
  EXPECT_TRUE(r.ok()) << r.status().message();
}

// The documented examples must stay loadable (examples/README.md).
TEST(Loader, ExampleFilesLoad) {
  for (const char* name : {"metadata.json", "demo-metadata.json"}) {
    Result<DatasetPtr> r = loadDatasetFile(std::string(NSMP_EXAMPLES_DIR) + "/" + name);
    EXPECT_TRUE(r.ok()) << r.status().message();
  }
}

TEST(Loader, MissingFileIsNamed) {
  Result<DatasetPtr> r = loadDatasetFile("/nonexistent/metadata.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/nonexistent/metadata.json: cannot open"), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace nsmp::metadata
