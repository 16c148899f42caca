// MySQL/MariaDB Source (layer 3): a replica connection streaming the binlog
// (binlog_stream.h), decoded by MysqlDecoder into journal entries.
//
// Start position, in this order: the journal's newest TxnCommit position (file:pos
// of the end of that transaction's XID/COMMIT: resumes exactly after it; its GTID
// set seeds the GTID tracking); else source.start: "now" (SHOW MASTER STATUS plus
// @@gtid_binlog_pos / Executed_Gtid_Set), "FILE:POS", or a MariaDB GTID list
// ("0-1-42,1-2-7", dump via @slave_connect_state) or a MySQL uuid:interval set
// ("uuid:1-42", COM_BINLOG_DUMP_GTID: the server sends every transaction not in it).
// Schema: the history (schema_history.h) is opened at the first Start. When it is
// empty, the tables' definitions are loaded from information_schema for the position
// the stream starts at (schema_loader.h: proven from the binlog, never assumed). Each
// DDL the decoder reports is applied to it (ddl_parser.h) before the next event is
// decoded; a DDL the parser does not understand that touches a tracked table makes
// tidemark read that table from information_schema again, recorded only when the
// binlog proves it exact, else the table's schema is UNKNOWN from there with the reason.
// Acknowledge is a no-op: the binlog is not released by replicas (the server's
// binlog_expire_logs_seconds decides), so `tidemark check` and the README say to keep
// the retention longer than any outage.
// Not thread-safe: every method is called from the capture thread.
#ifndef TIDEMARK_CAPTURE_MYSQL_MYSQL_SOURCE_H_
#define TIDEMARK_CAPTURE_MYSQL_MYSQL_SOURCE_H_

#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/time/time.h"
#include "capture/mysql/binlog_stream.h"
#include "capture/mysql/decoder.h"
#include "capture/mysql/schema_history.h"
#include "capture/source.h"
#include "common/libmariadb.h"
#include "schema/registry.h"

namespace tidemark::mysql {

struct MysqlSourceOptions {
  std::string dsn;       // mysql://user[:pass]@host:port/db
  std::string password;  // overrides the DSN's when non-empty
  uint32_t server_id = 0;
  std::string start = "now";
  std::vector<std::string> tables;  // "db.table"; empty: all
  size_t chunk_events = 2048;
  absl::Duration heartbeat = absl::Seconds(1);
  // The schema history file (schema_history.h); empty: kept in memory only.
  std::string schema_history_path;
};

class MysqlSource : public Source {
 public:
  // `schemas` must outlive the source.
  MysqlSource(MysqlSourceOptions options, SchemaRegistry* schemas);
  ~MysqlSource() override;

  absl::StatusOr<std::vector<Prerequisite>> Check() override;
  absl::StatusOr<std::vector<v1::TableSchema>> DescribeTables() override;
  absl::Status Start(const v1::SourcePosition& from) override;
  absl::StatusOr<EventChunk> Next(absl::Duration max_wait) override;
  absl::Status Acknowledge(const v1::SourcePosition& pos) override;
  void Close() override;

  // Event bytes received so far (for benchmarks).
  uint64_t bytes_received() const { return stream_ ? stream_->bytes() : 0; }

 private:
  absl::StatusOr<MysqlDsn> Dsn() const;
  bool Wanted(const std::string& db, const std::string& table) const;
  // Loads the history if it is empty and sets the state to its versions at `start`.
  absl::Status PrepareSchema(const BinlogPos& start);
  // Applies one DDL the decoder reported.
  absl::Status OnDdl(const MysqlDecoder::Ddl& ddl);
  void SetKnown(const v1::MysqlTableVersion& v);

  MysqlSourceOptions options_;
  SchemaRegistry* schemas_;
  std::unique_ptr<BinlogStream> stream_;
  std::deque<RawEvent> pending_;  // events read from the stream, not decoded yet
  std::unique_ptr<MysqlDecoder> decoder_;
  std::unique_ptr<SchemaHistory> history_;
  SchemaState state_;                                  // at the decoder's position
  std::unordered_map<std::string, KnownTable> known_;  // state_ for the decoder
  KnownTable before_history_;  // tables not in state_ (unknown set when the start is older)
  bool schema_ready_ = false;
};

// "FILE:POS" → (file, pos); nullopt when `s` is not of that form.
std::optional<std::pair<std::string, uint64_t>> ParseFilePos(std::string_view s);

}  // namespace tidemark::mysql

#endif  // TIDEMARK_CAPTURE_MYSQL_MYSQL_SOURCE_H_
