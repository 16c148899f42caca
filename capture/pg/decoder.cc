#include "capture/pg/decoder.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "capture/pg/text_values.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark::pg {
namespace {

std::string TableName(const v1::TableId& t) { return fmt::format("{}.{}", t.schema(), t.table()); }

absl::StatusOr<v1::ReplicaIdentity> MapReplicaIdentity(char c, uint32_t relation_id) {
  switch (c) {
    case 'd':
      return v1::REPLICA_IDENTITY_DEFAULT;
    case 'n':
      return v1::REPLICA_IDENTITY_NOTHING;
    case 'f':
      return v1::REPLICA_IDENTITY_FULL;
    case 'i':
      return v1::REPLICA_IDENTITY_INDEX;
    default:
      return absl::DataLossError(
          fmt::format("pgoutput Relation {}: unknown replica identity 0x{:02x}", relation_id,
                      static_cast<uint8_t>(c)));
  }
}

v1::PgPosition* Pg(v1::SourcePosition* pos) { return pos->mutable_pg(); }

}  // namespace

PgDecoder::PgDecoder(DecoderOptions options, const TypeCatalog* types, SchemaRegistry* schemas)
    : options_(std::move(options)), types_(types), schemas_(schemas) {}

absl::StatusOr<std::vector<uint32_t>> PgDecoder::MissingTypes(std::string_view message) const {
  TM_ASSIGN_OR_RETURN(PgoutputMessage m, ParsePgoutputMessage(message));
  std::vector<uint32_t> out;
  if (const auto* rel = std::get_if<RelationMessage>(&m)) {
    for (const RelationColumn& c : rel->columns) {
      for (uint32_t oid : types_->Missing(c.type_id)) {
        if (std::find(out.begin(), out.end(), oid) == out.end()) out.push_back(oid);
      }
    }
  }
  return out;
}

absl::Status PgDecoder::Decode(std::string_view message, uint64_t wal_start,
                               std::vector<v1::JournalEntry>* out) {
  TM_ASSIGN_OR_RETURN(PgoutputMessage m, ParsePgoutputMessage(message));
  if (std::holds_alternative<InsertMessage>(m) || std::holds_alternative<UpdateMessage>(m) ||
      std::holds_alternative<DeleteMessage>(m)) {
    return OnChange(m, wal_start, out);  // the common case; adds one entry or nothing
  }
  std::vector<v1::JournalEntry> entries;
  absl::Status s;
  if (const auto* begin = std::get_if<BeginMessage>(&m)) {
    s = OnBegin(*begin, &entries);
  } else if (const auto* commit = std::get_if<CommitMessage>(&m)) {
    s = OnCommit(*commit, &entries);
  } else if (const auto* rel = std::get_if<RelationMessage>(&m)) {
    s = OnRelation(*rel, &entries);
  } else if (const auto* trunc = std::get_if<TruncateMessage>(&m)) {
    s = OnTruncate(*trunc, wal_start, &entries);
  } else if (const auto* msg = std::get_if<LogicalDecodingMessage>(&m)) {
    s = OnMessage(*msg, &entries);
  }
  // Origin and Type carry nothing tidemark records: the catalog learns types from
  // pg_type (kDescribeTypeSql), which also gives enum labels and domain bases.
  TM_RETURN_IF_ERROR(s);
  for (auto& e : entries) out->push_back(std::move(e));
  return absl::OkStatus();
}

absl::Status PgDecoder::OnBegin(const BeginMessage& m, std::vector<v1::JournalEntry>* out) {
  if (in_transaction_) {
    return absl::DataLossError(fmt::format(
        "pgoutput Begin of xid {} inside transaction {} (no Commit seen)", m.xid, txn_.xid));
  }
  Transaction txn;
  txn.xid = std::to_string(m.xid);
  txn.final_lsn = m.final_lsn;
  txn.commit_time_micros = m.commit_timestamp + kPgEpochUnixMicros;
  v1::TxnBegin* b = out->emplace_back().mutable_begin();
  b->set_transaction_id(txn.xid);
  b->set_commit_time_micros(txn.commit_time_micros);
  Pg(b->mutable_position())->set_commit_lsn(m.final_lsn);
  txn_ = std::move(txn);
  in_transaction_ = true;
  return absl::OkStatus();
}

absl::Status PgDecoder::OnCommit(const CommitMessage& m, std::vector<v1::JournalEntry>* out) {
  if (!in_transaction_) return absl::DataLossError("pgoutput Commit without a Begin");
  if (m.commit_lsn != txn_.final_lsn) {
    return absl::DataLossError(fmt::format(
        "pgoutput Commit of xid {}: commit LSN {:X} differs from the Begin's final LSN {:X}",
        txn_.xid, m.commit_lsn, txn_.final_lsn));
  }
  v1::TxnCommit* c = out->emplace_back().mutable_commit();
  c->set_transaction_id(txn_.xid);
  c->set_commit_time_micros(m.commit_timestamp + kPgEpochUnixMicros);
  c->set_event_count(txn_.sequence);
  Pg(c->mutable_position())->set_commit_lsn(m.commit_lsn);
  Pg(c->mutable_position())->set_end_lsn(m.end_lsn);
  in_transaction_ = false;
  txn_ = Transaction();
  return absl::OkStatus();
}

