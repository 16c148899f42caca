// Statement helpers for the PostgreSQL sink over common/libpq.h: errors carry the
// server's DETAIL and CONTEXT (which name the key and the COPY line), and COPY FROM
// STDIN in one call. Not thread-safe (one connection per sink).
#ifndef TIDEMARK_APPLY_PG_PG_EXEC_H_
#define TIDEMARK_APPLY_PG_PG_EXEC_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/libpq.h"

namespace tidemark::pgsink {

// Runs `sql`; errors as PgStatus (common/libpq.h) plus DETAIL/CONTEXT.
absl::StatusOr<PgResult> Exec(PgConn* conn, const std::string& sql, std::string_view what);
// Rows affected by a command result ("UPDATE 3" → 3).
uint64_t Affected(const PgResult& r);
// COPY `copy_sql` (a COPY ... FROM STDIN statement) with `data` in text format.
absl::Status CopyIn(PgConn* conn, const std::string& copy_sql, std::string_view data,
                    std::string_view what);

}  // namespace tidemark::pgsink

#endif  // TIDEMARK_APPLY_PG_PG_EXEC_H_
