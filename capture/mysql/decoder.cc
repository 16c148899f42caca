#include "capture/mysql/decoder.h"

#include <fmt/format.h>

#include <cctype>

#include "capture/mysql/context_buf.h"
#include "capture/mysql/row_decoder.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark::mysql {
namespace {

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Splits a statement into up to `n` leading tokens (identifiers unquoted).
std::vector<std::string> Tokens(std::string_view q, size_t n) {
  std::vector<std::string> out;
  size_t i = 0;
  while (out.size() < n && i < q.size()) {
    while (i < q.size() && std::isspace(static_cast<unsigned char>(q[i]))) ++i;
    if (i + 1 < q.size() && q[i] == '/' && q[i + 1] == '*') {  // comment
      size_t e = q.find("*/", i + 2);
      i = e == std::string_view::npos ? q.size() : e + 2;
      continue;
    }
    std::string tok;
    while (i < q.size() && !std::isspace(static_cast<unsigned char>(q[i])) && q[i] != '(' &&
           q[i] != ';') {
      if (q[i] != '`') tok.push_back(q[i]);
      ++i;
    }
    if (tok.empty()) {
      if (i < q.size()) ++i;
      continue;
    }
    out.push_back(std::move(tok));
  }
  return out;
}

bool IsDdlKeyword(const std::string& w) {
  return w == "CREATE" || w == "ALTER" || w == "DROP" || w == "RENAME" || w == "TRUNCATE";
}

// The table a DDL names ("db.t" or "t"), when it is a TABLE statement.
std::string DdlTable(std::string_view q, bool* truncate) {
  std::vector<std::string> t = Tokens(q, 8);
  *truncate = false;
  if (t.empty()) return "";
  std::string w0 = Upper(t[0]);
  size_t i = 1;
  if (w0 == "TRUNCATE") {
    *truncate = true;
    if (i < t.size() && Upper(t[i]) == "TABLE") ++i;
    return i < t.size() ? t[i] : "";
  }
  while (i < t.size() && Upper(t[i]) != "TABLE") {
    std::string u = Upper(t[i]);
    if (u != "TEMPORARY" && u != "ONLINE" && u != "IGNORE" && u != "OR" && u != "REPLACE") {
      return "";
    }
    ++i;
  }
  if (i >= t.size()) return "";
  ++i;
  while (i < t.size() && (Upper(t[i]) == "IF" || Upper(t[i]) == "NOT" || Upper(t[i]) == "EXISTS")) ++i;
  return i < t.size() ? t[i] : "";
}

}  // namespace

MysqlDecoder::MysqlDecoder(MysqlDecoderOptions options, SchemaRegistry* schemas, KnownLookup known)
    : options_(std::move(options)),
      schemas_(schemas),
      known_(std::move(known)),
      parser_(options_.initial_checksum_alg) {}

absl::Status MysqlDecoder::SetStart(std::string file, std::string_view gtid_set) {
  file_ = std::move(file);
  TM_ASSIGN_OR_RETURN(gtids_, GtidSet::Parse(gtid_set));
  return absl::OkStatus();
}

v1::SourcePosition MysqlDecoder::Position() const {
  v1::SourcePosition p;
  p.mutable_mysql()->set_file(file_);
  p.mutable_mysql()->set_pos(pos_);
  p.mutable_mysql()->set_gtid_set(gtids_.ToString());
  return p;
}

std::string MysqlDecoder::Where(uint64_t log_pos) const {
  return fmt::format("{}:{}", file_.empty() ? "?" : file_, log_pos);
}

absl::Status MysqlDecoder::Decode(std::string_view raw, std::vector<v1::JournalEntry>* out,
                                  std::optional<uint32_t> crc32_of_raw) {
  // Name the event by its start (log_pos - length) when the header is readable; into a
  // stack buffer, as this runs for every event.
  uint64_t at = pos_;
  if (raw.size() >= kEventHeaderLength) {
    auto le4 = [&](size_t off) {
      uint32_t v = 0;
      for (size_t i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(raw[off + i])) << (8 * i);
      return v;
    };
    uint32_t length = le4(9), log_pos = le4(13);
    if (log_pos >= length) at = log_pos - length;
  }
  ContextBuf where_buf;
  where_buf << (file_.empty() ? std::string_view("?") : std::string_view(file_)) << ":" << at;
  std::string_view where = where_buf.view();
  TM_ASSIGN_OR_RETURN(BinlogEvent ev, parser_.Parse(raw, where, crc32_of_raw));
  const size_t before = out->size();
  if (absl::Status st = DecodeEvent(ev, ev.header.log_pos, out); !st.ok()) {
    out->resize(before);  // on error nothing is appended
    return st;
  }
  // Artificial events (the fake ROTATE a dump starts with) have log_pos 0.
  if (ev.header.log_pos != 0 && !std::holds_alternative<RotateEvent>(ev.body)) {
    pos_ = ev.header.log_pos;
  }
  return absl::OkStatus();
}

