// `tidemark check` of a database sink's existing target table against the source
// table it receives (issue 4: "tables compatible"): the same rules the sinks apply
// when they resolve a table (apply/pg/pg_table.h, apply/mysql/mysql_table.h), found
// before the first change instead of at it. Pure; thread-safe.
#ifndef TIDEMARK_APPLY_DB_TARGET_CHECK_H_
#define TIDEMARK_APPLY_DB_TARGET_CHECK_H_

#include <string>
#include <utility>
#include <vector>

#include "apply/db/db_sink_options.h"
#include "schema/target_ddl.h"
#include "tidemark/v1/schema.pb.h"

namespace tidemark {

// An existing target table as its catalog describes it.
struct TargetTableInfo {
  std::string name;  // quoted, for messages ("public"."t", `db`.`t`)
  std::vector<std::pair<std::string, std::string>> columns;  // name, type as spelled by the target
  std::vector<std::vector<std::string>> unique_keys;         // primary key first, if any
  bool has_primary_key = false;
};

// Every problem, each a sentence with its fix: a source column the target lacks
// (fine with schema_changes: apply, which adds it), a column whose type cannot hold
// the source's values (schema/type_compat.h), no primary key or unique index on
// the source's key, a keyless source table without full before images.
std::vector<std::string> TargetTableProblems(const DbSinkOptions& options, TargetEngine engine,
                                             const v1::TableSchema& source,
                                             const TargetTableInfo& target);

// The problem of a missing target table: none with create_tables, else one.
std::vector<std::string> MissingTableProblems(const DbSinkOptions& options,
                                              const v1::TableSchema& source,
                                              const std::string& target_name);

}  // namespace tidemark

#endif  // TIDEMARK_APPLY_DB_TARGET_CHECK_H_
