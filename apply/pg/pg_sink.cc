#include "apply/pg/pg_sink.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "absl/time/clock.h"
#include "apply/db/target_check.h"
#include "apply/pg/pg_exec.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "schema/mongo_shape.h"
#include "schema/target_ddl.h"

namespace tidemark::pgsink {
namespace {

constexpr char kCheckpointDdl[] =
    "CREATE SCHEMA IF NOT EXISTS tidemark; "
    "CREATE TABLE IF NOT EXISTS tidemark.checkpoints ("
    "sink text PRIMARY KEY, journal_offset bigint NOT NULL, source_position bytea, "
    "checkpoint bytea NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())";

std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\\x";
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

absl::StatusOr<std::string> Unhex(std::string_view text) {
  if (text.substr(0, 2) == "\\x") text.remove_prefix(2);
  if (text.size() % 2) return absl::DataLossError("odd-length hex");
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < text.size(); i += 2) {
    int hi = nib(text[i]), lo = nib(text[i + 1]);
    if (hi < 0 || lo < 0) return absl::DataLossError("bad hex digit");
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

}  // namespace

PgSink::PgSink(DbSinkOptions options, const SchemaRegistry* registry)
    : options_(std::move(options)), registry_(registry), schemas_(registry) {
  committed_.set_sink(options_.name);
  current_ = committed_;
}

void PgSink::Reset() {
  (void)worker_.Wait();  // a failed or abandoned batch: the checkpoint on the target says
  conn_.reset();
  in_transaction_ = false;
  folds_.clear();
  ForgetLastFold();
  tables_.clear();
  current_ = committed_;
  dirty_ = false;
  unsent_ = 0;
}

absl::Status PgSink::Fail(absl::Status s) {
  Reset();
  return s;
}

absl::Status PgSink::Connect() {
  TM_ASSIGN_OR_RETURN(conn_, PgConn::Connect(options_.dsn, options_.password,
                                             {{"application_name", "tidemark:" + options_.name}}));
  TM_RETURN_IF_ERROR(Exec(conn_.get(),
                          "SET standard_conforming_strings = on; SET DateStyle = ISO; "
                          "SET TimeZone = 'UTC'; SET IntervalStyle = postgres",
                          "set session options").status());
  return Exec(conn_.get(), kCheckpointDdl, "create tidemark.checkpoints").status();
}

absl::StatusOr<std::optional<v1::Checkpoint>> PgSink::LoadCheckpoint() {
  Reset();
  if (absl::Status s = Connect(); !s.ok()) return Fail(s);
  auto r = conn_->ExecParams("SELECT checkpoint FROM tidemark.checkpoints WHERE sink = $1",
                             {options_.checkpoint_key()}, "read the checkpoint");
  if (!r.ok()) return Fail(r.status());
  loaded_ = true;
  committed_ = v1::Checkpoint();
  committed_.set_sink(options_.name);
  std::optional<v1::Checkpoint> out;
  if (PQntuples(r->get()) == 1) {
    auto bytes = Unhex(PgValue(*r, 0, 0));
    if (!bytes.ok() || !committed_.ParseFromString(*bytes)) {
      return Fail(absl::DataLossError(fmt::format(
          "sink {}: the checkpoint row '{}' in tidemark.checkpoints does not parse; delete it to "
          "start over (the sink then replays the whole journal)",
          options_.name, options_.checkpoint_key())));
    }
    out = committed_;
  }
  current_ = committed_;
  return out;
}

absl::Status PgSink::EnsureTransaction() {
  if (conn_ == nullptr) TM_RETURN_IF_ERROR(Connect());
  if (in_transaction_) return absl::OkStatus();
  TM_RETURN_IF_ERROR(Exec(conn_.get(), "BEGIN", "begin").status());
  in_transaction_ = true;
  return absl::OkStatus();
}

absl::Status PgSink::Write(const JournalBatch& batch) {
  if (!loaded_) {
    auto cp = LoadCheckpoint();
    if (!cp.ok()) return cp.status();
  }
  for (size_t i = 0; i < batch.entries.size(); ++i) {
    const uint64_t offset = batch.first_offset + i;
    if (committed_.has_applied() && offset <= committed_.offset()) continue;
    if (absl::Status s = WriteEntry(offset, batch.entries[i]); !s.ok()) return Fail(s);
  }
  unsent_ += batch.entries.size();
  return absl::OkStatus();
}

absl::StatusOr<PgTable*> PgSink::TableFor(const v1::TableSchema& schema) {
  auto tkey = std::make_pair(TableKey(schema.table()), schema.version());
  auto t = tables_.find(tkey);
  if (t == tables_.end()) {
    // Resolving uses the connection (and adds to tables_): not while a batch commits.
    TM_RETURN_IF_ERROR(Collect(/*wait=*/true));
    TM_RETURN_IF_ERROR(EnsureTransaction());
    std::optional<v1::TableSchema> previous;
    if (schema.version() > 1) {
      auto p = registry_->Get(schema.table(), schema.version() - 1);
      if (p.ok()) {
        previous = mongo_shape::IsMongoSchema(*p) ? mongo_rows::RelationalSchema(*p) : *p;
      }
    }
    TM_ASSIGN_OR_RETURN(std::unique_ptr<PgTable> table,
                        PgTable::Resolve(conn_.get(), options_, schema, previous, next_stage_++));
    t = tables_.emplace(tkey, std::move(table)).first;
  }
  return t->second.get();
}

absl::StatusOr<TableFold*> PgSink::FoldFor(const v1::TableSchema& schema) {
  // A table version folded before in this batch: the common case, no key to build.
  if (auto f = fold_by_schema_.find(&schema); f != fold_by_schema_.end()) return f->second;
  const std::string key = TableKey(schema.table());
  auto it = folds_.find(key);
  if (it != folds_.end() && it->second.first == schema.version()) {
    fold_by_schema_[&schema] = &it->second.second;
    return &it->second.second;
  }
  if (it != folds_.end()) {
    // A new schema version: what the older one folded goes to the target first.
    TM_RETURN_IF_ERROR(Collect(/*wait=*/true));
    TM_RETURN_IF_ERROR(ApplyFold(key, it->second.first, it->second.second));
    folds_.erase(key);
    ForgetLastFold();
  }
  TM_ASSIGN_OR_RETURN(PgTable * table, TableFor(schema));
  TM_ASSIGN_OR_RETURN(TableFold fold, TableFold::Create(schema, table->key()));
  auto [slot, added] = folds_.emplace(key, std::make_pair(schema.version(), std::move(fold)));
  (void)added;
  fold_by_schema_[&schema] = &slot->second.second;
  return &slot->second.second;
}

absl::Status PgSink::MoveRows(const v1::TableSchema& relational, const v1::TableId& to) {
  // Changes of either table before the rename reach the target first.
  TM_RETURN_IF_ERROR(Collect(/*wait=*/true));
  for (const std::string& key : {TableKey(relational.table()), TableKey(to)}) {
    auto it = folds_.find(key);
    if (it == folds_.end()) continue;
    TM_RETURN_IF_ERROR(ApplyFold(key, it->second.first, it->second.second));
    folds_.erase(it);
    ForgetLastFold();
  }
  TM_RETURN_IF_ERROR(EnsureTransaction());
  TM_ASSIGN_OR_RETURN(PgTable * from, TableFor(relational));
  v1::TableSchema dest = relational;
  *dest.mutable_table() = to;
  TM_ASSIGN_OR_RETURN(std::unique_ptr<PgTable> dest_table,
                      PgTable::Resolve(conn_.get(), options_, dest, std::nullopt, next_stage_++));
  for (const std::string& sql : mongo_rows::MoveRowsSql(TargetEngine::kPostgres, from->qualified(),
                                                        dest_table->qualified(), relational)) {
    TM_RETURN_IF_ERROR(Exec(conn_.get(), sql,
                            fmt::format("sink {}: move the rows of renamed collection {} to {}",
                                        options_.name, TableKey(relational.table()),
                                        TableKey(to))).status());
  }
  return absl::OkStatus();
}

absl::Status PgSink::WriteEvent(uint64_t offset, const v1::ChangeEvent& ev) {
  // A MongoDB DDL of a collection tidemark never saw has no table here.
  if (mongo_rows::IsMongoDdl(ev) && ev.schema_version() == 0) return absl::OkStatus();
  TM_ASSIGN_OR_RETURN(const v1::TableSchema* schema, schemas_.For(ev));
  if (!mongo_shape::IsMongoSchema(*schema)) {
    TM_ASSIGN_OR_RETURN(TableFold * fold, FoldFor(*schema));
    return fold->Add(ev, offset);
  }
  TM_ASSIGN_OR_RETURN(mongo_rows::Change change, mongo_rows::Convert(ev, *schema, offset));
  const v1::TableSchema* relational = mongo_schemas_.For(*schema);
  switch (change.kind) {
    case mongo_rows::Change::kNone:
      return absl::OkStatus();
    case mongo_rows::Change::kRow: {
      TM_ASSIGN_OR_RETURN(TableFold * fold, FoldFor(*relational));
      return fold->Add(change.event, offset);
    }
    case mongo_rows::Change::kMove:
      return MoveRows(*relational, change.to);
  }
  return absl::OkStatus();
}

absl::Status PgSink::ApplyFold(const std::string& table_key, uint32_t version,
                               const TableFold& fold) {
  if (fold.empty()) return absl::OkStatus();
  TM_RETURN_IF_ERROR(EnsureTransaction());
  PgTable* table = tables_.at({table_key, version}).get();
  return Annotate(table->Apply(conn_.get(), fold), fmt::format("sink {}: ", options_.name));
}

absl::Status PgSink::WriteEntry(uint64_t offset, const v1::JournalEntry& entry) {
  if (entry.has_schema()) {
    schemas_.Remember(entry.schema());
  } else if (entry.has_event() &&
             (entry.event().op() != v1::OP_DDL || mongo_rows::IsMongoDdl(entry.event()))) {
    TM_RETURN_IF_ERROR(WriteEvent(offset, entry.event()));
  } else if (entry.has_commit() && entry.commit().has_position()) {
    *current_.mutable_position() = entry.commit().position();
  }
  current_.set_offset(offset);
  current_.set_has_applied(true);
  dirty_ = true;
  return absl::OkStatus();
}

std::unique_ptr<PgSink::Batch> PgSink::TakeBatch() {
  auto batch = std::make_unique<Batch>();
  batch->folds = std::move(folds_);
  folds_.clear();
  ForgetLastFold();
  current_.set_time_micros(absl::ToUnixMicros(absl::Now()));
  current_.set_reason("apply");
  batch->checkpoint = current_;
  dirty_ = false;
  unsent_ = 0;
  return batch;
}

absl::Status PgSink::Commit(Batch& batch) {
  TM_RETURN_IF_ERROR(EnsureTransaction());
  for (auto& [key, vf] : batch.folds) TM_RETURN_IF_ERROR(ApplyFold(key, vf.first, vf.second));
  const v1::Checkpoint& cp = batch.checkpoint;
  TM_RETURN_IF_ERROR(
      conn_->ExecParams(
               "INSERT INTO tidemark.checkpoints (sink, journal_offset, source_position, "
               "checkpoint, updated_at) VALUES ($1, $2, $3, $4, now()) ON CONFLICT (sink) DO "
               "UPDATE SET journal_offset = EXCLUDED.journal_offset, source_position = "
               "EXCLUDED.source_position, checkpoint = EXCLUDED.checkpoint, updated_at = now()",
               {options_.checkpoint_key(), fmt::format("{}", cp.offset()),
                Hex(cp.position().SerializeAsString()), Hex(cp.SerializeAsString())},
               "write the checkpoint")
          .status());
  TM_RETURN_IF_ERROR(Exec(conn_.get(), "COMMIT", "commit").status());
  in_transaction_ = false;
  return absl::OkStatus();
}

absl::Status PgSink::Collect(bool wait) {
  if (!worker_.busy()) return absl::OkStatus();
  std::optional<absl::Status> done;
  if (wait) {
    done = worker_.Wait();
  } else {
    done = worker_.Poll();
  }
  if (!done.has_value()) return absl::OkStatus();
  TM_RETURN_IF_ERROR(*done);
  committed_ = in_flight_;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<v1::Checkpoint>> PgSink::Progress() {
  // Wait for the batch in flight only when another full batch is waiting behind it.
  const bool wait = unsent_ >= options_.batch_events;
  if (absl::Status s = Collect(wait); !s.ok()) return Fail(s);
  if (dirty_ && !worker_.busy()) {
    if (conn_ == nullptr) {
      if (absl::Status s = Connect(); !s.ok()) return Fail(s);
    }
    std::unique_ptr<Batch> batch = TakeBatch();
    in_flight_ = batch->checkpoint;
    worker_.Start([this, batch = std::move(batch)]() mutable {
      absl::Status s = Commit(*batch);
      batch.reset();  // the folds are freed on this thread, not the applier's
      return s;
    });
  }
  return std::optional<v1::Checkpoint>(committed_);
}

absl::StatusOr<v1::Checkpoint> PgSink::Flush() {
  if (absl::Status s = Collect(/*wait=*/true); !s.ok()) return Fail(s);
  if (!dirty_) return committed_;
  std::unique_ptr<Batch> batch = TakeBatch();
  if (absl::Status s = Commit(*batch); !s.ok()) return Fail(s);
  committed_ = batch->checkpoint;
  return committed_;
}

std::vector<std::string> PgSink::Check(const DbSinkOptions& options,
                                       const std::vector<v1::TableSchema>& tables) {
  std::vector<std::string> out;
  auto conn = PgConn::Connect(options.dsn, options.password);
  if (!conn.ok()) return {std::string(conn.status().message())};
  auto priv = (*conn)->QueryValue(
      "SELECT CASE WHEN has_database_privilege(current_database(), 'CREATE') THEN true "
      "WHEN to_regnamespace('tidemark') IS NULL THEN false "
      "ELSE has_schema_privilege('tidemark', 'CREATE') END",
      "check privileges");
  if (!priv.ok()) {
    out.emplace_back(priv.status().message());
  } else if (*priv != "t") {
    out.push_back(fmt::format("sink {}: the target user may not create the tidemark schema for "
                              "its checkpoint table (GRANT CREATE ON DATABASE ... TO ...)",
                              options.name));
  }
  for (const v1::TableSchema& source : tables) {
    const std::string schema = TargetSchemaFor(options, source.table(), "");
    const std::string name = QuotePgIdent(schema) + "." + QuotePgIdent(source.table().table());
    auto t = DescribeTarget(conn->get(), schema, source.table().table());
    if (!t.ok()) {
      out.emplace_back(t.status().message());
      continue;
    }
    std::vector<std::string> problems =
        t->exists ? TargetTableProblems(options, TargetEngine::kPostgres, source,
                                        {name, t->columns, t->unique_keys, t->has_primary_key})
                  : MissingTableProblems(options, source, name);
    out.insert(out.end(), problems.begin(), problems.end());
  }
  return out;
}

}  // namespace tidemark::pgsink
