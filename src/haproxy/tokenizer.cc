#include "haproxy/tokenizer.h"

namespace nsmp::haproxy {

Result<std::vector<std::string>> splitWords(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;  // '"' or '\'' while inside quotes
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < line.size()) {
        word += line[++i];
      } else if (c == '$' && quote == '"') {
        return invalidArgument("environment variables in quotes are not supported");
      } else {
        word += c;
      }
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    if (c == '#') break;
    in_word = true;
    if (c == '\\') {
      if (i + 1 == line.size()) return invalidArgument("a backslash ends the line");
      word += line[++i];
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else {
      word += c;
    }
  }
  if (quote != 0) return invalidArgument("unterminated quote");
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace nsmp::haproxy
