#include "metadata/openstack_tree.h"

#include <fmt/format.h>

#include <array>

namespace nsmp::metadata {
namespace {

using nlohmann::json;

constexpr const char* kGrizzly = "2013-04-04";
constexpr const char* kHavana = "2013-10-17";
constexpr const char* kLiberty = "2015-10-15";
constexpr const char* kNewtonOne = "2016-06-30";
constexpr const char* kNewtonTwo = "2016-10-06";
constexpr const char* kVictoria = "2020-10-14";

// Nova hides versions dated in the future; every one listed here is past.
constexpr std::array<const char*, 10> kOrdered = {
    "2012-08-10", "2013-04-04", "2013-10-17", "2015-10-15", "2016-06-30",
    "2016-10-06", "2017-02-22", "2018-08-27", "2020-10-14", "2025-04-04"};

// ISO dates compare as strings; "latest" is the newest.
std::string resolveVersion(const std::string& v) {
  if (v == "latest") return kOrdered.back();
  for (const char* known : kOrdered)
    if (v == known) return v;
  return "";
}

bool atLeast(const std::string& version, const char* required) { return version >= required; }

const char* kJson = "application/json";

Response ok(std::string body, const char* contentType = nullptr) {
  Response r;
  r.body = std::move(body);
  if (contentType) r.contentType = contentType;
  r.reason = "ok";
  return r;
}

Response notFound() { return textResponse(404, "Not Found", "no_such_path"); }

Response methodNotAllowed(const char* allow) {
  Response r = textResponse(405, "Method Not Allowed", "bad_method");
  r.headers.emplace_back("Allow", allow);
  return r;
}

json metaData(const OpenStackContext& ctx, const std::string& version) {
  const Instance& in = ctx.instance;
  json md = {{"uuid", in.uuid}};
  if (!in.meta.empty()) md["meta"] = in.meta;
  if (!in.files.empty()) {
    json files = json::array();
    for (size_t i = 0; i < in.files.size(); ++i)
      files.push_back(
          {{"path", in.files[i].path}, {"content_path", fmt::format("/content/{:04}", i)}});
    md["files"] = files;
  }
  if (in.key) {
    md["public_keys"] = {{in.key->name, in.key->data}};
    md["keys"] =
        json::array({{{"name", in.key->name}, {"type", in.key->type}, {"data", in.key->data}}});
  }
  md["hostname"] = in.hostname;
  md["name"] = in.name;
  md["launch_index"] = in.launchIndex;
  md["availability_zone"] = in.availabilityZone;
  if (atLeast(version, kGrizzly)) md["random_seed"] = ctx.randomSeed();
  if (atLeast(version, kLiberty)) md["project_id"] = in.projectId;
  if (atLeast(version, kNewtonOne)) md["devices"] = in.devices;
  if (atLeast(version, kVictoria)) md["dedicated_cpus"] = in.dedicatedCpus;
  return md;
}

std::string listing(const Instance& in, const std::string& version) {
  std::string out = "meta_data.json";
  if (in.userData) out += "\nuser_data";
  if (atLeast(version, kGrizzly)) out += "\npassword";
  if (atLeast(version, kHavana)) out += "\nvendor_data.json";
  if (atLeast(version, kLiberty)) out += "\nnetwork_data.json";
  if (atLeast(version, kNewtonTwo)) out += "\nvendor_data2.json";
  return out;
}

// nova/api/metadata/password.py: GET returns it (empty when unset); one POST
// sets it; a POST while one is set is 409; over 4 x 255 bytes is 400.
Response password(const OpenStackContext& ctx, const Request& request) {
  if (request.method == "GET" || request.method == "HEAD") return ok(ctx.password.current);
  if (request.method != "POST")
    return textResponse(400, "GET and POST only are supported.", "bad_method");
  if (!ctx.password.current.empty())
    return textResponse(409, "A password is already set for this instance.", "password_set");
  if (request.body.size() > 1020) return textResponse(400, "Request is too large.", "too_large");
  ctx.password.store(request.body);
  return ok("");
}

Response content(const Instance& in, const std::string& key) {
  for (size_t i = 0; i < in.files.size(); ++i) {
    if (key == fmt::format("{:04}", i)) return ok(in.files[i].content);
  }
  return notFound();
}

// The version list: each known version, then "latest".
Response versions() {
  std::string out;
  for (const char* v : kOrdered) out += std::string(v) + "\n";
  return ok(out + "latest");
}

// A file of a version's directory (/openstack/<version>/<name>), found only
// from the version that introduced it on.
Response versionFile(const OpenStackContext& ctx, const Request& request,
                     const std::string& version, const std::string& name) {
  const Instance& in = ctx.instance;
  if (name == "meta_data.json") return ok(metaData(ctx, version).dump(), kJson);
  if (name == "user_data") return in.userData ? ok(*in.userData) : notFound();
  if (name == "password") return atLeast(version, kGrizzly) ? password(ctx, request) : notFound();
  if (name == "vendor_data.json")
    return atLeast(version, kHavana) ? ok(in.vendorData.dump(), kJson) : notFound();
  if (name == "network_data.json")
    return atLeast(version, kLiberty) ? ok(in.networkData.dump(), kJson) : notFound();
  if (name == "vendor_data2.json")
    return atLeast(version, kNewtonTwo) ? ok(in.vendorData2.dump(), kJson) : notFound();
  return notFound();
}

}  // namespace

Response openstackLookup(const OpenStackContext& ctx, const Request& request,
                         const std::vector<std::string>& tokens) {
  bool isPassword = tokens.size() == 2 && tokens[1] == "password";
  if (!isPassword && request.method != "GET" && request.method != "HEAD")
    return methodNotAllowed("GET, HEAD");
  const Instance& in = ctx.instance;
  if (tokens.empty()) return versions();
  if (tokens[0] == "content") return tokens.size() == 2 ? content(in, tokens[1]) : notFound();
  std::string version = resolveVersion(tokens[0]);
  if (version.empty()) return notFound();
  if (tokens.size() == 1) return ok(listing(in, version));
  if (tokens.size() == 3 && tokens[1] == "content") return content(in, tokens[2]);
  if (tokens.size() != 2) return notFound();
  return versionFile(ctx, request, version, tokens[1]);
}

}  // namespace nsmp::metadata