void MysqlDecoder::Begin(std::string txid, uint32_t timestamp) {
  in_txn_ = true;
  begun_ = false;
  txid_ = std::move(txid);
  txn_time_ = static_cast<int64_t>(timestamp) * 1000000;
  sequence_ = 0;
}

void MysqlDecoder::EmitBegin(std::vector<v1::JournalEntry>* out) {
  if (begun_) return;
  begun_ = true;
  v1::TxnBegin* b = out->emplace_back().mutable_begin();
  b->set_transaction_id(txid_);
  b->set_commit_time_micros(txn_time_);
}

void MysqlDecoder::Commit(uint64_t log_pos, std::vector<v1::JournalEntry>* out) {
  if (pending_.maria) gtids_.AddMaria(pending_.domain, pending_.server, pending_.seq);
  if (pending_.mysql) gtids_.AddMysql(pending_.uuid, pending_.gno);
  pending_ = PendingGtid{};
  if (begun_) {
    v1::TxnCommit* c = out->emplace_back().mutable_commit();
    c->set_transaction_id(txid_);
    c->set_commit_time_micros(txn_time_);
    c->set_event_count(sequence_);
    c->mutable_position()->mutable_mysql()->set_file(file_);
    c->mutable_position()->mutable_mysql()->set_pos(log_pos);
    c->mutable_position()->mutable_mysql()->set_gtid_set(gtids_.ToString());
  }
  in_txn_ = false;
  begun_ = false;
  standalone_ = false;
  txid_.clear();
}

absl::Status MysqlDecoder::DecodeEvent(const BinlogEvent& ev, uint64_t log_pos,
                                       std::vector<v1::JournalEntry>* out) {
  const EventHeader& h = ev.header;
  if (const auto* r = std::get_if<RotateEvent>(&ev.body)) {
    file_ = r->next_file;
    pos_ = r->position;
    return absl::OkStatus();
  }
  if (const auto* g = std::get_if<MariaGtidEvent>(&ev.body)) {
    if (in_txn_) {
      return absl::DataLossError(fmt::format("{}: GTID {}-{}-{} inside open transaction {}",
                                             Where(log_pos), g->domain_id, h.server_id, g->seq_no, txid_));
    }
    pending_ = PendingGtid{};
    pending_.maria = true;
    pending_.domain = g->domain_id;
    pending_.server = h.server_id;
    pending_.seq = g->seq_no;
    standalone_ = (g->flags2 & MariaGtidEvent::FL_STANDALONE) != 0;
    Begin(fmt::format("{}-{}-{}", g->domain_id, h.server_id, g->seq_no), h.timestamp);
    return absl::OkStatus();
  }
  if (const auto* g = std::get_if<MysqlGtidEvent>(&ev.body)) {
    pending_ = PendingGtid{};
    std::string txid;
    if (!g->anonymous) {
      pending_.mysql = true;
      pending_.uuid = UuidText(g->sid.data());
      pending_.gno = g->gno;
      txid = fmt::format("{}:{}", pending_.uuid, g->gno);
    }
    standalone_ = true;  // until a BEGIN says otherwise: DDL is its own transaction
    uint32_t ts = g->immediate_commit_timestamp
                      ? static_cast<uint32_t>(g->immediate_commit_timestamp / 1000000)
                      : h.timestamp;
    Begin(std::move(txid), ts);
    return absl::OkStatus();
  }
  if (const auto* l = std::get_if<MariaGtidListEvent>(&ev.body)) {
    std::map<uint32_t, std::pair<uint32_t, uint64_t>> m;
    for (const auto& g : l->list) m[g.domain_id] = {g.server_id, g.seq_no};
    if (!in_txn_) gtids_.SetMaria(std::move(m));
    return absl::OkStatus();
  }
  if (const auto* q = std::get_if<QueryEvent>(&ev.body)) return OnQuery(ev, *q, log_pos, out);
  if (std::holds_alternative<XidEvent>(ev.body)) {
    if (!in_txn_) {
      return absl::DataLossError(fmt::format("{}: XID outside a transaction", Where(log_pos)));
    }
    Commit(log_pos, out);
    return absl::OkStatus();
  }
  if (const auto* tm = std::get_if<TableMapRef>(&ev.body)) return OnTableMap(tm->map, out);
  if (const auto* rows = std::get_if<RowsEvent>(&ev.body)) return OnRows(ev, *rows, log_pos, out);
  if (const auto* p = std::get_if<TransactionPayloadEvent>(&ev.body)) {
    size_t off = 0;
    while (off < p->payload.size()) {
      std::string where = fmt::format("{} (payload byte {})", Where(log_pos), off);
      std::string_view rest = std::string_view(p->payload).substr(off);
      TM_ASSIGN_OR_RETURN(EventHeader ih, ParseEventHeader(rest, where));
      if (ih.event_length < kEventHeaderLength || ih.event_length > rest.size()) {
        return absl::DataLossError(fmt::format("{}: inner event_length {} of {} remaining bytes",
                                               where, ih.event_length, rest.size()));
      }
      TM_ASSIGN_OR_RETURN(BinlogEvent inner,
                          parser_.ParseWithoutChecksum(rest.substr(0, ih.event_length), where));
      TM_RETURN_IF_ERROR(DecodeEvent(inner, log_pos, out));
      off += ih.event_length;
    }
    return absl::OkStatus();
  }
  return absl::OkStatus();  // FDE, annotate, checkpoint, heartbeat, stop, skipped
}

