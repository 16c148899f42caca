#include "apply/pg/pg_sink.h"

#include <fmt/format.h>

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

void PgSink::Disconnect() {
  conn_.reset();
  in_transaction_ = false;
  tables_.clear();
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

absl::StatusOr<std::optional<std::string>> PgSink::ReadCheckpoint() {
  TM_ASSIGN_OR_RETURN(PgResult r,
                      conn_->ExecParams("SELECT checkpoint FROM tidemark.checkpoints WHERE sink = $1",
                                        {options_.checkpoint_key()}, "read the checkpoint"));
  if (PQntuples(r.get()) != 1) return std::optional<std::string>();
  auto bytes = Unhex(PgValue(r, 0, 0));
  if (!bytes.ok()) {
    return absl::DataLossError(fmt::format(
        "sink {}: the checkpoint row '{}' in tidemark.checkpoints is not bytea hex ({}); delete "
        "it to start over (the sink then replays the whole journal)",
        options_.name, options_.checkpoint_key(), bytes.status().message()));
  }
  return std::optional<std::string>(*std::move(bytes));
}

absl::Status PgSink::EnsureTransaction() {
  if (conn_ == nullptr) TM_RETURN_IF_ERROR(Connect());
  if (in_transaction_) return absl::OkStatus();
  TM_RETURN_IF_ERROR(Exec(conn_.get(), "BEGIN", "begin").status());
  in_transaction_ = true;
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

absl::StatusOr<std::vector<std::string>> PgSink::KeyColumns(const v1::TableSchema& schema) {
  TM_ASSIGN_OR_RETURN(PgTable * table, TableFor(schema));
  return table->key();
}

absl::Status PgSink::BeforeNewVersion(const std::string& key, uint32_t version,
                                      const TableFold& fold) {
  return ApplyFold(key, version, fold);  // in the open transaction
}

absl::Status PgSink::MoveRows(const v1::TableSchema& relational, const v1::TableId& to) {
  // Changes of either table before the rename reach the target first.
  TM_RETURN_IF_ERROR(Collect(/*wait=*/true));
  for (const std::string& key : {TableKey(relational.table()), TableKey(to)}) {
    auto it = folds().find(key);
    if (it == folds().end()) continue;
    TM_RETURN_IF_ERROR(ApplyFold(key, it->second.first, it->second.second));
    folds().erase(it);
    ForgetFolds();
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

absl::Status PgSink::ApplyFold(const std::string& table_key, uint32_t version,
                               const TableFold& fold) {
  if (fold.empty()) return absl::OkStatus();
  TM_RETURN_IF_ERROR(EnsureTransaction());
  PgTable* table = tables_.at({table_key, version}).get();
  return Annotate(table->Apply(conn_.get(), fold), fmt::format("sink {}: ", options_.name));
}

absl::Status PgSink::CommitBatch(Batch& batch) {
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
                "\\x" + HexDigits(cp.position().SerializeAsString()),
                "\\x" + HexDigits(cp.SerializeAsString())},
               "write the checkpoint")
          .status());
  TM_RETURN_IF_ERROR(Exec(conn_.get(), "COMMIT", "commit").status());
  in_transaction_ = false;
  return absl::OkStatus();
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
