#include "apply/db/mongo_rows.h"

#include <fmt/format.h>

#include <string_view>

#include "apply/format/json_value.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "schema/mongo_shape.h"
#include "schema/registry.h"

namespace tidemark::mongo_rows {
namespace {

constexpr char kRelationalSourceType[] = "bson as canonical Extended JSON";

// The operationType of a decoder DDL text ({"operationType":"drop",...}); "" otherwise.
std::string_view DdlOperation(const v1::ChangeEvent& ev) {
  constexpr std::string_view kPrefix = R"({"operationType":")";
  std::string_view ddl = ev.ddl();
  if (ddl.substr(0, kPrefix.size()) != kPrefix) return {};
  ddl.remove_prefix(kPrefix.size());
  return ddl.substr(0, ddl.find('"'));
}

// Number of key columns (documentKey fields) at the front of a MongoDB schema.
int KeyCount(const v1::TableSchema& mongo) {
  int n = 0;
  while (n < mongo.columns_size() && mongo.columns(n).part_of_key()) ++n;
  return n;
}

int DocumentIndex(const v1::TableSchema& mongo) {
  for (int i = 0; i < mongo.columns_size(); ++i) {
    if (mongo.columns(i).name() == mongo_shape::kDocumentColumn) return i;
  }
  return -1;
}

std::string Where(const v1::ChangeEvent& ev, uint64_t offset) {
  return fmt::format("collection {} at journal offset {}", TableKey(ev.table()), offset);
}

absl::StatusOr<v1::Value> ExtendedJsonText(const v1::Value& v, bool as_json,
                                           std::string_view column, const v1::ChangeEvent& ev,
                                           uint64_t offset) {
  std::string text;
  absl::Status s = json::AppendExtendedJson(&text, v);
  if (!s.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("{}, column {}: {}", Where(ev, offset), column, s.message()));
  }
  v1::Value out;
  if (as_json) {
    out.set_json_text(std::move(text));
  } else {
    out.set_text_value(std::move(text));
  }
  return out;
}

// The key columns of `row` as text, then the document (as JSON text, or null).
absl::StatusOr<v1::Row> RelationalRow(const v1::Row& row, const v1::TableSchema& mongo,
                                      bool with_document, const v1::ChangeEvent& ev,
                                      uint64_t offset) {
  const int keys = KeyCount(mongo);
  const int doc = DocumentIndex(mongo);
  if (row.values_size() != mongo.columns_size() || keys == 0 || doc < 0) {
    return absl::InvalidArgumentError(fmt::format(
        "{}: the row has {} values for the {} columns of schema version {}", Where(ev, offset),
        row.values_size(), mongo.columns_size(), mongo.version()));
  }
  v1::Row out;
  for (int i = 0; i < keys; ++i) {
    TM_ASSIGN_OR_RETURN(*out.add_values(), ExtendedJsonText(row.values(i), false,
                                                            mongo.columns(i).name(), ev, offset));
  }
  const v1::Value& d = row.values(doc);
  if (!with_document || d.has_null_value()) {
    out.add_values()->set_null_value(v1::NULL_VALUE);
  } else {
    TM_ASSIGN_OR_RETURN(*out.add_values(),
                        ExtendedJsonText(d, true, mongo_shape::kDocumentColumn, ev, offset));
  }
  return out;
}

}  // namespace

bool IsMongoDdl(const v1::ChangeEvent& ev) {
  return ev.op() == v1::OP_DDL && ev.position().has_mongo() && !DdlOperation(ev).empty();
}

v1::TableSchema RelationalSchema(const v1::TableSchema& mongo) {
  v1::TableSchema out;
  *out.mutable_table() = mongo.table();
  out.set_version(mongo.version());
  out.set_replica_identity(mongo.replica_identity());
  auto add = [&](const std::string& name, v1::TypeKind kind, bool key) {
    v1::Column* c = out.add_columns();
    c->set_name(name);
    c->mutable_type()->set_kind(kind);
    c->mutable_type()->set_source_type(kRelationalSourceType);
    c->mutable_type()->set_type_modifier(-1);
    c->set_part_of_key(key);
    c->set_nullable(!key);
  };
  for (int i = 0; i < KeyCount(mongo); ++i) add(mongo.columns(i).name(), v1::TYPE_TEXT, true);
  add(mongo_shape::kDocumentColumn, v1::TYPE_JSONB, false);
  *out.mutable_key_columns() = mongo.key_columns();
  return out;
}