absl::Status MysqlDecoder::OnQuery(const BinlogEvent& ev, const QueryEvent& q, uint64_t log_pos,
                                   std::vector<v1::JournalEntry>* out) {
  std::vector<std::string> t = Tokens(q.query, 1);
  std::string w0 = t.empty() ? "" : Upper(t[0]);
  if (w0 == "BEGIN" || (w0 == "XA" && Upper(q.query).find("START") != std::string::npos)) {
    if (!in_txn_) Begin("", ev.header.timestamp);
    standalone_ = false;
    return absl::OkStatus();
  }
  if (w0 == "COMMIT" || (w0 == "XA" && Upper(q.query).find("END") == std::string::npos &&
                         Upper(q.query).find("COMMIT") != std::string::npos)) {
    if (!in_txn_) return absl::DataLossError(fmt::format("{}: COMMIT outside a transaction", Where(log_pos)));
    Commit(log_pos, out);
    return absl::OkStatus();
  }
  if (w0 == "ROLLBACK" && Upper(q.query).find(" TO ") == std::string::npos) {
    // A non-transactional table changed inside a rolled-back transaction: the rows
    // logged stay changed, so this still ends (commits) what the binlog holds.
    if (in_txn_) Commit(log_pos, out);
    return absl::OkStatus();
  }
  if (!IsDdlKeyword(w0)) return absl::OkStatus();  // SAVEPOINT, XA END/PREPARE, SET ...
  bool own_txn = !in_txn_ || standalone_;
  if (!in_txn_) Begin("", ev.header.timestamp);
  bool truncate = false;
  std::string name = DdlTable(q.query, &truncate);
  v1::TableId id;
  id.set_database(q.schema);
  if (!name.empty()) {
    size_t dot = name.find('.');
    if (dot != std::string::npos) {
      id.set_database(name.substr(0, dot));
      id.set_table(name.substr(dot + 1));
    } else {
      id.set_table(name);
    }
  }
  bool wanted = options_.tables.empty() || id.table().empty() ||
                options_.tables.count(id.database() + "." + id.table()) > 0;
  ddls_.push_back({q.schema, q.query, file_, log_pos});
  ++ddl_generation_;
  if (wanted) {
    EmitBegin(out);
    std::optional<v1::TableSchema> latest =
        id.table().empty() ? std::nullopt : schemas_->Latest(id);
    if (truncate && !latest) {
      // No row of the table in the stream yet: its definition from the schema history
      // (as of this position) names it, so that the sinks empty it too.
      const KnownTable* known = known_ ? known_(id.database(), id.table()) : nullptr;
      if (known != nullptr && known->unknown.empty() && !known->columns.empty()) {
        bool added = false;
        TM_ASSIGN_OR_RETURN(v1::TableSchema schema,
                            schemas_->Intern(SchemaFromKnown(id.database(), id.table(), *known), &added));
        if (added) *out->emplace_back().mutable_schema() = schema;
        latest = std::move(schema);
      }
    }
    v1::ChangeEvent* e = out->emplace_back().mutable_event();
    *e->mutable_table() = id;
    e->set_op(v1::OP_DDL);
    e->set_ddl(q.query);
    if (truncate && latest) {
      e->set_op(v1::OP_TRUNCATE);
      e->set_schema_version(latest->version());
    }
    e->mutable_position()->mutable_mysql()->set_file(file_);
    e->mutable_position()->mutable_mysql()->set_pos(log_pos);
    e->set_transaction_id(txid_);
    e->set_commit_time_micros(txn_time_);
    e->set_sequence(sequence_++);
  }
  // A DDL changes table ids' meaning: later rows come with fresh TABLE_MAPs.
  if (own_txn) Commit(log_pos, out);
  return absl::OkStatus();
}

