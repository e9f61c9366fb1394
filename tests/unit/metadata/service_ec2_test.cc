// The EC2 tree, path by path, against what Nova's get_ec2_metadata() and
// ec2_md_print() produce for the same instance.
#include <gtest/gtest.h>

#include "helpers.h"

namespace nsmp::metadata::testing {
namespace {

const char* kEc2Versions =
    "1.0\n2007-01-19\n2007-03-01\n2007-08-29\n2007-10-10\n2007-12-15\n2008-02-01\n"
    "2008-09-01\n2009-04-04\nlatest";

TEST_F(ServiceTest, Ec2VersionList) {
  EXPECT_EQ(body("/"), kEc2Versions);
  EXPECT_EQ(body("/ec2"), kEc2Versions);
  EXPECT_EQ(body("/ec2/"), kEc2Versions);
  EXPECT_EQ(get("/").contentType, "text/plain; charset=UTF-8");
}

TEST_F(ServiceTest, Ec2VersionDirectory) {
  EXPECT_EQ(body("/latest"), "meta-data/\nuser-data");
  EXPECT_EQ(body("/2009-04-04/"), "meta-data/\nuser-data");
  EXPECT_EQ(body("/latest", kNetB, "192.0.2.20"), "meta-data/");  // vm2: no user data
  expect404("/2016-09-02/meta-data/instance-id");                 // unknown version
  expect404("/nonsense");
}

TEST_F(ServiceTest, Ec2MetaDataListingAtLatest) {
  EXPECT_EQ(body("/latest/meta-data/"),
            "ami-id\nami-launch-index\nami-manifest-path\nblock-device-mapping/\nhostname\n"
            "instance-action\ninstance-id\ninstance-type\nlocal-hostname\nlocal-ipv4\n"
            "placement/\npublic-hostname\npublic-ipv4\npublic-keys/\nreservation-id\n"
            "security-groups");
  EXPECT_EQ(body("/latest/meta-data"), body("/latest/meta-data/"));
}

TEST_F(ServiceTest, Ec2MetaDataListingDependsOnVersion) {
  EXPECT_EQ(body("/1.0/meta-data/"),
            "ami-id\nami-launch-index\nami-manifest-path\nhostname\ninstance-id\nlocal-ipv4\n"
            "public-keys/\nreservation-id\nsecurity-groups");
  std::string v2007_08 = body("/2007-08-29/meta-data/");
  EXPECT_NE(v2007_08.find("instance-type"), std::string::npos);
  EXPECT_EQ(v2007_08.find("block-device-mapping/"), std::string::npos);
  EXPECT_EQ(v2007_08.find("placement/"), std::string::npos);
  expect404("/1.0/meta-data/local-hostname");
}

TEST_F(ServiceTest, Ec2Leaves) {
  const std::pair<const char*, const char*> cases[] = {
      {"ami-id", "ami-0000000a"},
      {"ami-launch-index", "0"},
      {"ami-manifest-path", "FIXME"},
      {"instance-id", "i-00000001"},
      {"hostname", "vm1.example"},
      {"local-hostname", "vm1.example"},
      {"public-hostname", "vm1.example"},
      {"local-ipv4", "192.0.2.10"},
      {"public-ipv4", "198.51.100.10"},
      {"instance-type", "m1.tiny"},
      {"instance-action", "none"},
      {"reservation-id", "r-abcdef01"},
      {"security-groups", "default\nweb"},
      {"placement", "availability-zone"},
      {"placement/availability-zone", "az1"},
      {"block-device-mapping", "ami\nroot"},
      {"block-device-mapping/ami", "vda"},
      {"block-device-mapping/root", "/dev/vda"},
      {"public-keys", "0=mykey"},
      {"public-keys/", "0=mykey"},
      {"public-keys/0", "openssh-key"},
      {"public-keys/0/", "openssh-key"},
      {"public-keys/0/openssh-key", "ssh-ed25519 AAAAC3Nza test@example"},
  };
  for (const auto& [leaf, expected] : cases) {
    EXPECT_EQ(body(std::string("/latest/meta-data/") + leaf), expected) << leaf;
    EXPECT_EQ(body(std::string("/2009-04-04/meta-data/") + leaf), expected) << leaf;
  }
}

TEST_F(ServiceTest, Ec2WithoutKeyOrFloatingIp) {
  std::string listing = body("/latest/meta-data/", kNetB, "192.0.2.20");
  EXPECT_EQ(listing.find("public-keys"), std::string::npos) << listing;
  EXPECT_EQ(body("/latest/meta-data/public-ipv4", kNetB, "192.0.2.20"), "");
  EXPECT_EQ(body("/latest/meta-data/security-groups", kNetB, "192.0.2.20"), "default");
  expect404("/latest/meta-data/public-keys/0/openssh-key", kNetB, "192.0.2.20");
}

TEST_F(ServiceTest, Ec2UserData) {
  EXPECT_EQ(body("/latest/user-data"), "#cloud-config\nhostname: vm1\n");
  EXPECT_EQ(body("/2009-04-04/user-data"), "#cloud-config\nhostname: vm1\n");
  expect404("/latest/user-data", kNetB, "192.0.2.20");
}

TEST_F(ServiceTest, Ec2UnknownPaths) {
  for (const char* path :
       {"/latest/meta-data/nothing", "/latest/meta-data/hostname/x",
        "/latest/meta-data/public-keys/1", "/latest/meta-data/public-keys/0/_name",
        "/latest/meta-data/placement/region", "/latest/dynamic/instance-identity"}) {
    expect404(path);
  }
}

TEST_F(ServiceTest, Ec2IsReadOnly) {
  Response r = service_.handle(fromVm("POST", "/latest/meta-data/hostname"));
  EXPECT_EQ(r.status, 405);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Allow");
  // The token PUT cloud-init sends on AWS only; elsewhere it is not asked for.
  EXPECT_EQ(service_.handle(fromVm("PUT", "/latest/api/token")).status, 405);
  EXPECT_EQ(service_.handle(fromVm("HEAD", "/latest/meta-data/hostname")).status, 200);
}

}  // namespace
}  // namespace nsmp::metadata::testing
