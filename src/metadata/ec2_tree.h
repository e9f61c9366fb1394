// The EC2-compatible tree Nova serves (nova/api/metadata/base.py,
// get_ec2_metadata(), ec2_md_print(), find_path_in_tree()):
//   /                         the EC2 versions, then "latest", one per line
//   /<version>                "meta-data/" and, when there is user data, "user-data"
//   /<version>/meta-data/...  directories list their entries ("name/" for a
//                             directory), leaves are their value; lists
//                             (security-groups) are one item per line
//   /<version>/user-data      the raw user data
// Which meta-data keys exist depends on the version, as in Nova.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "metadata/model.h"

namespace nsmp::metadata {

// Body for the EC2 path `tokens` (version first; empty = the version list),
// or nullopt for 404.
// "/": the EC2 versions, then "latest", one per line.
std::string ec2Versions();

std::optional<std::string> ec2Lookup(const Instance& instance,
                                     const std::vector<std::string>& tokens);

}  // namespace nsmp::metadata
