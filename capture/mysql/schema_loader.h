// Reads table definitions from the server (information_schema) and finds out from
// which binlog position they hold (layer 3: I/O). Used for the schema history's first
// load and as the fallback for DDL the parser does not understand.
//
// information_schema only has the current definitions. They are exact at a binlog
// position S only if no DDL on the table lies between S and the moment they were read.
// Resolve() proves that from the binlog itself:
//   1. B = SHOW MASTER STATUS; read the definitions; A = SHOW MASTER STATUS.
//   2. List the DDL QUERY events in [S, A) (SHOW BINLOG EVENTS, paged).
//   3. A DDL in [B, A) on a table of interest may or may not be in what was read: retry
//      (up to 5 times, then kAborted). A DDL takes the table's metadata lock until it is
//      in the binlog, so every DDL before B is in what was read and none after A is.
//   4. A table no DDL touches in [S, A): its definition holds at S. A table some DDL
//      touches: what was read holds after the last such DDL (recorded at that DDL's
//      position, where it wins over the parser: schema_history.h); before the first one
//      it is ABSENT when that DDL creates the table (CREATE TABLE without IF NOT EXISTS /
//      OR REPLACE, or a RENAME onto it), else UNKNOWN with the DDL named as the reason.
//      Between the two, applying the parsed DDLs tracks it.
// Not thread-safe; uses the connection it is given.
#ifndef TIDEMARK_CAPTURE_MYSQL_SCHEMA_LOADER_H_
#define TIDEMARK_CAPTURE_MYSQL_SCHEMA_LOADER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "capture/mysql/schema_history.h"
#include "common/libmariadb.h"

namespace tidemark::mysql {

// Which tables tidemark tracks ("db", "table").
using TableFilter = std::function<bool(const std::string&, const std::string&)>;

struct ResolvedSchema {
  std::vector<v1::MysqlTableVersion> versions;  // file/pos set
  std::string server_charset;
  BinlogPos read_at;  // A
};

// Definitions of the tables `want` accepts that exist now (PRESENT versions without
// position), plus every database's default charset (table "").
absl::StatusOr<std::vector<v1::MysqlTableVersion>> ReadTables(MysqlConn& conn, const TableFilter& want);

struct DdlEvent {
  BinlogPos end;  // end of the QUERY event (where its effect starts)
  std::string db, query;
};
// DDL QUERY events (CREATE/ALTER/DROP/RENAME) in [from, to), in binlog order.
absl::StatusOr<std::vector<DdlEvent>> ListDdl(MysqlConn& conn, const BinlogPos& from,
                                              const BinlogPos& to);

// The versions that make the tables `want` accepts known from `start` on (see above).
absl::StatusOr<ResolvedSchema> Resolve(MysqlConn& conn, const BinlogPos& start, const TableFilter& want);

}  // namespace tidemark::mysql

#endif  // TIDEMARK_CAPTURE_MYSQL_SCHEMA_LOADER_H_
