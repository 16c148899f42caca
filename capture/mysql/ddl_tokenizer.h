// Tokenizer for MySQL/MariaDB DDL statements (used by ddl_parser): words, quoted
// identifiers and strings (unescaped), numbers and punctuation. Ordinary comments are
// dropped; executable comments (/*!50100 ... */, /*M!100100 ... */) are tokenized as code.
#ifndef TIDEMARK_CAPTURE_MYSQL_DDL_TOKENIZER_H_
#define TIDEMARK_CAPTURE_MYSQL_DDL_TOKENIZER_H_

#include <string>
#include <string_view>
#include <vector>

namespace tidemark::mysql {

struct Token {
  enum Kind { kWord, kQuoted, kString, kNumber, kPunct, kEnd };
  Kind kind = kEnd;
  std::string text;  // words as written; quoted identifiers and strings unescaped
};

std::vector<Token> Tokenize(std::string_view q);

}  // namespace tidemark::mysql

#endif  // TIDEMARK_CAPTURE_MYSQL_DDL_TOKENIZER_H_
