#include "haproxy/tokenizer.h"

namespace nsmp::haproxy {
namespace {

// line[*i] inside quotes (`*quote` is '"' or '\''): the closing quote ends
// them, and in double quotes a backslash escapes the next character.
// Advances *i past an escaped character.
Status quotedChar(std::string_view line, size_t* i, char* quote, std::string* word) {
  char c = line[*i];
  if (c == *quote) {
    *quote = 0;
    return {};
  }
  if (*quote == '"') {
    if (c == '\\' && *i + 1 < line.size()) {
      *word += line[++*i];
      return {};
    }
    if (c == '$') return invalidArgument("environment variables in quotes are not supported");
  }
  *word += c;
  return {};
}

// line[*i] in a word outside quotes: a backslash escapes the next character,
// a quote opens quotes. Advances *i past an escaped character.
Status plainChar(std::string_view line, size_t* i, char* quote, std::string* word) {
  char c = line[*i];
  if (c == '\\') {
    if (*i + 1 == line.size()) return invalidArgument("a backslash ends the line");
    *word += line[++*i];
  } else if (c == '"' || c == '\'') {
    *quote = c;
  } else {
    *word += c;
  }
  return {};
}

}  // namespace

Result<std::vector<std::string>> splitWords(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;  // '"' or '\'' while inside quotes
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote != 0) {
      if (Status s = quotedChar(line, &i, &quote, &word); !s) return s;
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
    if (Status s = plainChar(line, &i, &quote, &word); !s) return s;
  }
  if (quote != 0) return invalidArgument("unterminated quote");
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace nsmp::haproxy
