#include "metadata/loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

#include "metadata/base64.h"

namespace nsmp::metadata {
namespace {

using nlohmann::json;

// Thrown inside this file only, caught in parseDataset(): validation is
// start-up/config work, where a message for a person is the whole result.
struct DataError {
  std::string message;
};

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw DataError{path.empty() ? what : path + ": " + what};
}

std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}
std::string index(const std::string& path, size_t i) { return fmt::format("{}[{}]", path, i); }

const char* typeName(const json& j) { return j.type_name(); }

// Keys starting with "_" are comments ("_comment": "...") and ignored; any
// other key must be known, so a typo ("user-data") is an error, not silence.
void checkKeys(const json& object, const std::string& path,
               std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : object.items()) {
    if (!key.empty() && key[0] == '_') continue;
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string list;
    for (auto a : allowed) list += fmt::format("{}{}", list.empty() ? "" : ", ", a);
    fail(child(path, key), fmt::format("unknown key (expected one of: {})", list));
  }
}

const json& requireObject(const json& j, const std::string& path) {
  if (!j.is_object()) fail(path, fmt::format("expected an object, found {}", typeName(j)));
  return j;
}
const json& requireArray(const json& j, const std::string& path) {
  if (!j.is_array()) fail(path, fmt::format("expected an array, found {}", typeName(j)));
  return j;
}

std::optional<std::string> optString(const json& object, std::string_view key,
                                     const std::string& path) {
  auto it = object.find(key);
  if (it == object.end()) return std::nullopt;
  if (!it->is_string())
    fail(child(path, key), fmt::format("expected a string, found {}", typeName(*it)));
  return it->get<std::string>();
}

std::string reqString(const json& object, std::string_view key, const std::string& path) {
  auto value = optString(object, key, path);
  if (!value) fail(child(path, key), "missing (required)");
  if (value->empty()) fail(child(path, key), "must not be empty");
  return *value;
}

std::string strOr(const json& object, std::string_view key, const std::string& path,
                  std::string fallback) {
  auto value = optString(object, key, path);
  return value ? *value : std::move(fallback);
}

std::vector<std::string> stringList(const json& j, const std::string& path) {
  requireArray(j, path);
  std::vector<std::string> out;
  for (size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_string())
      fail(index(path, i), fmt::format("expected a string, found {}", typeName(j[i])));
    out.push_back(j[i].get<std::string>());
  }
  return out;
}

std::map<std::string, std::string> stringMap(const json& j, const std::string& path) {
  requireObject(j, path);
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : j.items()) {
    if (!value.is_string())
      fail(child(path, key), fmt::format("expected a string, found {}", typeName(value)));
    out[key] = value.get<std::string>();
  }
  return out;
}

IpAddress ipAt(const json& j, const std::string& path) {
  if (!j.is_string()) fail(path, fmt::format("expected a string, found {}", typeName(j)));
  auto ip = parseIp(j.get_ref<const std::string&>());
  if (!ip) fail(path, fmt::format("\"{}\" is not an IPv4 or IPv6 address", j.get<std::string>()));
  return *ip;
}

