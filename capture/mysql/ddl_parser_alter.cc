// ALTER TABLE in the MySQL DDL grammar (see ddl_grammar.h for the parser it extends).
#include "capture/mysql/ddl_grammar.h"

namespace tidemark::mysql::ddl {

bool Parser::AlterSpec(DdlStatement* s) {
  AlterOp op;
  if (Accept("add")) {
    if (Is("partition") || Is("index") || Is("key") || Is("unique") || Is("fulltext") ||
        Is("spatial") || Is("foreign") || Is("check") || Is("period") || Is("vector")) {
      SkipToSeparator();
      return true;
    }
    if (Accept("constraint")) {
      if (!Is("primary") && !Is("unique") && !Is("foreign") && !Is("check")) {
        SkipIfNotExists();
        Ident();
      }
    }
    if (AcceptSeq({"primary", "key"})) {
      if (Accept("using")) Ident();
      op.kind = AlterOp::kAddPrimaryKey;
      op.key_columns = ParenNameList();
      if (op.key_columns.empty()) return false;
      SkipToSeparator();
      s->ops.push_back(std::move(op));
      return true;
    }
    if (Is("unique") || Is("foreign") || Is("check")) {
      SkipToSeparator();
      return true;
    }
    if (Is("system")) return false;  // ADD SYSTEM VERSIONING adds hidden columns
    Accept("column");
    SkipIfNotExists(&op.if_exists);
    op.kind = AlterOp::kAddColumn;
    if (AcceptPunct('(')) {
      while (!AtEnd() && !IsPunct(')')) {
        AlterOp each = op;
        bool primary = false;
        if (!ColumnDef(&each.column, &primary)) return false;
        s->ops.push_back(each);
        if (primary) s->ops.push_back(PrimaryKeyOp({each.column.name}));
        if (!AcceptPunct(',')) break;
      }
      return AcceptPunct(')');
    }
    bool primary = false;
    if (!ColumnDef(&op.column, &primary)) return false;
    Placement(&op);
    std::string col = op.column.name;
    s->ops.push_back(std::move(op));
    if (primary) s->ops.push_back(PrimaryKeyOp({col}));
    return true;
  }
  if (Accept("drop")) {
    if (AcceptSeq({"primary", "key"})) {
      s->ops.push_back(Op(AlterOp::kDropPrimaryKey));
      return true;
    }
    if (Is("system")) return false;
    if (Is("index") || Is("key") || Is("foreign") || Is("constraint") || Is("check") ||
        Is("partition") || Is("period") || Is("unique")) {
      SkipToSeparator();
      return true;
    }
    Accept("column");
    SkipIfNotExists();  // not valid here, harmless
    if (AcceptSeq({"if", "exists"})) op.if_exists = true;
    auto n = Ident();
    if (!n) return false;
    op.kind = AlterOp::kDropColumn;
    op.name = *n;
    Accept("restrict") || Accept("cascade");
    s->ops.push_back(std::move(op));
    return true;
  }
  if (Is("modify") || Is("change")) {
    bool change = Is("change");
    ++pos_;
    Accept("column");
    if (AcceptSeq({"if", "exists"})) op.if_exists = true;
    if (change) {
      auto old = Ident();
      if (!old) return false;
      op.name = *old;
    }
    bool primary = false;
    if (!ColumnDef(&op.column, &primary)) return false;
    op.kind = change ? AlterOp::kChangeColumn : AlterOp::kModifyColumn;
    if (!change) op.name = op.column.name;
    Placement(&op);
    std::string col = op.column.name;
    s->ops.push_back(std::move(op));
    if (primary) s->ops.push_back(PrimaryKeyOp({col}));
    return true;
  }
  if (Accept("rename")) {
    if (Accept("column")) {
      auto a = Ident();
      if (!a || !Accept("to")) return false;
      auto b = Ident();
      if (!b) return false;
      AlterOp r = Op(AlterOp::kRenameColumn);
      r.name = *a;
      r.new_name = *b;
      s->ops.push_back(std::move(r));
      return true;
    }
    if (Is("index") || Is("key")) {
      SkipToSeparator();
      return true;
    }
    if (!Accept("to") && !Accept("as")) AcceptPunct('=');
    auto to = Table();
    if (!to) return false;
    AlterOp r = Op(AlterOp::kRenameTable);
    r.to = *to;
    s->ops.push_back(std::move(r));
    return true;
  }
  if (Accept("convert")) {
    if (!Accept("to")) return false;
    if (!AcceptSeq({"character", "set"}) && !Accept("charset")) return false;
    auto cs = CharsetValue();
    if (!cs) return false;
    if (Accept("collate")) CharsetValue();
    if (Lower(*cs) == "default") return false;  // the database's default: not known here
    std::string charset = CharsetOfName(*cs);
    AlterOp r = Op(AlterOp::kConvertCharset);
    r.charset = charset;
    s->ops.push_back(std::move(r));
    return true;
  }
  if (Accept("default")) {
    if (!Is("character") && !Is("charset") && !Is("collate")) return false;
  }
  if (AcceptSeq({"character", "set"}) || Accept("charset") || Accept("collate")) {
    auto cs = CharsetValue();
    if (!cs) return false;
    AlterOp r = Op(AlterOp::kTableCharset);
    r.charset = CharsetOfName(*cs);
    s->ops.push_back(std::move(r));
    return true;
  }
  if (Accept("alter")) {  // ALTER [COLUMN] c SET DEFAULT / DROP DEFAULT / ..., ALTER INDEX
    SkipToSeparator();
    return true;
  }
  if (Is("with") || Is("without")) return false;  // system versioning
  static const char* kNoColumnEffect[] = {
      "engine", "auto_increment", "comment", "row_format", "key_block_size", "avg_row_length",
      "checksum", "table_checksum", "max_rows", "min_rows", "pack_keys", "stats_auto_recalc",
      "stats_persistent", "stats_sample_pages", "data", "index", "encrypted",
      "encryption_key_id", "encryption", "page_checksum", "page_compressed",
      "page_compression_level", "transactional", "compression", "insert_method", "union",
      "connection", "password", "delay_key_write", "algorithm", "lock", "force", "order",
      "enable", "disable", "discard", "import", "partition", "coalesce", "reorganize",
      "analyze", "check", "optimize", "rebuild", "repair", "truncate", "exchange", "remove",
      "tablespace", "storage", "secondary_engine", "secondary_engine_attribute",
      "engine_attribute", "autoextend_size", "start", "validation", "upgrade", "sequence",
      "ietf_quotes", "wait", "nowait"};
  for (const char* kw : kNoColumnEffect) {
    if (Is(kw)) {
      SkipToSeparator();
      return true;
    }
  }
  return false;
}

DdlStatement Parser::AlterTable() {
  auto name = Table();
  if (!name) return Unparsed({}, "ALTER TABLE without a table name");
  DdlStatement s;
  s.kind = DdlStatement::kAlterTable;
  s.table = *name;
  if (Accept("wait")) {
    ++pos_;
  } else {
    Accept("nowait");
  }
  while (!AtEnd()) {
    size_t spec_start = pos_;
    if (!AlterSpec(&s)) {
      pos_ = spec_start;
      std::string clause;
      for (size_t k = spec_start; k < t_.size() && !(t_[k].kind == Token::kPunct && t_[k].text == ","); ++k) {
        clause += (clause.empty() ? "" : " ") + t_[k].text;
      }
      return Unparsed({*name}, fmt::format("the ALTER TABLE clause '{}' is not understood", clause));
    }
    if (AtEnd()) break;
    if (!AcceptPunct(',')) {
      if (IsPunct(';')) break;
      return Unparsed({*name}, fmt::format("ALTER TABLE: unexpected {}", Here()));
    }
  }
  for (const AlterOp& op : s.ops) {  // the table's new name, for callers that only look here
    if (op.kind == AlterOp::kRenameTable) s.renames.push_back({*name, op.to});
  }
  return s;
}

}  // namespace tidemark::mysql::ddl
