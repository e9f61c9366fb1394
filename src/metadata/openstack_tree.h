// The OpenStack tree Nova serves (nova/api/metadata/base.py):
//   /openstack                      the dated versions, then "latest", one per line
//   /openstack/<version>            the files of that version, one per line
//   /openstack/<version>/meta_data.json, user_data (404 when none),
//       vendor_data.json, vendor_data2.json, network_data.json, password
//   /openstack/content/NNNN         an injected file (meta_data.json "files")
// Nova gates each file and key on the version ("password" from 2013-04-04,
// "project_id" from 2015-10-15, ...); so does this.
//
// Deviation, on purpose: /openstack/<version>/content/NNNN serves the same
// content as /openstack/content/NNNN (Nova answers 404 there), for clients
// that resolve content_path relative to the version directory.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "metadata/message.h"
#include "metadata/model.h"

namespace nsmp::metadata {

// What the password file is now and what a POST should do with it; the
// service owns the storage (posted passwords outlive a data-file reload).
struct PasswordSlot {
  std::string current;
  std::function<void(std::string)> store;
};

struct OpenStackContext {
  const Instance& instance;
  PasswordSlot password;
  std::function<std::string()> randomSeed;  // base64 of random bytes
};

// `tokens` starts after "openstack". Handles GET/HEAD everywhere and POST
// on "password"; other methods get 405 (password: 400, as Nova says "GET
// and POST only are supported").
Response openstackLookup(const OpenStackContext& ctx, const Request& request,
                         const std::vector<std::string>& tokens);

}  // namespace nsmp::metadata