Port parsePort(const json& j, const std::string& path) {
  requireObject(j, path);
  checkKeys(j, path, {"network_id", "ip_addresses", "mac_address"});
  Port port;
  port.networkId = reqString(j, "network_id", path);
  auto ips = j.find("ip_addresses");
  std::string ipsPath = child(path, "ip_addresses");
  if (ips == j.end()) fail(ipsPath, "missing (required)");
  requireArray(*ips, ipsPath);
  if (ips->empty()) fail(ipsPath, "needs at least one address");
  for (size_t i = 0; i < ips->size(); ++i)
    port.addresses.push_back(ipAt((*ips)[i], index(ipsPath, i)));
  if (auto mac = optString(j, "mac_address", path)) {
    port.mac = parseMac(*mac);
    if (!port.mac)
      fail(child(path, "mac_address"),
           fmt::format("\"{}\" is not a MAC address like fa:16:3e:00:00:01", *mac));
    port.macText = *mac;
    std::transform(port.macText.begin(), port.macText.end(), port.macText.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  }
  return port;
}

// The fields cloud-init's convert_net_json() indexes without a default
// (cloudinit/sources/helpers/openstack.py): a link needs "id" and "type", a
// network "link" (naming a link) and "type", a service is an object.
void validateNetworkData(const json& nd, const std::string& path) {
  std::set<std::string> linkIds;
  for (const char* part : {"links", "networks", "services"}) {
    if (!nd.contains(part)) continue;
    std::string partPath = child(path, part);
    const json& list = requireArray(nd[part], partPath);
    for (size_t i = 0; i < list.size(); ++i) {
      std::string itemPath = index(partPath, i);
      const json& item = requireObject(list[i], itemPath);
      if (std::string_view(part) == "services") continue;
      reqString(item, "type", itemPath);
      if (std::string_view(part) == "links") {
        linkIds.insert(reqString(item, "id", itemPath));
        continue;
      }
      std::string link = reqString(item, "link", itemPath);
      if (!linkIds.count(link))
        fail(child(itemPath, "link"), fmt::format("\"{}\" is not the id of a link", link));
    }
  }
}

// What Nova's netutils.get_network_metadata() would produce for plain DHCP
// ports: one link per port that has a MAC, one network per address on it.
json defaultNetworkData(const Instance& instance) {
  json links = json::array();
  json networks = json::array();
  for (size_t p = 0; p < instance.ports.size(); ++p) {
    const Port& port = instance.ports[p];
    if (!port.mac) continue;
    std::string linkId = fmt::format("tap{}", p);
    links.push_back({{"id", linkId},
                     {"vif_id", ""},
                     {"type", "ovs"},
                     {"mtu", nullptr},
                     {"ethernet_mac_address", port.macText}});
    for (const IpAddress& address : port.addresses) {
      networks.push_back({{"id", fmt::format("network{}", networks.size())},
                          {"type", address.v6() ? "ipv6_dhcp" : "ipv4_dhcp"},
                          {"link", linkId},
                          {"network_id", port.networkId}});
    }
  }
  return {{"links", links}, {"networks", networks}, {"services", json::array()}};
}

std::vector<Port> parsePorts(const json& j, const std::string& path) {
  auto ports = j.find("ports");
  std::string portsPath = child(path, "ports");
  if (ports == j.end()) fail(portsPath, "missing (required: the instance's Neutron ports)");
  requireArray(*ports, portsPath);
  if (ports->empty()) fail(portsPath, "needs at least one port");
  std::vector<Port> out;
  for (size_t i = 0; i < ports->size(); ++i)
    out.push_back(parsePort((*ports)[i], index(portsPath, i)));
  return out;
}

KeyPair parseKey(const json& j, const std::string& path) {
  requireObject(j, path);
  checkKeys(j, path, {"name", "type", "data"});
  return KeyPair{reqString(j, "name", path), strOr(j, "type", path, "ssh"),
                 reqString(j, "data", path)};
}

// "user_data" as it is or "user_data_base64" decoded (not both); none: no user data.
std::optional<std::string> parseUserData(const json& j, const std::string& path) {
  std::optional<std::string> userData = optString(j, "user_data", path);
  if (auto encoded = optString(j, "user_data_base64", path)) {
    if (userData)
      fail(child(path, "user_data_base64"), "give user_data or user_data_base64, not both");
    userData = base64Decode(*encoded);
    if (!userData) fail(child(path, "user_data_base64"), "is not valid padded base64");
  }
  return userData;
}

std::vector<InjectedFile> parseFiles(const json& j, const std::string& path) {
  requireArray(j, path);
  std::vector<InjectedFile> out;
  for (size_t i = 0; i < j.size(); ++i) {
    std::string filePath = index(path, i);
    requireObject(j[i], filePath);
    checkKeys(j[i], filePath, {"path", "content"});
    out.push_back({reqString(j[i], "path", filePath), strOr(j[i], "content", filePath, "")});
  }
  return out;
}

json parseDedicatedCpus(const json& j, const std::string& path) {
  requireArray(j, path);
  for (size_t i = 0; i < j.size(); ++i)
    if (!j[i].is_number_unsigned()) fail(index(path, i), "expected a CPU number");
  return j;
}

// The names, ids and defaults of the instance, as Nova keeps them.
void parseNovaFields(const json& j, const std::string& path, size_t position, Instance* in) {
  in->uuid = reqString(j, "uuid", path);
  in->name = strOr(j, "name", path, in->uuid);
  in->hostname = strOr(j, "hostname", path, in->name);
  in->projectId = strOr(j, "project_id", path, "");
  in->availabilityZone = strOr(j, "availability_zone", path, "nova");
  if (auto it = j.find("launch_index"); it != j.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0)
      fail(child(path, "launch_index"), "expected a non-negative integer");
    in->launchIndex = it->get<int64_t>();
  }
  in->instanceType = strOr(j, "instance_type", path, "m1.small");
  in->ec2InstanceId = strOr(j, "ec2_id", path, fmt::format("i-{:08x}", position + 1));
  in->amiId = strOr(j, "ami_id", path, "ami-00000001");
  in->reservationId = strOr(j, "reservation_id", path, fmt::format("r-{:08x}", position + 1));
  in->securityGroups = {"default"};
  if (auto it = j.find("security_groups"); it != j.end())
    in->securityGroups = stringList(*it, child(path, "security_groups"));
}

