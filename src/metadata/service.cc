#include "metadata/service.h"

#include <sys/random.h>

#include "metadata/base64.h"
#include "metadata/ec2_tree.h"
#include "metadata/lookup.h"
#include "metadata/nova_identity.h"
#include "metadata/openstack_tree.h"
#include "metadata/path.h"

namespace nsmp::metadata {

std::string systemRandomSeed() {
  std::string bytes(512, '\0');
  size_t filled = 0;
  while (filled < bytes.size()) {
    ssize_t n = getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (n <= 0) break;  // only EINTR is possible for 512 bytes; the seed is best effort
    filled += static_cast<size_t>(n);
  }
  return base64Encode(bytes);
}

MetadataService::MetadataService(std::shared_ptr<const Dataset> data)
    : data_(std::move(data)), randomSeed_(systemRandomSeed) {}

Response MetadataService::handle(const Request& request) {
  // Hold the snapshot for the whole request: a reload may swap data_.
  std::shared_ptr<const Dataset> data = data_;
  return answer(findInstance(*data, request), request);
}

Response MetadataService::handleSigned(const Request& request, std::string_view sharedSecret) {
  if (pathTokens(request.target).empty()) {
    Response r;
    r.body = ec2Versions();
    r.reason = "ok";
    return r;
  }
  std::shared_ptr<const Dataset> data = data_;
  return answer(findSignedInstance(*data, request, sharedSecret), request);
}

Response MetadataService::answer(const LookupResult& who, const Request& request) {
  if (!who.instance) return textResponse(who.status, who.message, who.reason);
  Response response = route(*who.instance, request);
  response.instance = who.instance->uuid;
  return response;
}

Response MetadataService::route(const Instance& instance, const Request& request) {
  std::vector<std::string> tokens = pathTokens(request.target);
  // Nova: anything that does not start with "openstack" is the EC2 tree,
  // with or without a leading "ec2".
  if (!tokens.empty() && tokens[0] == "openstack") {
    tokens.erase(tokens.begin());
    auto stored = passwords_.find(instance.uuid);
    OpenStackContext ctx{
        instance,
        {stored != passwords_.end() ? stored->second : instance.initialPassword,
         [this, &instance](std::string value) { passwords_[instance.uuid] = std::move(value); }},
        randomSeed_};
    return openstackLookup(ctx, request, tokens);
  }
  if (!tokens.empty() && tokens[0] == "ec2") tokens.erase(tokens.begin());
  if (request.method != "GET" && request.method != "HEAD") {
    Response r = textResponse(405, "Method Not Allowed", "bad_method");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  auto body = ec2Lookup(instance, tokens);
  if (!body) return textResponse(404, "Not Found", "no_such_path");
  Response r;
  r.body = std::move(*body);
  r.reason = "ok";
  return r;
}

}  // namespace nsmp::metadata
