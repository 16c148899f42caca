#include "capture/mysql/ddl_tokenizer.h"

#include <cctype>

namespace tidemark::mysql {
namespace {

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

}  // namespace

// Splits a statement into tokens. Ordinary comments are dropped; the text of executable
// comments (/*!50100 ... */, /*M!100100 ... */) is tokenized as code.
std::vector<Token> Tokenize(std::string_view q) {
  std::vector<Token> out;
  size_t i = 0;
  int exec_depth = 0;
  auto quoted = [&](char quote) {
    std::string s;
    ++i;
    while (i < q.size()) {
      char c = q[i];
      if (c == quote && i + 1 < q.size() && q[i + 1] == quote) {
        s.push_back(quote);
        i += 2;
      } else if (c == quote) {
        ++i;
        break;
      } else if (c == '\\' && quote != '`' && i + 1 < q.size()) {
        s.push_back(q[i + 1]);
        i += 2;
      } else {
        s.push_back(c);
        ++i;
      }
    }
    return s;
  };
  while (i < q.size()) {
    char c = q[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '/' && i + 1 < q.size() && q[i + 1] == '*') {
      size_t j = i + 2;
      if (j < q.size() && q[j] == 'M' && j + 1 < q.size() && q[j + 1] == '!') ++j;
      if (j < q.size() && q[j] == '!') {
        ++j;
        while (j < q.size() && std::isdigit(static_cast<unsigned char>(q[j]))) ++j;
        ++exec_depth;
        i = j;
      } else {
        size_t e = q.find("*/", i + 2);
        i = e == std::string_view::npos ? q.size() : e + 2;
      }
    } else if (c == '*' && exec_depth > 0 && i + 1 < q.size() && q[i + 1] == '/') {
      --exec_depth;
      i += 2;
    } else if (c == '#' || (c == '-' && i + 2 < q.size() && q[i + 1] == '-' &&
                            std::isspace(static_cast<unsigned char>(q[i + 2])))) {
      size_t e = q.find('\n', i);
      i = e == std::string_view::npos ? q.size() : e + 1;
    } else if (c == '`') {
      out.push_back({Token::kQuoted, quoted('`')});
    } else if (c == '\'' || c == '"') {
      out.push_back({Token::kString, quoted(c)});
    } else if ((c == 'x' || c == 'X' || c == 'b' || c == 'B' || c == 'n' || c == 'N') &&
               i + 1 < q.size() && q[i + 1] == '\'') {
      ++i;  // x'..', b'..', N'..' literals
      out.push_back({Token::kString, quoted('\'')});
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t j = i;
      while (j < q.size() && (IsWordChar(q[j]) || q[j] == '.')) ++j;
      out.push_back({Token::kNumber, std::string(q.substr(i, j - i))});
      i = j;
    } else if (IsWordChar(c)) {
      size_t j = i;
      while (j < q.size() && IsWordChar(q[j])) ++j;
      out.push_back({Token::kWord, std::string(q.substr(i, j - i))});
      i = j;
    } else {
      out.push_back({Token::kPunct, std::string(1, c)});
      ++i;
    }
  }
  return out;
}

}  // namespace tidemark::mysql