// vendor_data, vendor_data2, network_data, devices and dedicated_cpus: the
// JSON documents served (nearly) as given. network_data defaults from the
// ports, which must be parsed already.
void parseDocuments(const json& j, const std::string& path, Instance* in) {
  // Nova's defaults: the StaticJSON provider with no file gives {} for
  // vendor_data.json and {"static": {}} for vendor_data2.json.
  in->vendorData = j.value("vendor_data", json::object());
  in->vendorData2 =
      j.contains("vendor_data2") ? j["vendor_data2"] : json{{"static", in->vendorData}};
  if (!in->vendorData2.is_object()) fail(child(path, "vendor_data2"), "expected an object");
  if (auto it = j.find("network_data"); it != j.end()) {
    std::string ndPath = child(path, "network_data");
    requireObject(*it, ndPath);
    checkKeys(*it, ndPath, {"links", "networks", "services"});
    validateNetworkData(*it, ndPath);
    in->networkData = *it;
  } else {
    in->networkData = defaultNetworkData(*in);
  }
  in->devices = json::array();
  if (auto it = j.find("devices"); it != j.end())
    in->devices = requireArray(*it, child(path, "devices"));
  in->dedicatedCpus = json::array();
  if (auto it = j.find("dedicated_cpus"); it != j.end())
    in->dedicatedCpus = parseDedicatedCpus(*it, child(path, "dedicated_cpus"));
}

Instance parseInstance(const json& j, const std::string& path, size_t position) {
  requireObject(j, path);
  checkKeys(j, path,
            {"uuid",
             "name",
             "hostname",
             "project_id",
             "availability_zone",
             "launch_index",
             "instance_type",
             "ec2_id",
             "ami_id",
             "reservation_id",
             "security_groups",
             "ports",
             "floating_ip",
             "key",
             "user_data",
             "user_data_base64",
             "meta",
             "files",
             "block_device_mapping",
             "vendor_data",
             "vendor_data2",
             "network_data",
             "devices",
             "dedicated_cpus",
             "password"});
  Instance in;
  parseNovaFields(j, path, position, &in);
  in.ports = parsePorts(j, path);
  if (auto it = j.find("floating_ip"); it != j.end())
    in.floatingIp = ipAt(*it, child(path, "floating_ip"));
  if (auto it = j.find("key"); it != j.end()) in.key = parseKey(*it, child(path, "key"));
  in.userData = parseUserData(j, path);
  if (auto it = j.find("meta"); it != j.end()) in.meta = stringMap(*it, child(path, "meta"));
  if (auto it = j.find("files"); it != j.end()) in.files = parseFiles(*it, child(path, "files"));
  in.blockDeviceMapping = {{"ami", "vda"}, {"root", "/dev/vda"}};
  if (auto it = j.find("block_device_mapping"); it != j.end())
    in.blockDeviceMapping = stringMap(*it, child(path, "block_device_mapping"));
  parseDocuments(j, path, &in);
  in.initialPassword = strOr(j, "password", path, "");
  // Nova stores at most 4 chunks of 255 characters (nova/api/metadata/password.py).
  if (in.initialPassword.size() > 1020) fail(child(path, "password"), "longer than 1020 bytes");
  return in;
}

