// Binlog decoder (layer 2 of DESIGN.md §2): raw binlog events + explicit caches
// (format description, table maps, GTID state, known table shapes, schema registry)
// → journal entries. Pure: no I/O, no clock, no logging; runs on recorded bytes.
// Not thread-safe: owned by the capture thread.
//
// Mapping:
//   GTID (MariaDB/MySQL), or QUERY "BEGIN" without one → TxnBegin (transaction_id the
//     GTID in the server's notation, "" without GTIDs)
//   TABLE_MAP → TableSchema entry when the shape is new to the registry
//   WRITE/UPDATE/DELETE_ROWS → one ChangeEvent per row (INSERT/UPDATE/DELETE)
//   XID, QUERY "COMMIT" → TxnCommit whose position is the end of that event
//     (file, log_pos) and the GTID set including the transaction: restarting there
//     resumes exactly after it
//   QUERY DDL (CREATE/ALTER/DROP/RENAME/TRUNCATE...) → OP_DDL ChangeEvent (its own
//     transaction when the server logged it standalone); TRUNCATE of a table with a
//     known schema (from its rows in the stream, else from the schema history via
//     `known`, interned and written ahead of it) → OP_TRUNCATE
//   ROTATE → file name; GTID_LIST → MariaDB GTID state; TRANSACTION_PAYLOAD → its
//     inner events, positioned at the payload event's end
//   FORMAT_DESCRIPTION, ANNOTATE_ROWS, ROWS_QUERY, BINLOG_CHECKPOINT, PREVIOUS_GTIDS,
//   HEARTBEAT, STOP, ignorable events → nothing
// ChangeEvent.position.mysql = {file, end of the rows event, ""}; commit_time_micros
// is the transaction's GTID (or BEGIN) event timestamp (binlog timestamps have
// whole-second precision). `sequence` counts ChangeEvents in the transaction.
// Tables outside `tables` (when non-empty) produce no entries, and a transaction
// with no entry for a wanted table produces nothing at all (no TxnBegin/TxnCommit;
// its GTID still counts in later positions): the journal holds no empty
// transactions, so traffic on other tables (e.g. a sink's checkpoint writes to the
// same server) neither fills the journal nor feeds back through the sinks.
#ifndef TIDEMARK_CAPTURE_MYSQL_DECODER_H_
#define TIDEMARK_CAPTURE_MYSQL_DECODER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "capture/mysql/binlog_parser.h"
#include "capture/mysql/gtid_set.h"
#include "capture/mysql/table_schema.h"
#include "schema/registry.h"
#include "tidemark/v1/journal.pb.h"

namespace tidemark::mysql {

struct MysqlDecoderOptions {
  std::set<std::string> tables;  // "db.table"; empty: all
  CollationMap collations;
  uint8_t initial_checksum_alg = BINLOG_CHECKSUM_ALG_CRC32;
};

class MysqlDecoder {
 public:
  // `schemas` must outlive the decoder. `known` (may be empty) looks up a table's
  // shape from the schema history when the table map lacks names (db, table).
  using KnownLookup = std::function<const KnownTable*(const std::string&, const std::string&)>;
  MysqlDecoder(MysqlDecoderOptions options, SchemaRegistry* schemas, KnownLookup known = {});

  // Where decoding starts: the file name (events before the first ROTATE are
  // positioned in it) and the GTID set executed before the first event.
  absl::Status SetStart(std::string file, std::string_view gtid_set);

  // Parses and decodes one raw event (header..checksum) and appends entries to
  // `out`. On error nothing is appended. Errors: kDataLoss for malformed bytes,
  // kFailedPrecondition for schema that cannot be known or unsupported types,
  // kInvalidArgument for values that are not valid for their type; all say where
  // (file:pos, table, column).
  // `crc32_of_raw`: see BinlogParser::Parse.
  absl::Status Decode(std::string_view raw, std::vector<v1::JournalEntry>* out,
                      std::optional<uint32_t> crc32_of_raw = std::nullopt);

  bool in_transaction() const { return in_txn_; }
  const std::string& file() const { return file_; }
  uint64_t pos() const { return pos_; }  // end of the last event decoded
  std::string gtid_set() const { return gtids_.ToString(); }
  // A resume position (file, pos, gtid set) at the current point.
  v1::SourcePosition Position() const;
  // The DDL statements seen (for the schema history), with their positions.
  struct Ddl {
    std::string schema, query, file;
    uint64_t pos = 0;
  };
  std::vector<Ddl> TakeDdls() { return std::move(ddls_); }

 private:
  struct TableInfo {
    std::shared_ptr<const TableMapEvent> map;  // never null
    std::vector<ColumnDef> columns;
    v1::TableSchema schema;  // interned (version set)
    bool wanted = true;
    uint64_t ddl_generation = 0;  // ddl_generation_ when built
  };
  absl::Status DecodeEvent(const BinlogEvent& ev, uint64_t log_pos, std::vector<v1::JournalEntry>* out);
  absl::Status OnTableMap(const std::shared_ptr<const TableMapEvent>& map,
                          std::vector<v1::JournalEntry>* out);
  absl::Status OnRows(const BinlogEvent& ev, const RowsEvent& rows, uint64_t log_pos,
                      std::vector<v1::JournalEntry>* out);
  absl::Status OnQuery(const BinlogEvent& ev, const QueryEvent& q, uint64_t log_pos,
                       std::vector<v1::JournalEntry>* out);
  // Opens a transaction; its TxnBegin is written by EmitBegin before its first entry.
  void Begin(std::string txid, uint32_t timestamp);
  void EmitBegin(std::vector<v1::JournalEntry>* out);
  void Commit(uint64_t log_pos, std::vector<v1::JournalEntry>* out);
  std::string Where(uint64_t log_pos) const;

  MysqlDecoderOptions options_;
  SchemaRegistry* schemas_;
  KnownLookup known_;
  BinlogParser parser_;
  std::string file_;
  uint64_t pos_ = 0;
  GtidSet gtids_;
  std::unordered_map<uint64_t, TableInfo> tables_;
  // Open transaction.
  bool in_txn_ = false;
  bool begun_ = false;       // its TxnBegin is written (it has entries)
  bool standalone_ = false;  // MariaDB FL_STANDALONE: ends after its one statement
  std::string txid_;
  int64_t txn_time_ = 0;
  uint32_t sequence_ = 0;
  // GTID to add to gtids_ at commit.
  struct PendingGtid {
    bool maria = false, mysql = false;
    uint32_t domain = 0, server = 0;
    uint64_t seq = 0;
    std::string uuid;
    int64_t gno = 0;
  } pending_;
  std::vector<Ddl> ddls_;
  uint64_t ddl_generation_ = 0;  // DDL statements seen (invalidates cached table maps)
};

}  // namespace tidemark::mysql

#endif  // TIDEMARK_CAPTURE_MYSQL_DECODER_H_
