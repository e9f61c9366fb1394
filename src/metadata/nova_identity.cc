#include "metadata/nova_identity.h"

#include "metadata/hmac_sha256.h"

namespace nsmp::metadata {
namespace {

LookupResult refuse(int status, const char* message, const char* reason) {
  return {nullptr, status, message, reason};
}

// webob.exc.HTTPNotFound() without an explanation.
constexpr const char* kNotFound = "The resource could not be found.";

}  // namespace

std::string signInstanceId(std::string_view sharedSecret, std::string_view instanceId) {
  return hexLower(hmacSha256(sharedSecret, instanceId));
}

LookupResult findSignedInstance(const Dataset& data, const Request& request,
                                std::string_view sharedSecret) {
  auto ids = request.headerValues("X-Instance-ID");
  auto tenants = request.headerValues("X-Tenant-ID");
  auto signatures = request.headerValues("X-Instance-ID-Signature");
  if (ids.empty())
    return refuse(400, "X-Instance-ID header is missing from request.", "missing_instance_id");
  if (signatures.empty())
    return refuse(400, "X-Instance-ID-Signature header is missing from request.",
                  "missing_signature");
  if (tenants.empty())
    return refuse(400, "X-Tenant-ID header is missing from request.", "missing_tenant_id");
  if (ids.size() > 1)
    return refuse(400, "Multiple X-Instance-ID headers found within request.",
                  "repeated_instance_id");
  if (tenants.size() > 1)
    return refuse(400, "Multiple X-Tenant-ID headers found within request.", "repeated_tenant_id");

  std::string_view id = ids[0];
  // Always compute and compare, also for an empty or repeated signature, so
  // that the time taken says nothing about which check failed.
  std::string expected = signInstanceId(sharedSecret, id);
  bool signed_ok = equalConstantTime(expected, signatures[0]);
  if (!signed_ok || signatures.size() > 1 || signatures[0].empty())
    return refuse(403, "Invalid proxy request signature.", "bad_signature");

  for (const Instance& instance : data.instances) {
    if (instance.uuid != id) continue;
    if (instance.projectId != tenants[0]) return refuse(404, kNotFound, "wrong_tenant");
    return {&instance, 200, "", "ok"};
  }
  return refuse(404, kNotFound, "no_instance");
}

}  // namespace nsmp::metadata
