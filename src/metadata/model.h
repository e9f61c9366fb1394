// The data the metadata server answers from: what Neutron knows (ports,
// routers) and what Nova knows (the instance), loaded from the data file
// (see examples/README.md for the file format). Immutable once loaded: a
// reload builds a new Dataset and swaps the shared pointer, so a request in
// flight keeps the snapshot it started with.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "metadata/ip.h"

namespace nsmp::metadata {

// A Neutron port of the instance: the network it sits on and its fixed IPs.
struct Port {
  std::string networkId;
  std::vector<IpAddress> addresses;
  std::string macText;                        // "" when not given
  std::optional<std::array<uint8_t, 6>> mac;  // for fe80:: clients
};

struct KeyPair {
  std::string name;
  std::string type;  // "ssh" or "x509", as Nova's keypair type
  std::string data;  // the public key
};

struct InjectedFile {
  std::string path;     // where the guest should write it
  std::string content;  // served at /openstack/content/NNNN
};

// The implicit default constructor is noexcept: each json member starts as
// null through basic_json(std::nullptr_t) noexcept, which delegates to
// basic_json(value_t), a constructor that allocates for other types but not
// for null. clang-tidy cannot tell, so it reports this struct; nlohmann marks
// that same constructor NOLINT(bugprone-exception-escape) for the same reason.
// NOLINTNEXTLINE(bugprone-exception-escape): nothing here throws, see above
struct Instance {
  std::string uuid;
  std::string name;      // Nova's display_name
  std::string hostname;  // defaults to name
  std::string projectId;
  std::string availabilityZone;
  int64_t launchIndex = 0;
  std::string instanceType;  // the flavor name
  std::string ec2InstanceId;
  std::string amiId;
  std::string reservationId;
  std::vector<std::string> securityGroups;
  std::vector<Port> ports;
  std::optional<IpAddress> floatingIp;
  std::optional<KeyPair> key;
  std::optional<std::string> userData;  // raw bytes; absent means "no user data" (404)
  std::map<std::string, std::string> meta;
  std::vector<InjectedFile> files;
  std::map<std::string, std::string> blockDeviceMapping;
  nlohmann::json vendorData;     // vendor_data.json
  nlohmann::json vendorData2;    // vendor_data2.json
  nlohmann::json networkData;    // network_data.json
  nlohmann::json devices;        // meta_data.json "devices" (an array)
  nlohmann::json dedicatedCpus;  // meta_data.json "dedicated_cpus" (an array)
  std::string initialPassword;   // the password before any POST
};

struct Router {
  std::string id;
  std::vector<std::string> networkIds;
};

struct Dataset {
  std::vector<Instance> instances;
  std::map<std::string, Router> routers;  // by id
};

}  // namespace nsmp::metadata
