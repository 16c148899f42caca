#include "apply/mysql/mysql_sink.h"

#include <fmt/format.h>

#include "absl/time/clock.h"
#include "apply/db/target_check.h"
#include "apply/mysql/mysql_text.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "schema/mongo_shape.h"

namespace tidemark::mysqlsink {
namespace {

std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "X'";
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out + "'";
}

}  // namespace

MysqlSink::MysqlSink(DbSinkOptions options, const SchemaRegistry* registry)
    : options_(std::move(options)), registry_(registry), schemas_(registry) {
  committed_.set_sink(options_.name);
  current_ = committed_;
}

void MysqlSink::Reset() {
  (void)worker_.Wait();  // a failed or abandoned batch: the checkpoint on the target says
  conn_.reset();
  folds_.clear();
  fold_by_schema_.clear();
  pending_sql_.clear();
  tables_.clear();
  current_ = committed_;
  dirty_ = false;
  unsent_ = 0;
}

absl::Status MysqlSink::Fail(absl::Status s) {
  Reset();
  return s;
}

absl::Status MysqlSink::Connect() {
  TM_ASSIGN_OR_RETURN(MysqlDsn dsn, ParseMysqlDsn(options_.dsn));
  if (!options_.password.empty()) dsn.password = options_.password;
  dsn_database_ = dsn.database;
  TM_ASSIGN_OR_RETURN(conn_, MysqlConn::Connect(dsn));
  TM_RETURN_IF_ERROR(Run(conn_.get(),
                         "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_BACKSLASH_ESCAPES,"
                         "NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION', time_zone = '+00:00', "
                         "autocommit = 1",
                         "set session options"));
  TM_RETURN_IF_ERROR(Run(conn_.get(), "CREATE DATABASE IF NOT EXISTS `tidemark`",
                         "create database tidemark"));
  return Run(conn_.get(),
             "CREATE TABLE IF NOT EXISTS `tidemark`.`checkpoints` (sink VARCHAR(255) CHARACTER SET "
             "utf8mb4 COLLATE utf8mb4_bin PRIMARY KEY, journal_offset BIGINT UNSIGNED NOT NULL, "
             "source_position LONGBLOB, checkpoint LONGBLOB NOT NULL, updated_at DATETIME(6) NOT "
             "NULL) ENGINE=InnoDB",
             "create tidemark.checkpoints");
}

