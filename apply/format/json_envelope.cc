#include "apply/format/json_envelope.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <vector>

#include "apply/format/json_value.h"
#include "common/json_writer.h"
#include "common/status_macros.h"
#include "schema/registry.h"

namespace tidemark {

using std::string_view_literals::operator""sv;

namespace {

using json::AppendTrustedString;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// `"key":` — keys are tidemark's own ASCII literals.
void Key(std::string* out, std::string_view key) {
  out->push_back('"');
  out->append(key);
  out->append("\":"sv);
}

void Number(std::string* out, std::string_view key, uint64_t v) {
  Key(out, key);
  json::AppendUint(out, v);
  out->push_back(',');
}

void SignedNumber(std::string* out, std::string_view key, int64_t v) {
  Key(out, key);
  json::AppendInt(out, v);
  out->push_back(',');
}

void Str(std::string* out, std::string_view key, std::string_view v) {
  Key(out, key);
  AppendTrustedString(out, v);
  out->push_back(',');
}

bool AllDigits(std::string_view s) {
  if (s.empty() || s.size() > 19) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string_view ConnectorOf(const v1::SourcePosition& pos, const EnvelopeContext& ctx) {
  if (!ctx.connector.empty()) return ctx.connector;
  switch (pos.engine_case()) {
    case v1::SourcePosition::kPg: return "postgresql";
    case v1::SourcePosition::kMysql: return "mysql";
    case v1::SourcePosition::kMongo: return "mongodb";
    case v1::SourcePosition::ENGINE_NOT_SET: break;
  }
  return "";
}

std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (char ch : bytes) {
    const auto c = static_cast<uint8_t>(ch);
    s.push_back(kHex[c >> 4]);
    s.push_back(kHex[c & 0xF]);
  }
  return s;
}

struct SourceFields {
  const v1::SourcePosition* position;
  const v1::TableId* table;  // null for messages
  std::string_view transaction_id;
  int64_t commit_time_micros;
  bool snapshot;
};

// The parts of the "source" object that are the same for every event of a table
// (version, connector, name; snapshot, db, schema/collection, table).
struct SourceConstants {
  bool valid = false;
  std::string connector, version, name, ctx_db;
  bool has_table = false, snapshot = false;
  std::string database, schema, table;
  std::string head;  // "source":{"version":..,"connector":..,"name":..,
  std::string tail;  // "snapshot":..,"db":..,["schema":..,]["collection":..,]"table":..,

  bool Matches(std::string_view conn, const SourceFields& f, const EnvelopeContext& ctx) const {
    if (!valid || conn != connector || ctx.version != version || ctx.name != name ||
        ctx.db != ctx_db || f.snapshot != snapshot || (f.table != nullptr) != has_table) {
      return false;
    }
    return f.table == nullptr || (f.table->table() == table && f.table->schema() == schema &&
                                  f.table->database() == database);
  }

  void Render(std::string_view conn, const SourceFields& f, const EnvelopeContext& ctx) {
    connector.assign(conn);
    version = ctx.version;
    name = ctx.name;
    ctx_db = ctx.db;
    snapshot = f.snapshot;
    has_table = f.table != nullptr;
    database = has_table ? f.table->database() : "";
    schema = has_table ? f.table->schema() : "";
    table = has_table ? f.table->table() : "";
    head.assign("\"source\":{");
    Str(&head, "version", ctx.version);
    Str(&head, "connector", conn);
    Str(&head, "name", ctx.name);
    tail.clear();
    Str(&tail, "snapshot", f.snapshot ? "true" : "false");
    const std::string& db =
        f.table != nullptr && !f.table->database().empty() ? f.table->database() : ctx.db;
    Str(&tail, "db", db);
    if (f.table != nullptr) {
      if (conn == "postgresql") Str(&tail, "schema", f.table->schema());
      if (conn == "mongodb") Str(&tail, "collection", f.table->table());
      Str(&tail, "table", f.table->table());
    }
    valid = true;
  }
};

// What the envelopes of consecutive events repeat, rendered once and reused: a sink
// renders event after event of one table, and of one transaction. Per thread (sinks
// format on their applier thread); each part is keyed by every input it renders.
struct Repeats {
  SourceConstants table;
  // Of the transaction (commit time and id) of the event rendered last, with `table`:
  bool txn_valid = false;
  int64_t commit_time = 0;
  std::string transaction_id;
  std::string source_to_txid;  // "source":{ .. "txId":..,
  std::string times;           // "ts_ms":..,"ts_us":.., of the envelope itself
  // Each column's key, `,"name":`, for the column names rendered last.
  std::vector<std::string> column_names;
  std::vector<std::string> column_keys;