absl::StatusOr<Change> Convert(const v1::ChangeEvent& ev, const v1::TableSchema& mongo,
                               uint64_t offset) {
  Change c;
  v1::ChangeEvent& out = c.event;
  *out.mutable_table() = ev.table();
  out.set_schema_version(ev.schema_version());
  *out.mutable_position() = ev.position();
  out.set_transaction_id(ev.transaction_id());
  out.set_commit_time_micros(ev.commit_time_micros());
  out.set_sequence(ev.sequence());
  if (ev.op() == v1::OP_DDL) {
    const std::string_view op = DdlOperation(ev);
    if (ev.schema_version() == 0 || ev.table().table().empty() || op == "dropDatabase") return c;
    if (op == "drop") {
      c.kind = Change::kRow;
      out.set_op(v1::OP_TRUNCATE);
      return c;
    }
    if (op == "rename") {
      if (!ev.has_renamed_to() || ev.renamed_to().table().empty()) {
        return absl::InvalidArgumentError(
            fmt::format("{}: rename event without its destination", Where(ev, offset)));
      }
      c.kind = Change::kMove;
      c.to = ev.renamed_to();
      return c;
    }
    return absl::InvalidArgumentError(
        fmt::format("{}: unknown MongoDB DDL event '{}'", Where(ev, offset), ev.ddl()));
  }
  c.kind = Change::kRow;
  const int doc = DocumentIndex(mongo);
  switch (ev.op()) {
    case v1::OP_INSERT:
    case v1::OP_READ:
    case v1::OP_UPDATE: {
      const v1::Value* d = doc >= 0 && doc < ev.after().values_size() ? &ev.after().values(doc) : nullptr;
      if (d != nullptr && d->has_unchanged()) {
        std::string id;
        if (!json::AppendExtendedJson(&id, ev.after().values(0)).ok()) id = "?";
        return absl::FailedPreconditionError(fmt::format(
            "{}: the update of _id {} came without the document's new state (capture_mode "
            "pre_post_images and MongoDB had no post-image for it), and a database sink stores "
            "whole documents, so it stops rather than guess. Enable post-images on the collection "
            "(db.runCommand({{collMod: \"{}\", changeStreamPreAndPostImages: {{enabled: true}}}})) "
            "or set capture_mode: updateLookup on the source, then resynchronise the collection",
            Where(ev, offset), id, ev.table().table()));
      }
      if (d != nullptr && d->has_null_value() && ev.op() == v1::OP_UPDATE) {
        // updateLookup found no document: the key is gone as of the lookup.
        out.set_op(v1::OP_DELETE);
        TM_ASSIGN_OR_RETURN(*out.mutable_before(), RelationalRow(ev.after(), mongo, false, ev, offset));
        out.mutable_before()->set_key_only(true);
        return c;
      }
      out.set_op(ev.op());
      TM_ASSIGN_OR_RETURN(*out.mutable_after(), RelationalRow(ev.after(), mongo, true, ev, offset));
      return c;
    }
    case v1::OP_DELETE: {
      out.set_op(v1::OP_DELETE);
      TM_ASSIGN_OR_RETURN(*out.mutable_before(), RelationalRow(ev.before(), mongo, false, ev, offset));
      out.mutable_before()->set_key_only(true);
      return c;
    }
    default:
      break;
  }
  return absl::InvalidArgumentError(fmt::format("{}: operation {} has no MongoDB meaning",
                                                Where(ev, offset), v1::Op_Name(ev.op())));
}

std::vector<std::string> MoveRowsSql(TargetEngine engine, const std::string& from,
                                     const std::string& to, const v1::TableSchema& relational) {
  if (from == to) return {};
  std::string cols;
  for (const v1::Column& c : relational.columns()) {
    cols += (cols.empty() ? "" : ", ") + QuoteIdent(engine, c.name());
  }
  return {fmt::format("DELETE FROM {}", to),
          fmt::format("INSERT INTO {} ({}) SELECT {} FROM {}", to, cols, cols, from),
          fmt::format("DELETE FROM {}", from)};
}

const v1::TableSchema* SchemaMap::For(const v1::TableSchema& mongo) {
  auto key = std::make_pair(TableKey(mongo.table()), mongo.version());
  auto it = schemas_.find(key);
  if (it == schemas_.end()) it = schemas_.emplace(key, RelationalSchema(mongo)).first;
  return &it->second;
}

}  // namespace tidemark::mongo_rows
