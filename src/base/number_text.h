// Numbers as operators write them in options and config files: the one
// reader of plain decimal counts and of sizes with a binary suffix, shared by
// the Neutron command line (app/cli_values) and haproxy configs
// (haproxy/values), which word their own messages.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace nsmp {

// Digits only (no sign, no spaces, no "0x"), fitting in 64 bits.
std::optional<uint64_t> parseDecimal(std::string_view text);

// Why a size was refused, for the caller's message.
enum class SizeProblem : uint8_t { kNone, kNotANumber, kUnknownSuffix, kTooLarge };

struct SizeText {
  uint64_t bytes = 0;
  SizeProblem problem = SizeProblem::kNone;
};

// Digits with an optional k, m or g suffix (either case; powers of 1024), at
// most `max` bytes: "100", "10k", "1M".
SizeText parseSizeText(std::string_view text, uint64_t max);

}  // namespace nsmp
