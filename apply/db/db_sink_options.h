// Options shared by the database sinks (PostgreSQL, MySQL/MariaDB); see
// conf/README.md for the config keys they come from.
#ifndef TIDEMARK_APPLY_DB_DB_SINK_OPTIONS_H_
#define TIDEMARK_APPLY_DB_DB_SINK_OPTIONS_H_

#include <string>

#include "absl/time/time.h"

#include "tidemark/v1/schema.pb.h"

namespace tidemark {

struct DbSinkOptions {
  std::string name;             // the sink's name (config `name`)
  std::string pipeline;         // the pipeline's name; with `name` it keys the checkpoint row
  std::string dsn;              // libpq conninfo / mysql:// URI
  std::string password;         // never logged
  bool create_tables = false;   // create missing target tables from the source schema
  bool apply_schema_changes = false;  // `schema_changes: apply`: add/drop columns on the target
  // Target schema (PostgreSQL) / database (MySQL) for every table; empty: the source's
  // schema (PostgreSQL sources) or database (MySQL sources) for PostgreSQL targets, and
  // the DSN's database for MySQL targets.
  std::string target_schema;
  // The applier's batch bound (config `batch_events`): while a batch is being
  // committed on the target, the sink folds at most this many more entries before
  // it waits for that commit.
  size_t batch_events = 65536;
  // The applier's batch wait (config `batch_ms`). While the sink is catching up (see
  // DbSink::Progress), a batch is sent once it has batch_events entries or its first
  // entry waited this long, not as soon as the commit thread is free.
  absl::Duration batch_wait = absl::Milliseconds(100);

  // The checkpoint row's key: "<pipeline>.<sink>".
  std::string checkpoint_key() const { return pipeline + "." + name; }
};

// Target schema/database for `table` under `options` (see target_schema above);
// `dsn_database` is the MySQL DSN's database (empty for PostgreSQL targets).
inline std::string TargetSchemaFor(const DbSinkOptions& options, const v1::TableId& table,
                                   const std::string& dsn_database) {
  if (!options.target_schema.empty()) return options.target_schema;
  if (!dsn_database.empty()) return dsn_database;
  return table.schema().empty() ? table.database() : table.schema();
}

}  // namespace tidemark

#endif  // TIDEMARK_APPLY_DB_DB_SINK_OPTIONS_H_
