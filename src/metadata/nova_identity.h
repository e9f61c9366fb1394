// Who is asking, as Nova's metadata API decides it behind Neutron's metadata
// agent ([neutron] service_metadata_proxy = True;
// nova/api/metadata/handler.py _handle_instance_id_request()): the agent has
// already found the instance and names it in X-Instance-ID, with its project
// in X-Tenant-ID and X-Instance-ID-Signature = hex HMAC-SHA256 of the id keyed
// with the shared secret. Nova checks, in this order, and so does this:
//   400  X-Instance-ID, X-Instance-ID-Signature or X-Tenant-ID missing
//        (an empty value counts as present, as in Nova)
//   400  X-Instance-ID or X-Tenant-ID repeated
//   403  the signature is not the HMAC of the id (compared in constant time)
//   404  no such instance, or the tenant does not own it (Nova answers both
//        the same way and tells the difference only in its log; so does the
//        access log's reason word here)
//
// Deviation, on purpose: Nova means to refuse repeated headers, but its WSGI
// server joins them with "," first, so there the check never fires and the
// joined value fails later (403 or 404). Here a repeated header is the 400
// Nova's message describes. A repeated signature is not a 400 in Nova either
// way (it is never checked for repeats): here it is a 403, as the joined value
// would be there.
#pragma once

#include <string_view>

#include "metadata/lookup.h"
#include "metadata/message.h"
#include "metadata/model.h"

namespace nsmp::metadata {

LookupResult findSignedInstance(const Dataset& data, const Request& request,
                                std::string_view sharedSecret);

// What Neutron's agent sends as X-Instance-ID-Signature for `instanceId`.
std::string signInstanceId(std::string_view sharedSecret, std::string_view instanceId);

}  // namespace nsmp::metadata
