// The metadata server's behaviour without any I/O, in two fronts over the
// same data and trees:
//   handle()        Neutron's agent then Nova: who is asking from the proxy's
//                   identity header and X-Forwarded-For (lookup.h)
//   handleSigned()  Nova's metadata API alone, behind a real Neutron agent:
//                   who is asking from the signed X-Instance-ID (nova_identity.h)
// then what to answer (ec2_tree.h, openstack_tree.h). The socket servers feed
// it parsed requests.
//
// State: the current Dataset snapshot (swapped whole on reload) and the
// passwords instances have POSTed, kept by instance uuid so that a reload
// does not forget them. Posted passwords live in memory only; a restart
// returns to the data file's "password" values.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "metadata/lookup.h"
#include "metadata/message.h"
#include "metadata/model.h"

namespace nsmp::metadata {

class MetadataService {
 public:
  explicit MetadataService(std::shared_ptr<const Dataset> data);

  void setData(std::shared_ptr<const Dataset> data) { data_ = std::move(data); }
  const std::shared_ptr<const Dataset>& data() const { return data_; }

  // Replaces the source of meta_data.json's random_seed (tests make it fixed).
  void setRandomSeed(std::function<std::string()> seed) { randomSeed_ = std::move(seed); }

  // Never throws. A HEAD request gets the GET answer; the caller sends only
  // the head (with the body's Content-Length).
  Response handle(const Request& request);

  // As Nova's handler: "/" lists the EC2 versions before any check (Nova
  // answers it without headers); every other path needs the signed id.
  Response handleSigned(const Request& request, std::string_view sharedSecret);

 private:
  Response answer(const LookupResult& who, const Request& request);
  Response route(const Instance& instance, const Request& request);

  std::shared_ptr<const Dataset> data_;
  std::map<std::string, std::string> passwords_;  // by instance uuid
  std::function<std::string()> randomSeed_;
};

// Nova's random_seed: 512 random bytes, base64.
std::string systemRandomSeed();

}  // namespace nsmp::metadata
