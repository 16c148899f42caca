// The MySQL DDL grammar's parser class, shared by ddl_parser.cc (CREATE TABLE, column
// definitions and types, statement dispatch) and ddl_parser_alter.cc (ALTER TABLE). Internal
// to capture/mysql: callers use ParseDdl in ddl_parser.h.
#ifndef TIDEMARK_CAPTURE_MYSQL_DDL_GRAMMAR_H_
#define TIDEMARK_CAPTURE_MYSQL_DDL_GRAMMAR_H_

#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capture/mysql/ddl_parser.h"
#include "capture/mysql/ddl_tokenizer.h"

namespace tidemark::mysql::ddl {

std::string Lower(std::string_view s);

class Parser {
 public:
  explicit Parser(std::string_view q) : t_(Tokenize(q)) {}

  DdlStatement Parse();

 private:
  const Token& Peek(size_t k = 0) const {
    static const Token kEndToken;
    return pos_ + k < t_.size() ? t_[pos_ + k] : kEndToken;
  }
  bool AtEnd() const { return pos_ >= t_.size(); }
  // Keyword match: an unquoted word, case-insensitive.
  bool Is(std::string_view kw, size_t k = 0) const {
    const Token& t = Peek(k);
    return t.kind == Token::kWord && Lower(t.text) == kw;
  }
  bool IsPunct(char c, size_t k = 0) const {
    const Token& t = Peek(k);
    return t.kind == Token::kPunct && t.text[0] == c;
  }
  bool Accept(std::string_view kw) {
    if (!Is(kw)) return false;
    ++pos_;
    return true;
  }
  bool AcceptPunct(char c) {
    if (!IsPunct(c)) return false;
    ++pos_;
    return true;
  }
  bool AcceptSeq(std::initializer_list<std::string_view> kws) {
    size_t k = 0;
    for (std::string_view kw : kws) {
      if (!Is(kw, k++)) return false;
    }
    pos_ += kws.size();
    return true;
  }
  std::optional<std::string> Ident() {
    const Token& t = Peek();
    if (t.kind != Token::kWord && t.kind != Token::kQuoted) return std::nullopt;
    ++pos_;
    return t.text;
  }
  std::optional<TableRef> Table() {
    auto a = Ident();
    if (!a) return std::nullopt;
    if (AcceptPunct('.')) {
      auto b = Ident();
      if (!b) return std::nullopt;
      return TableRef{*a, *b};
    }
    return TableRef{"", *a};
  }
  // Skips one balanced (...) group; the current token must be '('.
  void SkipParens() {
    int depth = 0;
    while (!AtEnd()) {
      if (IsPunct('(')) ++depth;
      if (IsPunct(')')) --depth;
      ++pos_;
      if (depth == 0) return;
    }
  }
  // Skips to the next ',' or ')' at this nesting level (not consumed).
  void SkipToSeparator() {
    while (!AtEnd() && !IsPunct(',') && !IsPunct(')')) {
      if (IsPunct('(')) {
        SkipParens();
      } else {
        ++pos_;
      }
    }
  }
  void SkipIfExists() { AcceptSeq({"if", "exists"}); }
  void SkipIfNotExists(bool* seen = nullptr) {
    if (AcceptSeq({"if", "not", "exists"}) && seen) *seen = true;
  }
  std::optional<std::string> CharsetValue() {
    AcceptPunct('=');
    if (Peek().kind == Token::kString) return t_[pos_++].text;
    return Ident();
  }
  std::vector<std::string> ParenNameList() {  // (a, b(10) DESC, ...)
    std::vector<std::string> out;
    if (!AcceptPunct('(')) return out;
    while (!AtEnd() && !IsPunct(')')) {
      if (auto n = Ident()) out.push_back(*n);
      SkipToSeparator();
      AcceptPunct(',');
    }
    AcceptPunct(')');
    return out;
  }

  bool ColumnDef(KnownColumn* col, bool* primary);
  bool DataType(KnownColumn* col);
  void Placement(AlterOp* op) {
    if (Accept("first")) {
      op->first = true;
    } else if (Accept("after")) {
      if (auto a = Ident()) op->after = *a;
    }
  }
  DdlStatement CreateTable(bool temporary);
  DdlStatement AlterTable();
  bool AlterSpec(DdlStatement* s);
  DdlStatement Unparsed(std::vector<TableRef> tables, std::string reason) {
    DdlStatement s;
    s.kind = DdlStatement::kUnparsed;
    s.tables = std::move(tables);
    s.reason = std::move(reason);
    return s;
  }
  std::string Here() const {
    return AtEnd() ? "the end of the statement" : fmt::format("'{}'", Peek().text);
  }

  std::vector<Token> t_;
  size_t pos_ = 0;
};

AlterOp Op(AlterOp::Kind kind);
AlterOp PrimaryKeyOp(std::vector<std::string> columns);
bool IsCharacterTypeName(const std::string& t);
bool IsBinaryTypeName(const std::string& t);

}  // namespace tidemark::mysql::ddl

#endif  // TIDEMARK_CAPTURE_MYSQL_DDL_GRAMMAR_H_