static bool SameTableMap(const TableMapEvent& a, const TableMapEvent& b) {
  return a.table_id == b.table_id && a.column_types == b.column_types &&
         a.column_meta == b.column_meta && a.nullable == b.nullable && a.table == b.table &&
         a.database == b.database && a.signedness == b.signedness &&
         a.has_signedness == b.has_signedness && a.column_charsets == b.column_charsets &&
         a.enum_set_charsets == b.enum_set_charsets && a.column_names == b.column_names &&
         a.set_values == b.set_values && a.enum_values == b.enum_values &&
         a.geometry_types == b.geometry_types && a.primary_key == b.primary_key &&
         a.visibility == b.visibility;
}

absl::Status MysqlDecoder::OnTableMap(const std::shared_ptr<const TableMapEvent>& map,
                                      std::vector<v1::JournalEntry>* out) {
  const TableMapEvent& tm = *map;
  // Servers repeat the same TABLE_MAP in every transaction: reuse what it gave last time
  // unless a DDL (which may change the schema history's answer) came in between. The
  // parser hands out the same object for repeated bytes; equal contents count too.
  if (auto it = tables_.find(tm.table_id);
      it != tables_.end() && it->second.ddl_generation == ddl_generation_ &&
      (it->second.map == map || SameTableMap(*it->second.map, tm))) {
    return absl::OkStatus();
  }
  TableInfo info;
  info.ddl_generation = ddl_generation_;
  info.map = map;
  info.wanted = options_.tables.empty() || options_.tables.count(tm.database + "." + tm.table) > 0;
  if (!info.wanted) {
    tables_[tm.table_id] = std::move(info);
    return absl::OkStatus();
  }
  const KnownTable* known = known_ ? known_(tm.database, tm.table) : nullptr;
  TM_ASSIGN_OR_RETURN(info.columns, ColumnsFromTableMap(tm, known, options_.collations));
  bool added = false;
  TM_ASSIGN_OR_RETURN(info.schema, schemas_->Intern(SchemaFromColumns(tm, info.columns), &added));
  if (added) {
    if (in_txn_) EmitBegin(out);
    *out->emplace_back().mutable_schema() = info.schema;
  }
  tables_[tm.table_id] = std::move(info);
  return absl::OkStatus();
}

absl::Status MysqlDecoder::OnRows(const BinlogEvent& ev, const RowsEvent& rows, uint64_t log_pos,
                                  std::vector<v1::JournalEntry>* out) {
  auto it = tables_.find(rows.table_id);
  if (it == tables_.end()) {
    return absl::DataLossError(fmt::format("{}: {} for table id {} without a TABLE_MAP",
                                           Where(log_pos), EventTypeName(ev.header.type_code),
                                           rows.table_id));
  }
  const TableInfo& t = it->second;
  if (!t.wanted) return absl::OkStatus();
  if (!in_txn_) {
    return absl::DataLossError(fmt::format("{}: rows for {}.{} outside a transaction",
                                           Where(log_pos), t.map->database, t.map->table));
  }
  ContextBuf where_buf;  // error context, built without the heap: this runs per rows event
  where_buf << (file_.empty() ? std::string_view("?") : std::string_view(file_)) << ":" << log_pos
            << " " << t.map->database << "." << t.map->table;
  std::string_view where = where_buf.view();
  TM_ASSIGN_OR_RETURN(std::vector<RowChange> changes, DecodeRows(rows, t.columns, where));
  if (!changes.empty()) EmitBegin(out);
  v1::Op op = rows.type_code == WRITE_ROWS_EVENT || rows.type_code == WRITE_ROWS_EVENT_V1
                  ? v1::OP_INSERT
              : rows.type_code == DELETE_ROWS_EVENT || rows.type_code == DELETE_ROWS_EVENT_V1
                  ? v1::OP_DELETE
                  : v1::OP_UPDATE;
  for (RowChange& rc : changes) {
    v1::ChangeEvent* e = out->emplace_back().mutable_event();
    *e->mutable_table() = t.schema.table();
    e->set_op(op);
    if (rc.before) *e->mutable_before() = std::move(*rc.before);
    if (rc.after) *e->mutable_after() = std::move(*rc.after);
    e->set_schema_version(t.schema.version());
    e->mutable_position()->mutable_mysql()->set_file(file_);
    e->mutable_position()->mutable_mysql()->set_pos(log_pos);
    e->set_transaction_id(txid_);
    e->set_commit_time_micros(txn_time_);
    e->set_sequence(sequence_++);
  }
  return absl::OkStatus();
}

}  // namespace tidemark::mysql