  void RenderTransaction(const SourceFields& f) {
    txn_valid = true;
    commit_time = f.commit_time_micros;
    transaction_id.assign(f.transaction_id);
    source_to_txid = table.head;
    if (f.commit_time_micros != 0) {
      SignedNumber(&source_to_txid, "ts_ms", FloorDiv(f.commit_time_micros, 1000));
      SignedNumber(&source_to_txid, "ts_us", f.commit_time_micros);
    } else {
      source_to_txid.append("\"ts_ms\":null,"sv);
    }
    source_to_txid.append(table.tail);
    Key(&source_to_txid, "txId");
    if (f.transaction_id.empty()) {
      source_to_txid.append("null,"sv);
    } else if (AllDigits(f.transaction_id)) {
      source_to_txid.append(f.transaction_id);
      source_to_txid.push_back(',');
    } else {
      AppendTrustedString(&source_to_txid, f.transaction_id);
      source_to_txid.push_back(',');
    }
    times.clear();
    SignedNumber(&times, "ts_ms", FloorDiv(f.commit_time_micros, 1000));
    SignedNumber(&times, "ts_us", f.commit_time_micros);
  }

  // The keys of `schema`'s columns; an error names the column whose name is not
  // valid UTF-8.
  absl::StatusOr<const std::vector<std::string>*> ColumnKeys(const v1::TableSchema& schema) {
    const auto& columns = schema.columns();
    if (std::equal(columns.begin(), columns.end(), column_names.begin(), column_names.end(),
                   [](const v1::Column& c, const std::string& name) { return c.name() == name; })) {
      return &column_keys;
    }
    column_names.clear();
    column_keys.resize(static_cast<size_t>(columns.size()));
    for (int i = 0; i < columns.size(); ++i) {
      std::string& key = column_keys[static_cast<size_t>(i)];
      key.assign(",");
      absl::Status st = json::AppendString(&key, columns[i].name());
      if (!st.ok()) return Annotate(st, fmt::format("column '{}': ", columns[i].name()));
      key.push_back(':');
    }
    for (const v1::Column& c : columns) column_names.push_back(c.name());
    return &column_keys;
  }
};

Repeats& ThreadRepeats() {
  thread_local Repeats repeats;
  return repeats;
}

// The "source" object, Debezium's per-connector block (see the header), and the
// envelope's own "ts_ms"/"ts_us" pair for the same commit time.
std::string_view AppendSource(std::string* out, const SourceFields& f, const EnvelopeContext& ctx) {
  const std::string_view connector = ConnectorOf(*f.position, ctx);
  Repeats& r = ThreadRepeats();
  if (!r.table.Matches(connector, f, ctx)) {
    r.table.Render(connector, f, ctx);
    r.txn_valid = false;
  }
  if (!r.txn_valid || r.commit_time != f.commit_time_micros ||
      r.transaction_id != f.transaction_id) {
    r.RenderTransaction(f);
  }
  out->append(r.source_to_txid);
  const v1::SourcePosition& pos = *f.position;
  if (pos.has_pg()) {
    out->append("\"lsn\":"sv);
    json::AppendUint(out, pos.pg().lsn());
    out->append(",\"xmin\":null},"sv);
    return r.times;
  }
  if (pos.has_mysql()) {
    Str(out, "file", pos.mysql().file());
    Number(out, "pos", pos.mysql().pos());
    Key(out, "gtid");
    if (f.transaction_id.empty()) {
      out->append("null,"sv);
    } else {
      AppendTrustedString(out, f.transaction_id);
      out->push_back(',');
    }
  } else if (pos.has_mongo()) {
    Str(out, "resume_token", Hex(pos.mongo().resume_token()));
    Number(out, "ord", pos.mongo().cluster_time() & 0xFFFFFFFFu);
  }
  out->back() = '}';  // replaces the last ','
  out->push_back(',');
  return r.times;
}

bool IsKeyColumn(const v1::TableSchema& schema, int i) {
  const v1::Column& col = schema.columns(i);
  if (schema.key_columns_size() == 0) return col.part_of_key();
  for (const std::string& k : schema.key_columns()) {
    if (k == col.name()) return true;
  }
  return false;
}

// Appends `"which":` and `row` as an object, or null when absent. Unchanged columns
// are left out and their indexes recorded in `unchanged` (bitmap by column index,
// sized on the first unchanged column: empty when there is none).
absl::Status AppendRow(std::string* out, std::string_view which, bool present, const v1::Row& row,
                       const v1::TableSchema& schema, std::vector<bool>* unchanged) {
  Key(out, which);
  if (!present) {
    out->append("null,"sv);
    return absl::OkStatus();
  }
  if (row.values_size() != schema.columns_size()) {
    return absl::InvalidArgumentError(
        fmt::format("{} image has {} values but schema version {} has {} columns", which,
                    row.values_size(), schema.version(), schema.columns_size()));
  }
  absl::StatusOr<const std::vector<std::string>*> keys = ThreadRepeats().ColumnKeys(schema);
  if (!keys.ok()) return Annotate(keys.status(), fmt::format("{} ", which));
  out->push_back('{');
  bool first = true;
  for (int i = 0; i < row.values_size(); ++i) {
    const v1::Value& v = row.values(i);
    if (row.key_only() && !IsKeyColumn(schema, i)) continue;
    if (v.has_unchanged()) {
      if (unchanged->empty()) unchanged->resize(static_cast<size_t>(schema.columns_size()), false);
      (*unchanged)[static_cast<size_t>(i)] = true;
      continue;
    }
    const std::string& key = (**keys)[static_cast<size_t>(i)];
    out->append(key, first ? 1 : 0);  // `,"name":`, without the comma for the first
    first = false;
    absl::Status s = json::AppendValue(out, v);
    if (!s.ok()) {
      return Annotate(s, fmt::format("{} column '{}': ", which, schema.columns(i).name()));
    }
  }
  out->append("},"sv);
  return absl::OkStatus();
}

absl::Status AppendEnvelopeImpl(std::string* out, const v1::ChangeEvent& ev,
                                const v1::TableSchema& schema, uint64_t journal_offset,
                                const EnvelopeContext& ctx) {
  const std::string_view op = OpCode(ev.op());
  if (op.empty()) {
    return absl::InvalidArgumentError(fmt::format("{} event has no JSON envelope",
                                                  v1::Op_Name(ev.op())));
  }
  const bool truncate = ev.op() == v1::OP_TRUNCATE;
  std::vector<bool> unchanged;  // allocated only for an event with unchanged columns
  out->push_back('{');
  TM_RETURN_IF_ERROR(AppendRow(out, "before", !truncate && ev.has_before(), ev.before(), schema,
                               &unchanged));
  TM_RETURN_IF_ERROR(AppendRow(out, "after", !truncate && ev.has_after(), ev.after(), schema,
                               &unchanged));
  bool any = false;
  for (size_t i = 0; i < unchanged.size(); ++i) {
    if (!unchanged[i]) continue;
    out->append(any ? "," : "\"unchanged\":[");
    any = true;
    TM_RETURN_IF_ERROR(json::AppendString(out, schema.columns(static_cast<int>(i)).name()));
  }
  if (any) out->append("],"sv);
  const std::string_view times =
      AppendSource(out,
                   {&ev.position(), &ev.table(), ev.transaction_id(), ev.commit_time_micros(),
                    ev.op() == v1::OP_READ},
                   ctx);
  out->append("\"op\":\""sv);
  out->append(op);
  out->append("\","sv);
  out->append(times);
  out->append("\"tidemark\":{\"offset\":"sv);
  json::AppendUint(out, journal_offset);
  out->append(",\"seq\":"sv);
  json::AppendUint(out, ev.sequence());
  out->append("}}"sv);
  return absl::OkStatus();
}

}  // namespace

std::string_view ConnectorName(std::string_view source_type) {
  if (source_type == "postgres") return "postgresql";
  if (source_type == "mongo") return "mongodb";
  return source_type;
}

std::string_view OpCode(v1::Op op) {
  switch (op) {
    case v1::OP_INSERT: return "c";
    case v1::OP_UPDATE: return "u";
    case v1::OP_DELETE: return "d";
    case v1::OP_READ: return "r";
    case v1::OP_TRUNCATE: return "t";
    default: return "";
  }
}

absl::Status AppendEnvelopeJson(std::string* out, const v1::ChangeEvent& ev,
                                const v1::TableSchema& schema, uint64_t journal_offset,
                                const EnvelopeContext& ctx) {
  const size_t mark = out->size();
  absl::Status s = AppendEnvelopeImpl(out, ev, schema, journal_offset, ctx);
  if (!s.ok()) {
    out->resize(mark);
    return Annotate(s, fmt::format("journal offset {} table {}: ", journal_offset,
                                   TableKey(ev.table())));
  }
  return s;
}

absl::StatusOr<std::string> EnvelopeJson(const v1::ChangeEvent& ev, const v1::TableSchema& schema,
                                         uint64_t journal_offset, const EnvelopeContext& ctx) {
  std::string out;
  TM_RETURN_IF_ERROR(AppendEnvelopeJson(&out, ev, schema, journal_offset, ctx));
  return out;
}

absl::Status AppendMessageJson(std::string* out, const v1::LogicalMessage& msg,
                               int64_t commit_time_micros, uint64_t journal_offset,
                               const EnvelopeContext& ctx) {
  const size_t mark = out->size();
  out->append("{\"op\":\"m\","sv);
  if (commit_time_micros != 0) {
    SignedNumber(out, "ts_ms", FloorDiv(commit_time_micros, 1000));
  } else {
    out->append("\"ts_ms\":null,"sv);
  }
  AppendSource(out, {&msg.position(), nullptr, "", commit_time_micros, false}, ctx);
  out->append("\"message\":{"sv);
  Key(out, "prefix");
  absl::Status s = json::AppendString(out, msg.prefix());
  if (!s.ok()) {
    out->resize(mark);
    return Annotate(s, fmt::format("journal offset {} message prefix: ", journal_offset));
  }
  out->append(",\"content\":\""sv);
  json::AppendBase64(out, msg.content());
  fmt::format_to(std::back_inserter(*out),
                 "\",\"transactional\":{}}},\"tidemark\":{{\"offset\":{}}}}}",
                 msg.transactional() ? "true" : "false", journal_offset);
  return absl::OkStatus();
}

}  // namespace tidemark
