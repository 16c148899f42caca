#include "capture/mysql/ddl_parser.h"

#include <cctype>

#include "capture/mysql/ddl_grammar.h"

namespace tidemark::mysql::ddl {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

AlterOp Op(AlterOp::Kind kind) {
  AlterOp op;
  op.kind = kind;
  return op;
}
AlterOp PrimaryKeyOp(std::vector<std::string> columns) {
  AlterOp op = Op(AlterOp::kAddPrimaryKey);
  op.key_columns = std::move(columns);
  return op;
}

bool IsCharacterTypeName(const std::string& t) {
  return t == "char" || t == "varchar" || t == "tinytext" || t == "text" || t == "mediumtext" ||
         t == "longtext" || t == "enum" || t == "set" || t == "json";
}
bool IsBinaryTypeName(const std::string& t) {
  return t == "binary" || t == "varbinary" || t == "tinyblob" || t == "blob" ||
         t == "mediumblob" || t == "longblob";
}

bool Parser::DataType(KnownColumn* col) {
  auto w = Ident();
  if (!w) return false;
  std::string t = Lower(*w);
  bool national = false;
  if (t == "national") {
    national = true;
    auto n = Ident();
    if (!n) return false;
    t = Lower(*n);
  }
  if (t == "double" && Accept("precision")) t = "double";
  if (t == "character" || t == "nchar") t = "char";
  if (t == "nvarchar") t = "varchar", national = true;
  if (t == "char" && Accept("varying")) t = "varchar";
  if (t == "long") {
    if (Accept("varbinary")) {
      t = "mediumblob";
    } else {
      Accept("varchar");
      t = "mediumtext";
    }
  }
  static const std::pair<const char*, const char*> kAliases[] = {
      {"integer", "int"}, {"int1", "tinyint"}, {"int2", "smallint"}, {"int3", "mediumint"},
      {"int4", "int"},    {"int8", "bigint"},  {"middleint", "mediumint"}, {"dec", "decimal"},
      {"numeric", "decimal"}, {"fixed", "decimal"}, {"real", "double"}, {"float8", "double"},
      {"float4", "float"}, {"bool", "tinyint"}, {"boolean", "tinyint"}, {"serial", "bigint"}};
  const bool boolean = t == "bool" || t == "boolean";
  if (t == "serial") col->is_unsigned = true;
  for (const auto& [a, b] : kAliases) {
    if (t == a) t = b;
  }
  col->data_type = t;
  col->column_type = t;
  if (IsPunct('(')) {
    size_t start = pos_;
    SkipParens();
    std::string args;
    for (size_t k = start; k < pos_; ++k) {
      const Token& a = t_[k];
      if (a.kind == Token::kString) {
        std::string esc;
        for (char c : a.text) esc += c == '\'' ? std::string("''") : std::string(1, c);
        args += "'" + esc + "'";
        if (t == "enum" || t == "set") col->labels.push_back(a.text);
      } else {
        args += a.text;
      }
    }
    col->column_type += args;
  }
  if (boolean) col->column_type = "tinyint(1)";
  if (national) col->charset = "utf8mb3";
  if (t == "json") {  // MariaDB: LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin
    col->is_json = true;
    col->charset = "utf8mb4";
  }
  for (;;) {
    if (Accept("unsigned")) {
      col->is_unsigned = true;
    } else if (Accept("zerofill")) {
      col->is_unsigned = true;  // ZEROFILL implies UNSIGNED
    } else if (Accept("signed") || Accept("ascii") || Accept("unicode") || Accept("byte")) {
    } else if (Accept("binary")) {
      // CHAR(n) BINARY: the charset's binary collation, not the binary charset.
    } else if (AcceptSeq({"character", "set"}) || Accept("charset")) {
      if (auto cs = CharsetValue()) col->charset = CharsetOfName(*cs);
    } else if (Accept("collate")) {
      if (auto co = CharsetValue()) col->charset = CharsetOfName(*co);
    } else {
      break;
    }
  }
  if (col->is_unsigned) col->column_type += " unsigned";
  if (IsBinaryTypeName(t)) col->charset = "binary";
  if (!IsCharacterTypeName(t) && !IsBinaryTypeName(t)) col->charset.clear();
  return true;
}

// col_def: name data_type [attributes]. Stops before ',' / ')' / FIRST / AFTER.
bool Parser::ColumnDef(KnownColumn* col, bool* primary) {
  auto name = Ident();
  if (!name) return false;
  col->name = *name;
  if (!DataType(col)) return false;
  bool unique = false;
  while (!AtEnd() && !IsPunct(',') && !IsPunct(')') && !Is("first") && !Is("after")) {
    if (AcceptSeq({"not", "null"})) {
      col->nullable = false;
    } else if (Accept("null")) {
      col->nullable = true;
    } else if (AcceptSeq({"primary", "key"})) {
      *primary = true;
    } else if (Accept("unique")) {
      unique = true;
      Accept("key");
    } else if (Accept("key")) {
      if (!unique) *primary = true;  // a bare KEY in a column definition is PRIMARY KEY
    } else if (AcceptSeq({"character", "set"}) || Accept("charset")) {
      if (auto cs = CharsetValue()) col->charset = CharsetOfName(*cs);
    } else if (Accept("collate")) {
      if (auto co = CharsetValue()) col->charset = CharsetOfName(*co);
    } else if (Accept("default") || Accept("comment")) {
      AcceptPunct('-');
      AcceptPunct('+');
      if (Peek().kind == Token::kWord && Peek().text[0] == '_' && Peek(1).kind == Token::kString) ++pos_;
      if (IsPunct('(')) {
        SkipParens();
      } else if (!AtEnd()) {
        ++pos_;
        if (IsPunct('(')) SkipParens();  // CURRENT_TIMESTAMP(6), NOW()
      }
    } else if (Accept("check")) {
      // MariaDB's JSON alias: CHECK (json_valid(`col`)).
      if (IsPunct('(') && Is("json_valid", 1) && IsPunct('(', 2)) {
        const Token& arg = Peek(3);
        if ((arg.kind == Token::kWord || arg.kind == Token::kQuoted) && arg.text == col->name) {
          col->is_json = true;
        }
      }
      if (IsPunct('(')) SkipParens();
    } else if (IsPunct('(')) {
      SkipParens();
    } else {
      ++pos_;
    }
  }
  if (!IsCharacterTypeName(col->data_type) && !IsBinaryTypeName(col->data_type)) {
    col->charset.clear();
  }
  return true;
}

DdlStatement Parser::CreateTable(bool temporary) {
  DdlStatement s;
  s.kind = DdlStatement::kCreateTable;
  s.temporary = temporary;
  SkipIfNotExists(&s.if_not_exists);
  auto name = Table();
  if (!name) return Unparsed({}, "CREATE TABLE without a table name");
  s.table = *name;
  if (Accept("like") || (IsPunct('(') && Is("like", 1))) {
    bool paren = AcceptPunct('(');
    if (paren) Accept("like");
    auto like = Table();
    if (!like) return Unparsed({*name}, "CREATE TABLE ... LIKE without a source table");
    s.kind = DdlStatement::kCreateTableLike;
    s.like = *like;
    return s;
  }
  if (!AcceptPunct('(')) {
    return Unparsed({*name}, "CREATE TABLE without a column list (CREATE TABLE ... SELECT)");
  }
  std::vector<std::string> pk;
  while (!AtEnd() && !IsPunct(')')) {
    if (Accept("constraint")) {
      if (!Is("primary") && !Is("unique") && !Is("foreign") && !Is("check")) Ident();
    }
    if (AcceptSeq({"primary", "key"})) {
      if (Accept("using")) Ident();
      pk = ParenNameList();
      SkipToSeparator();
    } else if (Is("index") || Is("key") || Is("unique") || Is("fulltext") || Is("spatial") ||
               Is("foreign") || Is("check") || Is("period") || Is("vector")) {
      SkipToSeparator();
    } else {
      KnownColumn col;
      bool primary = false;
      if (!ColumnDef(&col, &primary)) {
        return Unparsed({*name}, fmt::format("cannot read a column definition at {}", Here()));
      }
      if (primary) pk = {col.name};
      s.columns.push_back(std::move(col));
    }
    if (!AcceptPunct(',')) break;
  }
  if (!AcceptPunct(')')) {
    return Unparsed({*name}, fmt::format("unexpected {} in the column list", Here()));
  }
  // Table options; a SELECT after them makes the columns depend on a query.
  while (!AtEnd()) {
    if (Accept("default")) continue;
    if (AcceptSeq({"character", "set"}) || Accept("charset") || Accept("collate")) {
      if (auto cs = CharsetValue()) s.table_charset = CharsetOfName(*cs);
    } else if (Is("select") || Is("as") || Is("ignore") || Is("replace")) {
      return Unparsed({*name}, "CREATE TABLE ... SELECT (columns come from a query)");
    } else if (IsPunct('(')) {
      SkipParens();
    } else {
      ++pos_;
    }
  }
  for (KnownColumn& c : s.columns) {
    for (const std::string& k : pk) {
      if (Lower(k) == Lower(c.name)) c.part_of_key = true;
    }
  }
  for (const std::string& k : pk) {
    bool found = false;
    for (const KnownColumn& c : s.columns) found = found || Lower(k) == Lower(c.name);
    if (!found) return Unparsed({*name}, fmt::format("PRIMARY KEY names unknown column '{}'", k));
  }
  return s;
}

DdlStatement Parser::Parse() {
  DdlStatement none;
  if (Accept("create")) {
    bool or_replace = AcceptSeq({"or", "replace"});
    bool temporary = Accept("temporary");
    if (Accept("table")) {
      DdlStatement s = CreateTable(temporary);
      s.or_replace = or_replace;
      return s;
    }
    if (Accept("database") || Accept("schema")) {
      DdlStatement s;
      s.kind = DdlStatement::kCreateDatabase;
      SkipIfNotExists(&s.if_not_exists);
      auto d = Ident();
      if (!d) return Unparsed({}, "CREATE DATABASE without a name");
      s.database = *d;
      while (!AtEnd()) {
        if (AcceptSeq({"character", "set"}) || Accept("charset") || Accept("collate")) {
          if (auto cs = CharsetValue()) s.charset = CharsetOfName(*cs);
        } else {
          ++pos_;
        }
      }
      return s;
    }
    if (Accept("sequence")) {
      SkipIfNotExists();
      auto n = Table();
      return Unparsed(n ? std::vector<TableRef>{*n} : std::vector<TableRef>{},
                      "CREATE SEQUENCE (sequence tables are not tracked from DDL)");
    }
    return none;  // INDEX, VIEW, TRIGGER, PROCEDURE, FUNCTION, EVENT, USER, ROLE, ...
  }
  if (Accept("alter")) {
    Accept("online");
    Accept("ignore");
    if (Accept("table")) return AlterTable();
    if (Accept("database") || Accept("schema")) {
      DdlStatement s;
      s.kind = DdlStatement::kAlterDatabase;
      if (!Is("default") && !Is("character") && !Is("charset") && !Is("collate")) {
        auto d = Ident();
        if (d) s.database = *d;
      }
      while (!AtEnd()) {
        if (AcceptSeq({"character", "set"}) || Accept("charset") || Accept("collate")) {
          if (auto cs = CharsetValue()) s.charset = CharsetOfName(*cs);
        } else {
          ++pos_;
        }
      }
      return s;
    }
    if (Accept("sequence")) {
      SkipIfExists();
      auto n = Table();
      return Unparsed(n ? std::vector<TableRef>{*n} : std::vector<TableRef>{},
                      "ALTER SEQUENCE (sequence tables are not tracked from DDL)");
    }
    return none;
  }
  if (Accept("rename")) {
    if (!Accept("table") && !Accept("tables")) return none;  // RENAME USER
    DdlStatement s;
    s.kind = DdlStatement::kRenameTables;
    SkipIfExists();
    while (!AtEnd()) {
      auto a = Table();
      if (!a) return Unparsed({}, fmt::format("RENAME TABLE: expected a table at {}", Here()));
      if (Accept("wait")) {
        ++pos_;
      } else {
        Accept("nowait");
      }
      if (!Accept("to")) return Unparsed({*a}, fmt::format("RENAME TABLE: expected TO at {}", Here()));
      auto b = Table();
      if (!b) return Unparsed({*a}, fmt::format("RENAME TABLE: expected a table at {}", Here()));
      s.renames.push_back({*a, *b});
      if (!AcceptPunct(',')) break;
      SkipIfExists();
    }
    return s;
  }
  if (Accept("drop")) {
    bool temporary = Accept("temporary");
    if (Accept("table") || Accept("tables")) {
      DdlStatement s;
      s.kind = DdlStatement::kDropTables;
      s.temporary = temporary;
      SkipIfExists();
      while (!AtEnd()) {
        auto t = Table();
        if (!t) break;
        s.tables.push_back(*t);
        if (!AcceptPunct(',')) break;
      }
      if (s.tables.empty()) return Unparsed({}, "DROP TABLE without a table name");
      return s;
    }
    if (Accept("database") || Accept("schema")) {
      DdlStatement s;
      s.kind = DdlStatement::kDropDatabase;
      SkipIfExists();
      auto d = Ident();
      if (!d) return Unparsed({}, "DROP DATABASE without a name");
      s.database = *d;
      return s;
    }
    if (Accept("sequence")) {
      DdlStatement s;
      s.kind = DdlStatement::kDropTables;
      SkipIfExists();
      while (auto t = Table()) {
        s.tables.push_back(*t);
        if (!AcceptPunct(',')) break;
      }
      return s;
    }
    return none;
  }
  return none;  // TRUNCATE (data, not schema), DML, GRANT, SET, ...
}

}  // namespace tidemark::mysql::ddl

namespace tidemark::mysql {

std::string CharsetOfName(std::string_view name) {
  std::string n = ddl::Lower(name);
  size_t us = n.find('_');
  std::string cs = us == std::string::npos ? n : n.substr(0, us);
  if (n == "utf8mb4" || n.rfind("utf8mb4_", 0) == 0) return "utf8mb4";
  if (n == "utf8mb3" || n.rfind("utf8mb3_", 0) == 0) return "utf8mb3";
  if (cs == "utf8") return "utf8mb3";
  return cs;
}

DdlStatement ParseDdl(std::string_view query) { return ddl::Parser(query).Parse(); }

}  // namespace tidemark::mysql
