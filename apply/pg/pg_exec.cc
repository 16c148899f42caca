#include "apply/pg/pg_exec.h"

#include <fmt/format.h>

#include <cstdlib>

#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark::pgsink {
namespace {

absl::Status Detailed(PgConn* conn, const PGresult* res, std::string_view what) {
  absl::Status s = PgStatus(conn->raw(), res, what);
  if (res == nullptr) return s;
  std::string extra;
  for (auto [field, label] : {std::pair{PG_DIAG_MESSAGE_DETAIL, "detail"},
                              std::pair{PG_DIAG_CONTEXT, "context"}}) {
    const char* v = PQresultErrorField(res, field);
    if (v != nullptr && *v != '\0') extra += fmt::format("; {}: {}", label, v);
  }
  if (extra.empty()) return s;
  return absl::Status(s.code(), fmt::format("{}{}", s.message(), extra));
}

}  // namespace

absl::StatusOr<PgResult> Exec(PgConn* conn, const std::string& sql, std::string_view what) {
  PgResult r(PQexec(conn->raw(), sql.c_str()));
  ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Detailed(conn, r.get(), what);
  return r;
}

uint64_t Affected(const PgResult& r) {
  const char* n = PQcmdTuples(r.get());
  return n && *n ? std::strtoull(n, nullptr, 10) : 0;
}

absl::Status CopyIn(PgConn* conn, const std::string& copy_sql, std::string_view data,
                    std::string_view what) {
  PgResult r(PQexec(conn->raw(), copy_sql.c_str()));
  if (!r || PQresultStatus(r.get()) != PGRES_COPY_IN) return Detailed(conn, r.get(), what);
  constexpr size_t kChunk = 1 << 20;
  for (size_t at = 0; at < data.size(); at += kChunk) {
    size_t n = std::min(kChunk, data.size() - at);
    if (PQputCopyData(conn->raw(), data.data() + at, static_cast<int>(n)) != 1) {
      return PgStatus(conn->raw(), nullptr, what);
    }
  }
  if (PQputCopyEnd(conn->raw(), nullptr) != 1) return PgStatus(conn->raw(), nullptr, what);
  absl::Status status = absl::OkStatus();
  while (PGresult* res = PQgetResult(conn->raw())) {
    PgResult owned(res);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && status.ok()) {
      status = Detailed(conn, res, what);
    }
  }
  return status;
}

}  // namespace tidemark::pgsink
