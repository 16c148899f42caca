// Binlog event parser (layer 1 of DESIGN.md §2). Pure: bytes → binlog_event.h structs,
// over a bounds-checked ByteReader (little-endian). No I/O, no clock, no logging.
//
// Specs: MySQL  https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_replication_binlog_event.html
//        MariaDB https://mariadb.com/kb/en/replication-protocol/ (Binary Log Events)
//
// Grammar of one event (all integers little-endian):
//   event        := header body [crc32]
//   header       := timestamp:4 type_code:1 server_id:4 event_length:4 log_pos:4 flags:2
//   crc32        := 4 bytes, zlib CRC-32 of header+body; present when the format
//                   description's checksum_alg is CRC32 (the FORMAT_DESCRIPTION event
//                   carries its own alg byte just before its crc)
//   FORMAT_DESCRIPTION := binlog_version:2 server_version:50 create_timestamp:4
//                   header_length:1 post_header_lengths:n checksum_alg:1
//   ROTATE       := position:8 next_file:rest
//   QUERY        := thread_id:4 exec_time:4 db_len:1 error_code:2 status_vars_len:2
//                   status_vars:status_vars_len db:db_len NUL query:rest
//   XID          := xid:8
//   GTID (Maria) := seq_no:8 domain_id:4 flags2:1 [commit_id:8 if flags2&2] ...
//   GTID_LIST    := count:4 (low 28 bits) {domain:4 server:4 seq:8}*count
//   BINLOG_CHECKPOINT := len:4 file:len
//   ANNOTATE_ROWS := query:rest            ROWS_QUERY := len:1 query:rest
//   GTID (MySQL) := flags:1 sid:16 gno:8 [lt_type:1 last_committed:8 sequence_number:8
//                   [immediate_ts:7 (bit 55: original follows) [original_ts:7]
//                   [transaction_length:packed] ...]]
//   PREVIOUS_GTIDS := n_sids:8 {sid:16 n_intervals:8 {start:8 end:8}*}*
//   TABLE_MAP    := see table_map.cc
//   ROWS v1      := table_id:6 flags:2 column_count:packed present:bitmap
//                   [present_after:bitmap for UPDATE] rows:rest
//   ROWS v2      := table_id:6 flags:2 extra_len:2 extra:(extra_len-2) ...as v1
//   HEARTBEAT    := log_ident:rest         TRANSACTION_PAYLOAD := see mysql8_events.cc
//   packed       := <0xfb: 1 byte | 0xfc v:2 | 0xfd v:3 | 0xfe v:8
// An event type the parser does not know is skipped when its header has
// LOG_EVENT_IGNORABLE_F (0x80); otherwise it is an error (kDataLoss).
#ifndef TIDEMARK_CAPTURE_MYSQL_BINLOG_PARSER_H_
#define TIDEMARK_CAPTURE_MYSQL_BINLOG_PARSER_H_

#include <optional>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "capture/mysql/binlog_event.h"
#include "common/byte_reader.h"

namespace tidemark::mysql {

// Length-encoded ("packed") integer.
absl::StatusOr<uint64_t> ReadPacked(ByteReader& r, std::string_view what);
// A bitmap of `bits` bits, least significant bit of the first byte first.
absl::StatusOr<std::vector<bool>> ReadBitmap(ByteReader& r, size_t bits, std::string_view what);

// Parses one complete event. Stateful only in the format description it keeps
// (checksum algorithm, post-header lengths), updated by FORMAT_DESCRIPTION events.
// Not thread-safe.
class BinlogParser {
 public:
  // `initial_checksum_alg` applies to events before the first FORMAT_DESCRIPTION
  // (the artificial ROTATE a server sends first carries a checksum when the replica
  // announced @master_binlog_checksum).
  explicit BinlogParser(uint8_t initial_checksum_alg = BINLOG_CHECKSUM_ALG_OFF)
      : checksum_alg_(initial_checksum_alg) {}

  // `data` is exactly one event; `where` names it in errors ("mariadb-bin.000001:1234").
  // Errors: kDataLoss for truncated or malformed bytes and checksum mismatches (with
  // byte offset), and for unknown event types without the ignorable flag.
  // The returned event's views point into `data`. `crc32_of_data`, when given, is
  // zlib crc32 of data[0, size - 4) computed beforehand (by the stream's reader thread,
  // StreamCrc32): used instead of computing it here when the event carries a CRC32.
  absl::StatusOr<BinlogEvent> Parse(std::string_view data, std::string_view where,
                                    std::optional<uint32_t> crc32_of_data = std::nullopt);

  // Events inside a TRANSACTION_PAYLOAD have no checksum: parse them with this.
  absl::StatusOr<BinlogEvent> ParseWithoutChecksum(std::string_view data, std::string_view where);

  uint8_t checksum_alg() const { return checksum_alg_; }
  bool has_format() const { return has_format_; }
  const FormatDescriptionEvent& format() const { return format_; }

 private:
  absl::StatusOr<BinlogEvent> ParseImpl(std::string_view data, std::string_view where,
                                        std::optional<uint32_t> crc32_of_data,
                                        bool use_checksum);
  uint8_t PostHeaderLength(uint8_t type, uint8_t fallback) const;

  // The TABLE_MAP case: the memoized map when `body` repeats the last TABLE_MAP bytes of
  // its table id, else parsed (and memoized).
  absl::StatusOr<TableMapRef> TableMap(std::string_view body, std::string_view ctx);

  uint8_t checksum_alg_;
  bool has_format_ = false;
  FormatDescriptionEvent format_;
  struct MemoTableMap {
    std::string body;  // the event's bytes after the common header, without checksum
    std::shared_ptr<const TableMapEvent> map;
  };
  absl::flat_hash_map<uint64_t, MemoTableMap> table_maps_;  // by table id
};

// Parses the header only (19 bytes), for framing.
absl::StatusOr<EventHeader> ParseEventHeader(std::string_view data, std::string_view where);

// Body parsers, exposed for table_map.cc / mysql8_events.cc and tests. `r` is
// positioned after the common header and bounded before the checksum.
absl::StatusOr<TableMapEvent> ParseTableMap(ByteReader& r, uint8_t post_header_len);
absl::StatusOr<TransactionPayloadEvent> ParseTransactionPayload(ByteReader& r);
absl::StatusOr<MysqlGtidEvent> ParseMysqlGtid(ByteReader& r, bool anonymous);
absl::StatusOr<PreviousGtidsEvent> ParsePreviousGtids(ByteReader& r);

}  // namespace tidemark::mysql

#endif  // TIDEMARK_CAPTURE_MYSQL_BINLOG_PARSER_H_
