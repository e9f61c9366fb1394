#include "metadata/path.h"

#include <gtest/gtest.h>

namespace nsmp::metadata {
namespace {

using Tokens = std::vector<std::string>;

TEST(Path, NormalisesLikePosixpathNormpath) {
  const std::pair<const char*, Tokens> cases[] = {
      {"/", {}},
      {"", {}},
      {"/latest/meta-data/", {"latest", "meta-data"}},
      {"//latest//meta-data", {"latest", "meta-data"}},
      {"/latest/./meta-data/../user-data", {"latest", "user-data"}},
      {"/../../openstack", {"openstack"}},
      {"/openstack?x=1", {"openstack"}},
      {"/openstack/latest/meta%5Fdata.json", {"openstack", "latest", "meta_data.json"}},
      {"/a%2", {"a%2"}},
  };
  for (const auto& [in, out] : cases) EXPECT_EQ(pathTokens(in), out) << in;
}

}  // namespace
}  // namespace nsmp::metadata