absl::Status PgDecoder::OnRelation(const RelationMessage& m, std::vector<v1::JournalEntry>* out) {
  v1::TableSchema schema;
  v1::TableId* table = schema.mutable_table();
  table->set_database(options_.database);
  table->set_schema(m.namespace_name.empty() ? "pg_catalog" : std::string(m.namespace_name));
  table->set_table(std::string(m.relation_name));
  TM_ASSIGN_OR_RETURN(v1::ReplicaIdentity identity,
                      MapReplicaIdentity(m.replica_identity, m.relation_id));
  schema.set_replica_identity(identity);
  schema.set_source_relation_id(m.relation_id);
  const std::vector<std::string>* primary_key = nullptr;
  if (auto pk = primary_keys_.find(m.relation_id);
      identity == v1::REPLICA_IDENTITY_FULL && pk != primary_keys_.end() && !pk->second.empty()) {
    primary_key = &pk->second;
  }
  for (const RelationColumn& c : m.columns) {
    std::string where = fmt::format("{}.{}", TableName(*table), c.name);
    TM_ASSIGN_OR_RETURN(v1::ColumnType type,
                        types_->ColumnTypeFor(c.type_id, c.type_modifier, where));
    v1::Column* col = schema.add_columns();
    col->set_name(std::string(c.name));
    *col->mutable_type() = std::move(type);
    bool key = (c.flags & RelationColumn::kFlagKey) != 0;
    if (primary_key != nullptr) {
      key = std::find(primary_key->begin(), primary_key->end(), c.name) != primary_key->end();
    }
    col->set_part_of_key(key);
    // pgoutput does not send attnotnull. Key columns of a primary key or replica
    // identity index are NOT NULL by PostgreSQL's rules; under FULL every column is
    // flagged, so nothing is known and the column is assumed nullable.
    bool known_not_null = key && (identity == v1::REPLICA_IDENTITY_DEFAULT ||
                                  identity == v1::REPLICA_IDENTITY_INDEX);
    col->set_nullable(!known_not_null);
    if (key && primary_key == nullptr) schema.add_key_columns(std::string(c.name));
  }
  if (primary_key != nullptr) {
    for (const std::string& k : *primary_key) schema.add_key_columns(k);  // in key order
  }
  bool added = false;
  TM_ASSIGN_OR_RETURN(v1::TableSchema interned, schemas_->Intern(std::move(schema), &added));
  if (added) *out->emplace_back().mutable_schema() = interned;
  relations_[m.relation_id] = Relation{std::move(interned)};
  return absl::OkStatus();
}

absl::StatusOr<const PgDecoder::Relation*> PgDecoder::FindRelation(
    uint32_t relation_id, std::string_view message) const {
  auto it = relations_.find(relation_id);
  if (it == relations_.end()) {
    return absl::DataLossError(fmt::format(
        "pgoutput {} for unknown relation id {}: no Relation message for it was seen in this "
        "stream; restart streaming from the last checkpoint so PostgreSQL sends it again",
        message, relation_id));
  }
  return &it->second;
}

absl::Status PgDecoder::DecodeRow(const Relation& rel, const TupleData& tuple,
                                  std::string_view what, v1::Row* row) const {
  const v1::TableSchema& schema = rel.schema;
  if (tuple.columns.size() != static_cast<size_t>(schema.columns_size())) {
    return absl::DataLossError(fmt::format(
        "pgoutput {} of {} has {} columns but its Relation message has {}", what,
        TableName(schema.table()), tuple.columns.size(), schema.columns_size()));
  }
  row->mutable_values()->Reserve(static_cast<int>(tuple.columns.size()));
  for (size_t i = 0; i < tuple.columns.size(); ++i) {
    const TupleColumn& c = tuple.columns[i];
    const v1::Column& column = schema.columns(static_cast<int>(i));
    switch (c.kind) {
      case TupleColumn::Kind::kNull:
        row->add_values()->set_null_value(v1::NULL_VALUE);
        break;
      case TupleColumn::Kind::kUnchangedToast:
        row->add_values()->mutable_unchanged();
        break;
      case TupleColumn::Kind::kBinary:
        return absl::FailedPreconditionError(fmt::format(
            "pgoutput {} of {} column {}: value arrived in binary format; tidemark decodes "
            "the text format only (start streaming without the pgoutput 'binary' option)",
            what, TableName(schema.table()), column.name()));
      case TupleColumn::Kind::kText: {
        auto v = ParseTextValue(column.type(), c.data);
        if (!v.ok()) {
          return absl::Status(v.status().code(),
                              fmt::format("pgoutput {} of {} column {}: {}", what,
                                          TableName(schema.table()), column.name(),
                                          v.status().message()));
        }
        *row->add_values() = std::move(*v);
        break;
      }
    }
  }
  return absl::OkStatus();
}

