// The OpenStack tree, path by path, against Nova's InstanceMetadata.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "helpers.h"

namespace nsmp::metadata::testing {
namespace {

using nlohmann::json;

json jsonBody(ServiceTest* t, const Response& r) {
  (void)t;
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.contentType, "application/json");
  return json::parse(r.body);
}

TEST_F(ServiceTest, OpenStackVersionList) {
  const char* expected =
      "2012-08-10\n2013-04-04\n2013-10-17\n2015-10-15\n2016-06-30\n2016-10-06\n2017-02-22\n"
      "2018-08-27\n2020-10-14\n2025-04-04\nlatest";
  EXPECT_EQ(body("/openstack"), expected);
  EXPECT_EQ(body("/openstack/"), expected);
}

TEST_F(ServiceTest, OpenStackVersionDirectory) {
  const char* all =
      "meta_data.json\nuser_data\npassword\nvendor_data.json\nnetwork_data.json\nvendor_data2.json";
  EXPECT_EQ(body("/openstack/latest"), all);
  EXPECT_EQ(body("/openstack/2018-08-27/"), all);
  EXPECT_EQ(body("/openstack/2012-08-10"), "meta_data.json\nuser_data");
  EXPECT_EQ(body("/openstack/2013-10-17"), "meta_data.json\nuser_data\npassword\nvendor_data.json");
  EXPECT_EQ(body("/openstack/latest", kNetB, "192.0.2.20"),
            "meta_data.json\npassword\nvendor_data.json\nnetwork_data.json\nvendor_data2.json");
  expect404("/openstack/2012-01-01");
  expect404("/openstack/latest/nothing");
  expect404("/openstack/latest/meta_data.json/x");
}

TEST_F(ServiceTest, MetaDataJsonAtLatest) {
  json md = jsonBody(this, get("/openstack/latest/meta_data.json"));
  json expected = {
      {"uuid", kVm1},
      {"name", "vm1"},
      {"hostname", "vm1.example"},
      {"availability_zone", "az1"},
      {"launch_index", 0},
      {"project_id", "proj-1"},
      {"meta", {{"role", "web"}}},
      {"public_keys", {{"mykey", "ssh-ed25519 AAAAC3Nza test@example"}}},
      {"keys",
       json::array(
           {{{"name", "mykey"}, {"type", "ssh"}, {"data", "ssh-ed25519 AAAAC3Nza test@example"}}})},
      {"files", json::array({{{"path", "/etc/motd"}, {"content_path", "/content/0000"}},
                             {{"path", "/etc/issue"}, {"content_path", "/content/0001"}}})},
      {"random_seed", "c2VlZA=="},
      {"devices", json::array({{{"type", "nic"},
                                {"bus", "pci"},
                                {"address", "0000:00:03.0"},
                                {"mac", "fa:16:3e:00:00:01"},
                                {"tags", {"eth0"}}}})},
      {"dedicated_cpus", {2, 3}},
  };
  EXPECT_EQ(md, expected) << md.dump(2);
}

TEST_F(ServiceTest, MetaDataJsonKeysDependOnVersion) {
  json folsom = jsonBody(this, get("/openstack/2012-08-10/meta_data.json"));
  for (const char* absent : {"random_seed", "project_id", "devices", "dedicated_cpus"})
    EXPECT_FALSE(folsom.contains(absent)) << absent;
  json liberty = jsonBody(this, get("/openstack/2015-10-15/meta_data.json"));
  EXPECT_TRUE(liberty.contains("project_id"));
  EXPECT_FALSE(liberty.contains("devices"));
  json rocky = jsonBody(this, get("/openstack/2018-08-27/meta_data.json"));
  EXPECT_TRUE(rocky.contains("devices"));
  EXPECT_FALSE(rocky.contains("dedicated_cpus"));
}

TEST_F(ServiceTest, MetaDataJsonOfAPlainInstance) {
  json md = jsonBody(this, get("/openstack/latest/meta_data.json", kNetB, "192.0.2.20"));
  EXPECT_EQ(md["uuid"], kVm2);
  EXPECT_EQ(md["hostname"], "vm2");
  EXPECT_EQ(md["availability_zone"], "nova");
  for (const char* absent : {"public_keys", "keys", "files", "meta"})
    EXPECT_FALSE(md.contains(absent)) << absent;
}

TEST_F(ServiceTest, InjectedFileContent) {
  EXPECT_EQ(body("/openstack/content/0000"), "hello\n");
  EXPECT_EQ(body("/openstack/content/0001"), "vm1");
  EXPECT_EQ(body("/openstack/latest/content/0001"), "vm1");
  EXPECT_EQ(body("/openstack/2018-08-27/content/0000"), "hello\n");
  expect404("/openstack/content/0002");
  expect404("/openstack/content");
  expect404("/openstack/content/1");
  expect404("/openstack/content/0000/x");
}

TEST_F(ServiceTest, UserData) {
  Response r = get("/openstack/latest/user_data");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "#cloud-config\nhostname: vm1\n");
  expect404("/openstack/latest/user_data", kNetB, "192.0.2.20");
}

