// Catalog queries the PostgreSQL source runs on its ordinary (non-replication)
// connection: type descriptions for the decoder's TypeCatalog, publication
// membership, and the prerequisite checks behind `tidemark check`.
#ifndef TIDEMARK_CAPTURE_PG_PG_CATALOG_H_
#define TIDEMARK_CAPTURE_PG_PG_CATALOG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "capture/pg/type_catalog.h"
#include "capture/source.h"
#include "common/libpq.h"
#include "tidemark/v1/schema.pb.h"

namespace tidemark::pg {

struct PgSourceOptions;

// pg_type (and pg_enum) row of `oid`; kFailedPrecondition when the oid is unknown.
absl::StatusOr<PgTypeInfo> DescribeType(PgConn& conn, uint32_t oid);

// The primary key columns of relation `relid`, in key order (empty: no primary key).
absl::StatusOr<std::vector<std::string>> PrimaryKeyColumns(PgConn& conn, uint32_t relid);

// Configured tables that the (existing) publication does not carry.
absl::StatusOr<std::vector<std::string>> MissingPublicationTables(PgConn& conn,
                                                                  const PgSourceOptions& options);

// The configured tables' current schemas as the decoder would build them from
// pgoutput Relation messages (TypeCatalog types, the replica identity's key
// columns, the primary key under FULL), read from the catalog, for `tidemark
// check` of database sinks. Missing tables are left out (CheckPostgres names them).
// A column type tidemark cannot decode is kFailedPrecondition, as in capture.
absl::StatusOr<std::vector<v1::TableSchema>> DescribeTables(PgConn& conn,
                                                            const PgSourceOptions& options);

// Every unmet prerequisite of a PostgreSQL source, each with its fix: wal_level,
// free replication slots and WAL senders, REPLICATION privilege, missing tables,
// tables with neither a primary key nor REPLICA IDENTITY FULL, the slot's plugin and
// database, the publication's tables.
absl::StatusOr<std::vector<Prerequisite>> CheckPostgres(PgConn& conn,
                                                        const PgSourceOptions& options);

}  // namespace tidemark::pg

#endif  // TIDEMARK_CAPTURE_PG_PG_CATALOG_H_