absl::StatusOr<std::optional<v1::Checkpoint>> MysqlSink::LoadCheckpoint() {
  Reset();
  if (absl::Status s = Connect(); !s.ok()) return Fail(s);
  std::string key;
  AppendQuoted(&key, options_.checkpoint_key());
  auto rows = conn_->Query("SELECT checkpoint FROM `tidemark`.`checkpoints` WHERE sink = " + key,
                           "read the checkpoint");
  if (!rows.ok()) return Fail(rows.status());
  loaded_ = true;
  committed_ = v1::Checkpoint();
  committed_.set_sink(options_.name);
  std::optional<v1::Checkpoint> out;
  if (!rows->empty()) {
    if (!(*rows)[0][0].has_value() || !committed_.ParseFromString(*(*rows)[0][0])) {
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

absl::Status MysqlSink::Write(const JournalBatch& batch) {
  if (!loaded_ || conn_ == nullptr) {
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

absl::StatusOr<MysqlTable*> MysqlSink::TableFor(const v1::TableSchema& schema) {
  auto tkey = std::make_pair(TableKey(schema.table()), schema.version());
  auto t = tables_.find(tkey);
  if (t == tables_.end()) {
    // Resolving uses the connection (and adds to tables_): not while a batch commits.
    TM_RETURN_IF_ERROR(Collect(/*wait=*/true));
    std::optional<v1::TableSchema> previous;
    if (schema.version() > 1) {
      auto p = registry_->Get(schema.table(), schema.version() - 1);
      if (p.ok()) {
        previous = mongo_shape::IsMongoSchema(*p) ? mongo_rows::RelationalSchema(*p) : *p;
      }
    }
    TM_ASSIGN_OR_RETURN(std::unique_ptr<MysqlTable> table,
                        MysqlTable::Resolve(conn_.get(), options_, dsn_database_, schema, previous));
    t = tables_.emplace(tkey, std::move(table)).first;
  }
  return t->second.get();
}

absl::StatusOr<TableFold*> MysqlSink::FoldFor(const v1::TableSchema& schema) {
  if (auto f = fold_by_schema_.find(&schema); f != fold_by_schema_.end()) return f->second;
  const std::string key = TableKey(schema.table());
  auto it = folds_.find(key);
  if (it != folds_.end() && it->second.first == schema.version()) {
    fold_by_schema_[&schema] = &it->second.second;
    return &it->second.second;
  }
  if (it != folds_.end()) {
    // A new schema version: commit what came before it (with its checkpoint), so
    // that DDL's implicit commit never splits a batch.
    TM_RETURN_IF_ERROR(CommitNow());
  }
  TM_ASSIGN_OR_RETURN(MysqlTable * table, TableFor(schema));
  TM_ASSIGN_OR_RETURN(TableFold fold, TableFold::Create(schema, table->key()));
  auto [slot, added] = folds_.emplace(key, std::make_pair(schema.version(), std::move(fold)));
  (void)added;
  fold_by_schema_[&schema] = &slot->second.second;
  return &slot->second.second;
}

absl::Status MysqlSink::MoveRows(const v1::TableSchema& relational, const v1::TableId& to) {
  // Everything before the rename is committed first (with its checkpoint): the
  // tables' DDL below would commit implicitly, and the move must see those rows.
  TM_RETURN_IF_ERROR(CommitNow());
  TM_ASSIGN_OR_RETURN(MysqlTable * from, TableFor(relational));
  v1::TableSchema dest = relational;
  *dest.mutable_table() = to;
  TM_ASSIGN_OR_RETURN(std::unique_ptr<MysqlTable> dest_table,
                      MysqlTable::Resolve(conn_.get(), options_, dsn_database_, dest, std::nullopt));
  for (std::string& sql : mongo_rows::MoveRowsSql(TargetEngine::kMysql, from->qualified(),
                                                  dest_table->qualified(), relational)) {
    pending_sql_.push_back(std::move(sql));
  }
  return absl::OkStatus();
}

absl::Status MysqlSink::WriteEvent(uint64_t offset, const v1::ChangeEvent& ev) {
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

absl::Status MysqlSink::WriteEntry(uint64_t offset, const v1::JournalEntry& entry) {
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

std::unique_ptr<MysqlSink::Batch> MysqlSink::TakeBatch() {
  auto batch = std::make_unique<Batch>();
  batch->sql = std::move(pending_sql_);
  pending_sql_.clear();
  batch->folds = std::move(folds_);
  folds_.clear();
  fold_by_schema_.clear();
  current_.set_time_micros(absl::ToUnixMicros(absl::Now()));
  current_.set_reason("apply");
  batch->checkpoint = current_;
  dirty_ = false;
  unsent_ = 0;
  return batch;
}

absl::Status MysqlSink::Commit(Batch& batch) {
  TM_RETURN_IF_ERROR(Run(conn_.get(), "START TRANSACTION", "begin"));
  for (const std::string& sql : batch.sql) {
    TM_RETURN_IF_ERROR(Annotate(Run(conn_.get(), sql, "move the rows of a renamed collection"),
                                fmt::format("sink {}: ", options_.name)));
  }
  for (auto& [key, vf] : batch.folds) {
    auto& [version, fold] = vf;
    if (fold.empty()) continue;
    TM_RETURN_IF_ERROR(Annotate(tables_.at({key, version})->Apply(conn_.get(), fold),
                                fmt::format("sink {}: ", options_.name)));
  }
  const v1::Checkpoint& cp = batch.checkpoint;
  std::string key;
  AppendQuoted(&key, options_.checkpoint_key());
  TM_RETURN_IF_ERROR(Run(
      conn_.get(),
      fmt::format("INSERT INTO `tidemark`.`checkpoints` (sink, journal_offset, source_position, "
                  "checkpoint, updated_at) VALUES ({}, {}, {}, {}, UTC_TIMESTAMP(6)) ON DUPLICATE "
                  "KEY UPDATE journal_offset = VALUES(journal_offset), source_position = "
                  "VALUES(source_position), checkpoint = VALUES(checkpoint), updated_at = "
                  "VALUES(updated_at)",
                  key, cp.offset(), Hex(cp.position().SerializeAsString()),
                  Hex(cp.SerializeAsString())),
      "write the checkpoint"));
  return Run(conn_.get(), "COMMIT", "commit");
}

absl::Status MysqlSink::CommitNow() {
  TM_RETURN_IF_ERROR(Collect(/*wait=*/true));
  if (!dirty_) return absl::OkStatus();
  if (conn_ == nullptr) return absl::UnavailableError("not connected");
  std::unique_ptr<Batch> batch = TakeBatch();
  TM_RETURN_IF_ERROR(Commit(*batch));
  committed_ = batch->checkpoint;
  return absl::OkStatus();
}

absl::Status MysqlSink::Collect(bool wait) {
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

absl::StatusOr<std::optional<v1::Checkpoint>> MysqlSink::Progress() {
  // Wait for the batch in flight only when another full batch is waiting behind it.
  const bool wait = unsent_ >= options_.batch_events;
  if (absl::Status s = Collect(wait); !s.ok()) return Fail(s);
  if (dirty_ && !worker_.busy()) {
    if (conn_ == nullptr) return Fail(absl::UnavailableError("not connected"));
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

absl::StatusOr<v1::Checkpoint> MysqlSink::Flush() {
  if (absl::Status s = CommitNow(); !s.ok()) return Fail(s);
  return committed_;
}

std::vector<std::string> MysqlSink::Check(const DbSinkOptions& options,
                                          const std::vector<v1::TableSchema>& tables) {
  auto dsn = ParseMysqlDsn(options.dsn);
  if (!dsn.ok()) return {std::string(dsn.status().message())};
  if (!options.password.empty()) dsn->password = options.password;
  auto conn = MysqlConn::Connect(*dsn);
  if (!conn.ok()) return {std::string(conn.status().message())};
  std::vector<std::string> out;
  absl::Status s = Run(conn->get(), "CREATE DATABASE IF NOT EXISTS `tidemark`", "check");
  if (!s.ok()) {
    out.push_back(fmt::format("sink {}: cannot create the `tidemark` database for the checkpoint "
                              "table: {}", options.name, s.message()));
  }
  for (const v1::TableSchema& source : tables) {
    const std::string database = TargetSchemaFor(options, source.table(), dsn->database);
    const std::string name =
        QuoteMysqlIdent(database) + "." + QuoteMysqlIdent(source.table().table());
    auto t = DescribeTarget(conn->get(), database, source.table().table());
    if (!t.ok()) {
      out.emplace_back(t.status().message());
      continue;
    }
    if (!t->exists) {
      for (auto& p : MissingTableProblems(options, source, name)) out.push_back(std::move(p));
      continue;
    }
    TargetTableInfo info{name, {}, t->unique_keys, t->has_primary_key};
    for (size_t i = 0; i < t->columns.size(); ++i) {
      info.columns.emplace_back(t->columns[i].first, t->column_types[i]);
    }
    for (auto& p : TargetTableProblems(options, TargetEngine::kMysql, source, info)) {
      out.push_back(std::move(p));
    }
  }
  return out;
}

}  // namespace tidemark::mysqlsink
