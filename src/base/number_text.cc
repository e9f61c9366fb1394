#include "base/number_text.h"

#include <charconv>

namespace nsmp {

std::optional<uint64_t> parseDecimal(std::string_view text) {
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

SizeText parseSizeText(std::string_view text, uint64_t max) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  std::optional<uint64_t> n = parseDecimal(text.substr(0, digits));
  if (!n) return {0, SizeProblem::kNotANumber};
  std::string_view suffix = text.substr(digits);
  unsigned shift = 0;
  if (suffix == "k" || suffix == "K") {
    shift = 10;
  } else if (suffix == "m" || suffix == "M") {
    shift = 20;
  } else if (suffix == "g" || suffix == "G") {
    shift = 30;
  } else if (!suffix.empty()) {
    return {0, SizeProblem::kUnknownSuffix};
  }
  if (*n > (max >> shift)) return {0, SizeProblem::kTooLarge};
  return {*n << shift, SizeProblem::kNone};
}

}  // namespace nsmp