TEST_F(ServiceTest, VendorData) {
  EXPECT_EQ(jsonBody(this, get("/openstack/latest/vendor_data.json")), json({{"vendor", "lab"}}));
  EXPECT_EQ(jsonBody(this, get("/openstack/latest/vendor_data2.json")),
            json({{"static", {{"vendor", "lab"}}}}));
  EXPECT_EQ(jsonBody(this, get("/openstack/latest/vendor_data.json", kNetB, "192.0.2.20")),
            json::object());
  expect404("/openstack/2013-04-04/vendor_data.json");   // before Havana
  expect404("/openstack/2016-06-30/vendor_data2.json");  // before Newton two
}

TEST_F(ServiceTest, NetworkData) {
  json nd = jsonBody(this, get("/openstack/latest/network_data.json"));
  EXPECT_TRUE(nd["links"].is_array());
  EXPECT_TRUE(nd["networks"].is_array());
  EXPECT_TRUE(nd["services"].is_array());
  EXPECT_EQ(nd["links"][0]["ethernet_mac_address"], "fa:16:3e:00:00:01");
  expect404("/openstack/2013-10-17/network_data.json");  // before Liberty
}

TEST_F(ServiceTest, PasswordGetIsEmptyUntilPosted) {
  Response r = get("/openstack/latest/password");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  expect404("/openstack/2012-08-10/password");  // before Grizzly
}

TEST_F(ServiceTest, PasswordPostOnceThenConflict) {
  Request post = fromVm("POST", "/openstack/latest/password");
  post.body = "encrypted-password";
  EXPECT_EQ(service_.handle(post).status, 200);
  EXPECT_EQ(body("/openstack/latest/password"), "encrypted-password");
  EXPECT_EQ(body("/openstack/2013-04-04/password"), "encrypted-password");
  post.body = "another";
  EXPECT_EQ(service_.handle(post).status, 409);
  EXPECT_EQ(body("/openstack/latest/password"), "encrypted-password");
  // Another instance is not affected.
  EXPECT_EQ(body("/openstack/latest/password", kNetB, "192.0.2.20"), "");
}

TEST_F(ServiceTest, PasswordFromTheDataFileConflictsToo) {
  EXPECT_EQ(body("/openstack/latest/password", kNetC, "192.0.2.10"), "preset");
  Request post = fromVm("POST", "/openstack/latest/password", kNetC, "192.0.2.10");
  post.body = "x";
  EXPECT_EQ(service_.handle(post).status, 409);
}

TEST_F(ServiceTest, PasswordLimits) {
  Request post = fromVm("POST", "/openstack/latest/password");
  post.body = std::string(1021, 'p');
  EXPECT_EQ(service_.handle(post).status, 400);
  post.body = std::string(1020, 'p');
  EXPECT_EQ(service_.handle(post).status, 200);
  EXPECT_EQ(service_.handle(fromVm("PUT", "/openstack/latest/password")).status, 400);
  EXPECT_EQ(service_.handle(fromVm("DELETE", "/openstack/latest/password")).status, 400);
}

TEST_F(ServiceTest, PostedPasswordSurvivesAReload) {
  Request post = fromVm("POST", "/openstack/latest/password");
  post.body = "kept";
  ASSERT_EQ(service_.handle(post).status, 200);
  service_.setData(fixtureData());
  EXPECT_EQ(body("/openstack/latest/password"), "kept");
}

TEST_F(ServiceTest, OpenStackIsReadOnlyElsewhere) {
  Response r = service_.handle(fromVm("POST", "/openstack/latest/meta_data.json"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(service_.handle(fromVm("HEAD", "/openstack/latest/meta_data.json")).status, 200);
}

TEST_F(ServiceTest, SeedIsFreshBase64ByDefault) {
  MetadataService service(fixtureData());
  Response a = service.handle(fromVm("GET", "/openstack/latest/meta_data.json"));
  Response b = service.handle(fromVm("GET", "/openstack/latest/meta_data.json"));
  std::string seedA = json::parse(a.body)["random_seed"];
  std::string seedB = json::parse(b.body)["random_seed"];
  EXPECT_EQ(seedA.size(), 684u);  // 512 bytes in base64
  EXPECT_NE(seedA, seedB);
}

}  // namespace
}  // namespace nsmp::metadata::testing