void PgDecoder::FillEvent(const Relation& rel, v1::Op op, uint64_t wal_start,
                          v1::ChangeEvent* e) const {
  *e->mutable_table() = rel.schema.table();
  e->set_op(op);
  e->set_schema_version(rel.schema.version());
  Pg(e->mutable_position())->set_lsn(wal_start);
  Pg(e->mutable_position())->set_commit_lsn(txn_.final_lsn);
  e->set_transaction_id(txn_.xid);
  e->set_commit_time_micros(txn_.commit_time_micros);
  e->set_sequence(txn_.sequence);
}

absl::Status PgDecoder::DecodeChange(const PgoutputMessage& m, std::string_view name,
                                     uint64_t wal_start, v1::ChangeEvent* e) const {
  if (const auto* ins = std::get_if<InsertMessage>(&m)) {
    TM_ASSIGN_OR_RETURN(const Relation* rel, FindRelation(ins->relation_id, name));
    FillEvent(*rel, v1::OP_INSERT, wal_start, e);
    return DecodeRow(*rel, ins->new_tuple, "Insert new tuple", e->mutable_after());
  }
  if (const auto* upd = std::get_if<UpdateMessage>(&m)) {
    TM_ASSIGN_OR_RETURN(const Relation* rel, FindRelation(upd->relation_id, name));
    FillEvent(*rel, v1::OP_UPDATE, wal_start, e);
    if (upd->old_tuple.has_value()) {
      bool key = upd->old_tuple_kind == 'K';
      TM_RETURN_IF_ERROR(DecodeRow(*rel, *upd->old_tuple,
                                   key ? "Update old key tuple" : "Update old tuple",
                                   e->mutable_before()));
      e->mutable_before()->set_key_only(key);
    }
    return DecodeRow(*rel, upd->new_tuple, "Update new tuple", e->mutable_after());
  }
  if (const auto* del = std::get_if<DeleteMessage>(&m)) {
    TM_ASSIGN_OR_RETURN(const Relation* rel, FindRelation(del->relation_id, name));
    FillEvent(*rel, v1::OP_DELETE, wal_start, e);
    bool key = del->old_tuple_kind == 'K';
    TM_RETURN_IF_ERROR(DecodeRow(*rel, del->old_tuple,
                                 key ? "Delete old key tuple" : "Delete old tuple",
                                 e->mutable_before()));
    e->mutable_before()->set_key_only(key);
  }
  return absl::OkStatus();
}

absl::Status PgDecoder::OnChange(const PgoutputMessage& m, uint64_t wal_start,
                                 std::vector<v1::JournalEntry>* out) {
  std::string_view name = MessageName(m);
  if (!in_transaction_) {
    return absl::DataLossError(fmt::format("pgoutput {} outside a transaction (no Begin)", name));
  }
  // Built where it is kept, in the chunk: no event or row is copied or swapped.
  if (absl::Status s = DecodeChange(m, name, wal_start, out->emplace_back().mutable_event());
      !s.ok()) {
    out->pop_back();
    return s;
  }
  ++txn_.sequence;
  return absl::OkStatus();
}

absl::Status PgDecoder::OnTruncate(const TruncateMessage& m, uint64_t wal_start,
                                   std::vector<v1::JournalEntry>* out) {
  if (!in_transaction_) {
    return absl::DataLossError("pgoutput Truncate outside a transaction (no Begin)");
  }
  std::vector<v1::JournalEntry> events;
  uint32_t sequence = txn_.sequence;
  for (uint32_t id : m.relation_ids) {
    TM_ASSIGN_OR_RETURN(const Relation* rel, FindRelation(id, "Truncate"));
    v1::ChangeEvent* e = events.emplace_back().mutable_event();
    FillEvent(*rel, v1::OP_TRUNCATE, wal_start, e);
    e->set_sequence(sequence++);
    e->set_truncate_cascade((m.options & TruncateMessage::kOptionCascade) != 0);
    e->set_truncate_restart_identity((m.options & TruncateMessage::kOptionRestartIdentity) != 0);
  }
  for (auto& e : events) out->push_back(std::move(e));
  txn_.sequence = sequence;
  return absl::OkStatus();
}

absl::Status PgDecoder::OnMessage(const LogicalDecodingMessage& m,
                                  std::vector<v1::JournalEntry>* out) {
  bool transactional = (m.flags & LogicalDecodingMessage::kFlagTransactional) != 0;
  if (transactional && !in_transaction_) {
    return absl::DataLossError("pgoutput transactional Message outside a transaction");
  }
  v1::LogicalMessage* msg = out->emplace_back().mutable_message();
  msg->set_transactional(transactional);
  msg->set_prefix(std::string(m.prefix));
  msg->set_content(std::string(m.content));
  Pg(msg->mutable_position())->set_lsn(m.lsn);
  if (transactional) Pg(msg->mutable_position())->set_commit_lsn(txn_.final_lsn);
  return absl::OkStatus();
}

}  // namespace tidemark::pg
