#include "apply/mysql/mysql_sink.h"

#include <fmt/format.h>

#include "apply/db/target_check.h"
#include "apply/mysql/mysql_text.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "schema/mongo_shape.h"

namespace tidemark::mysqlsink {
namespace {

std::string Hex(std::string_view bytes) { return "X'" + HexDigits(bytes) + "'"; }

}  // namespace

void MysqlSink::Disconnect() {
  conn_.reset();
  tables_.clear();
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

absl::StatusOr<std::optional<std::string>> MysqlSink::ReadCheckpoint() {
  std::string key;
  AppendQuoted(&key, options_.checkpoint_key());
  TM_ASSIGN_OR_RETURN(auto rows,
                      conn_->Query("SELECT checkpoint FROM `tidemark`.`checkpoints` WHERE sink = " +
                                       key,
                                   "read the checkpoint"));
  if (rows.empty()) return std::optional<std::string>();
  if (!rows[0][0].has_value()) {
    return absl::DataLossError(fmt::format(
        "sink {}: the checkpoint row '{}' in tidemark.checkpoints is NULL; delete it to start "
        "over (the sink then replays the whole journal)",
        options_.name, options_.checkpoint_key()));
  }
  return std::optional<std::string>(*rows[0][0]);
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

absl::StatusOr<std::vector<std::string>> MysqlSink::KeyColumns(const v1::TableSchema& schema) {
  TM_ASSIGN_OR_RETURN(MysqlTable * table, TableFor(schema));
  return table->key();
}

absl::Status MysqlSink::BeforeNewVersion(const std::string&, uint32_t, const TableFold&) {
  // Commit what came before (with its checkpoint), so that DDL's implicit commit never
  // splits a batch.
  return CommitNow();
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

absl::Status MysqlSink::CommitBatch(Batch& batch) {
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
