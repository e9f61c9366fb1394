#include "metadata/ec2_tree.h"

#include <algorithm>
#include <array>

namespace nsmp::metadata {
namespace {

using nlohmann::json;

constexpr std::array<const char*, 9> kVersions = {"1.0",        "2007-01-19", "2007-03-01",
                                                  "2007-08-29", "2007-10-10", "2007-12-15",
                                                  "2008-02-01", "2008-09-01", "2009-04-04"};

int versionIndex(const std::string& version) {
  if (version == "latest") return static_cast<int>(kVersions.size()) - 1;
  for (size_t i = 0; i < kVersions.size(); ++i)
    if (version == kVersions[i]) return static_cast<int>(i);
  return -1;
}

bool atLeast(int requested, const char* required) { return requested >= versionIndex(required); }

// get_ec2_metadata(): the tree for one version. Nova marks the public-keys/0
// entry with "_name" so that its parent lists "0=<keyname>" instead of "0/".
json ec2Tree(const Instance& in, int version) {
  std::string fixedIp;
  for (const Port& port : in.ports) {
    for (const IpAddress& a : port.addresses) {
      if (!a.v6() && fixedIp.empty()) fixedIp = a.text();
    }
  }
  std::string floatingIp = in.floatingIp ? in.floatingIp->text() : "";
  json md = {{"ami-id", in.amiId},
             {"ami-launch-index", in.launchIndex},
             {"ami-manifest-path", "FIXME"},
             {"instance-id", in.ec2InstanceId},
             {"hostname", in.hostname},
             {"local-ipv4", fixedIp},
             {"reservation-id", in.reservationId},
             {"security-groups", in.securityGroups}};
  if (in.key) {
    md["public-keys"] = {{"0", {{"_name", "0=" + in.key->name}, {"openssh-key", in.key->data}}}};
  }
  if (atLeast(version, "2007-01-19")) {
    md["local-hostname"] = in.hostname;
    md["public-hostname"] = in.hostname;
    md["public-ipv4"] = floatingIp;
  }
  if (atLeast(version, "2007-08-29")) md["instance-type"] = in.instanceType;
  if (atLeast(version, "2007-12-15")) md["block-device-mapping"] = in.blockDeviceMapping;
  if (atLeast(version, "2008-02-01"))
    md["placement"] = {{"availability-zone", in.availabilityZone}};
  if (atLeast(version, "2008-09-01")) md["instance-action"] = "none";
  json data = {{"meta-data", md}};
  if (in.userData) data["user-data"] = *in.userData;
  return data;
}

// A directory: its sorted keys, one per line, "key/" for a sub-directory
// (or its "_name" when it has one).
std::string renderDirectory(const json& node) {
  std::string out;
  for (const auto& [key, value] : node.items()) {  // nlohmann keeps keys sorted
    if (key == "_name") continue;
    if (!out.empty()) out += '\n';
    if (value.is_object()) {
      out += value.contains("_name") ? value["_name"].get<std::string>() : key + "/";
    } else {
      out += key;
    }
  }
  return out;
}

// A list: one item per line, strings as they are.
std::string renderList(const json& node) {
  std::string out;
  for (const json& item : node) {
    if (!out.empty()) out += '\n';
    out += item.is_string() ? item.get<std::string>() : item.dump();
  }
  return out;
}

// ec2_md_print(): sorted keys of a directory, one per line, "key/" for a
// sub-directory; a list one item per line; a leaf as is.
std::string render(const json& node) {
  if (node.is_object()) return renderDirectory(node);
  if (node.is_array()) return renderList(node);
  if (node.is_string()) return node.get<std::string>();
  return node.dump();
}

}  // namespace

std::string ec2Versions() {
  std::string out;
  for (const char* v : kVersions) out += std::string(v) + "\n";
  return out + "latest";
}

std::optional<std::string> ec2Lookup(const Instance& instance,
                                     const std::vector<std::string>& tokens) {
  if (tokens.empty()) return ec2Versions();
  int version = versionIndex(tokens[0]);
  if (version < 0) return std::nullopt;
  json tree = ec2Tree(instance, version);
  const json* node = &tree;
  for (size_t i = 1; i < tokens.size(); ++i) {
    // "_name" is bookkeeping, not a resource.
    if (!node->is_object() || tokens[i] == "_name" || !node->contains(tokens[i]))
      return std::nullopt;
    node = &(*node)[tokens[i]];
  }
  return render(*node);
}

}  // namespace nsmp::metadata