Dataset parseRoot(const json& root) {
  requireObject(root, "(top level)");
  checkKeys(root, "", {"instances", "routers"});
  Dataset data;
  auto instances = root.find("instances");
  if (instances == root.end()) fail("instances", "missing (required, may be [])");
  requireArray(*instances, "instances");
  std::set<std::string> uuids;
  std::map<std::pair<std::string, std::string>, std::string> owners;  // (network, ip) -> path
  for (size_t i = 0; i < instances->size(); ++i) {
    std::string path = index("instances", i);
    Instance in = parseInstance((*instances)[i], path, i);
    if (!uuids.insert(in.uuid).second)
      fail(child(path, "uuid"), fmt::format("\"{}\" is used by an earlier instance", in.uuid));
    // Neutron's agent needs exactly one port for (network, address).
    for (size_t p = 0; p < in.ports.size(); ++p) {
      for (size_t a = 0; a < in.ports[p].addresses.size(); ++a) {
        std::string here = fmt::format("{}.ports[{}].ip_addresses[{}]", path, p, a);
        auto key = std::make_pair(in.ports[p].networkId, in.ports[p].addresses[a].text());
        auto [it, fresh] = owners.emplace(key, here);
        if (!fresh)
          fail(here, fmt::format("{} on network {} is already used by {}", key.second, key.first,
                                 it->second));
      }
    }
    data.instances.push_back(std::move(in));
  }
  if (auto routers = root.find("routers"); routers != root.end()) {
    requireArray(*routers, "routers");
    for (size_t i = 0; i < routers->size(); ++i) {
      std::string path = index("routers", i);
      const json& r = requireObject((*routers)[i], path);
      checkKeys(r, path, {"id", "networks"});
      Router router;
      router.id = reqString(r, "id", path);
      auto nets = r.find("networks");
      if (nets == r.end()) fail(child(path, "networks"), "missing (required)");
      router.networkIds = stringList(*nets, child(path, "networks"));
      if (data.routers.count(router.id))
        fail(child(path, "id"), fmt::format("\"{}\" is used by an earlier router", router.id));
      data.routers.emplace(router.id, std::move(router));
    }
  }
  return data;
}

// nlohmann's message reads "[json.exception.parse_error.101] parse error at
// line 3, column 5: syntax error ..."; keep only the part after the position.
std::string parseErrorDetail(const std::string& what) {
  auto column = what.find("column");
  auto colon = what.find(": ", column == std::string::npos ? 0 : column);
  return colon == std::string::npos ? what : what.substr(colon + 2);
}

}  // namespace

TextPosition positionOfByte(std::string_view text, size_t byte) {
  TextPosition pos;
  size_t end = std::min(byte == 0 ? 0 : byte - 1, text.size());
  for (size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++pos.line;
      pos.column = 1;
    } else {
      ++pos.column;
    }
  }
  return pos;
}

Result<DatasetPtr> parseDataset(std::string_view text) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    TextPosition pos = positionOfByte(text, e.byte);
    return invalidArgument(
        fmt::format("line {}, column {}: {}", pos.line, pos.column, parseErrorDetail(e.what())));
  }
  try {
    return DatasetPtr(std::make_shared<const Dataset>(parseRoot(root)));
  } catch (const DataError& e) {
    return invalidArgument(e.message);
  }
}

Result<DatasetPtr> loadDatasetFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::fromErrno(path + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status(Code::kIo, path + ": read error");
  Result<DatasetPtr> result = parseDataset(text.str());
  if (!result) return result.status().withContext(path);
  return result;
}

}  // namespace nsmp::metadata
