// RFC 4648 section 4 base64 (with padding): random_seed in meta_data.json is
// encoded, user_data_base64 in the data file is decoded.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nsmp::metadata {

std::string base64Encode(std::string_view bytes);
// Strict: padding required, no whitespace; nullopt on anything else.
std::optional<std::string> base64Decode(std::string_view text);

}  // namespace nsmp::metadata
