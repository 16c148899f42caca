// MySQL/MariaDB schema over time (pure, no I/O except the history file).
//
// SchemaState: every known table's definition at one binlog position, and how a parsed
// DDL statement (ddl_parser.h) changes it. SchemaHistory: versions of each table keyed by
// the binlog position from which they hold, persisted in DATA_DIR/mysql_schema_history.pb
// (temp file, fsync, rename) so that a restart or a rewind decodes rows with the columns
// of their time. The history is needed when the server's TABLE_MAP events carry no column
// names (binlog_row_metadata MINIMAL or NO_LOG); with FULL it still supplies what the
// binlog never carries (MariaDB JSON columns, which are LONGTEXT + CHECK json_valid).
//
// Versions are written as the capture thread decodes DDL, ahead of the journal, and are
// keyed by position, so one written for a DDL the journal never got is simply used again
// when the stream passes that DDL after a restart. A version recorded at exactly a DDL's
// position wins over what applying the DDL would give: the first load records the
// information_schema definition there (see schema_loader.h).
// Not thread-safe: owned by the capture thread.
#ifndef TIDEMARK_CAPTURE_MYSQL_SCHEMA_HISTORY_H_
#define TIDEMARK_CAPTURE_MYSQL_SCHEMA_HISTORY_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "capture/mysql/ddl_parser.h"
#include "capture/mysql/table_schema.h"
#include "tidemark/v1/mysql_schema.pb.h"

namespace tidemark::mysql {

struct BinlogPos {
  std::string file;
  uint64_t pos = 0;
};
// Orders positions: by the file's numeric suffix ("mariadb-bin.000010" after
// ".000009"), then the offset. <0, 0, >0.
int CompareBinlogPos(const BinlogPos& a, const BinlogPos& b);
std::string PosText(const BinlogPos& p);

// "db.table" (or "db." for a database entry).
std::string HistoryKey(const std::string& db, const std::string& table);

// Converts a version to the decoder's KnownTable (unknown set for UNKNOWN/ABSENT).
KnownTable ToKnownTable(const v1::MysqlTableVersion& v);

class SchemaState {
 public:
  // nullptr: the table (or database, table "") was never seen.
  const v1::MysqlTableVersion* Find(const std::string& db, const std::string& table) const;
  void Put(v1::MysqlTableVersion v);
  const std::map<std::string, v1::MysqlTableVersion>& all() const { return entries_; }
  void set_server_charset(std::string cs) { server_charset_ = std::move(cs); }

  // The versions `stmt` (run with default database `default_db`) makes, without file/pos
  // and without changing this state. Tables the statement names but that could not be
  // applied (kUnparsed) go to `unparsed` with the reason in `*why`.
  std::vector<v1::MysqlTableVersion> Apply(const DdlStatement& stmt, const std::string& default_db,
                                           std::vector<TableRef>* unparsed, std::string* why) const;

 private:
  std::string DefaultCharset(const std::string& db, const std::string& table_charset) const;
  v1::MysqlTableVersion Unknown(const TableRef& t, std::string reason) const;
  // Applies ALTER ops to `v` (PRESENT); false with `*why` when an op does not fit.
  bool AlterColumns(const DdlStatement& stmt, v1::MysqlTableVersion* v, std::string* why) const;

  std::map<std::string, v1::MysqlTableVersion> entries_;
  std::string server_charset_;
};

class SchemaHistory {
 public:
  // Loads `path` when it exists. An empty path keeps the history in memory (tests).
  static absl::StatusOr<std::unique_ptr<SchemaHistory>> Open(std::string path);

  bool empty() const { return history_.versions().empty(); }
  const std::string& server_charset() const { return history_.server_charset(); }
  void set_server_charset(const std::string& cs) { history_.set_server_charset(cs); }
  // The oldest position any version holds from (empty file when empty()).
  BinlogPos First() const;
  // For each table and database, its newest version at or before `p`.
  SchemaState At(const BinlogPos& p) const;
  // Whether any version of `key` (HistoryKey; "db." for a database's default charset)
  // is recorded, at any position.
  bool Knows(const std::string& key) const;
  // The version of db.table recorded at exactly `p`, or nullptr.
  const v1::MysqlTableVersion* Exactly(const BinlogPos& p, const std::string& db,
                                       const std::string& table) const;
  // Adds `versions` (file/pos set), replacing one of the same table and position, and
  // persists before returning.
  absl::Status Record(const std::vector<v1::MysqlTableVersion>& versions);

 private:
  explicit SchemaHistory(std::string path) : path_(std::move(path)) {}

  const std::string path_;
  v1::MysqlSchemaHistory history_;  // versions sorted by position
};

}  // namespace tidemark::mysql

#endif  // TIDEMARK_CAPTURE_MYSQL_SCHEMA_HISTORY_H_
