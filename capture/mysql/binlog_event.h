// Binlog event structs (layer 1 of DESIGN.md §2): one struct per event type the
// parser understands, field names as the MySQL/MariaDB sources spell them.
// Views (std::string_view) point into the buffer the event was parsed from; the
// caller keeps that buffer alive while it uses the event.
//
// Specs: https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_replication_binlog_event.html
//        https://mariadb.com/kb/en/replication-protocol/ ("Binary Log Events")
#ifndef TIDEMARK_CAPTURE_MYSQL_BINLOG_EVENT_H_
#define TIDEMARK_CAPTURE_MYSQL_BINLOG_EVENT_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tidemark::mysql {

// Log_event_type (MySQL libbinlogevents/include/binlog_event.h, MariaDB log_event.h).
enum EventType : uint8_t {
  UNKNOWN_EVENT = 0,
  START_EVENT_V3 = 1,
  QUERY_EVENT = 2,
  STOP_EVENT = 3,
  ROTATE_EVENT = 4,
  INTVAR_EVENT = 5,
  SLAVE_EVENT = 7,
  RAND_EVENT = 13,
  USER_VAR_EVENT = 14,
  FORMAT_DESCRIPTION_EVENT = 15,
  XID_EVENT = 16,
  TABLE_MAP_EVENT = 19,
  WRITE_ROWS_EVENT_V1 = 23,
  UPDATE_ROWS_EVENT_V1 = 24,
  DELETE_ROWS_EVENT_V1 = 25,
  INCIDENT_EVENT = 26,
  HEARTBEAT_LOG_EVENT = 27,
  IGNORABLE_LOG_EVENT = 28,
  ROWS_QUERY_LOG_EVENT = 29,
  WRITE_ROWS_EVENT = 30,
  UPDATE_ROWS_EVENT = 31,
  DELETE_ROWS_EVENT = 32,
  GTID_LOG_EVENT = 33,
  ANONYMOUS_GTID_LOG_EVENT = 34,
  PREVIOUS_GTIDS_LOG_EVENT = 35,
  TRANSACTION_CONTEXT_EVENT = 36,
  VIEW_CHANGE_EVENT = 37,
  XA_PREPARE_LOG_EVENT = 38,
  PARTIAL_UPDATE_ROWS_EVENT = 39,
  TRANSACTION_PAYLOAD_EVENT = 40,
  HEARTBEAT_LOG_EVENT_V2 = 41,
  // MariaDB
  ANNOTATE_ROWS_EVENT = 160,
  BINLOG_CHECKPOINT_EVENT = 161,
  GTID_EVENT = 162,
  GTID_LIST_EVENT = 163,
  START_ENCRYPTION_EVENT = 164,
};

// The printable name ("TABLE_MAP_EVENT"), or "event type N".
std::string_view EventTypeName(uint8_t type);

inline constexpr uint16_t LOG_EVENT_ARTIFICIAL_F = 0x20;
inline constexpr uint16_t LOG_EVENT_IGNORABLE_F = 0x80;
inline constexpr uint8_t BINLOG_CHECKSUM_ALG_OFF = 0;
inline constexpr uint8_t BINLOG_CHECKSUM_ALG_CRC32 = 1;
inline constexpr size_t kEventHeaderLength = 19;

struct EventHeader {
  uint32_t timestamp = 0;
  uint8_t type_code = 0;
  uint32_t server_id = 0;
  uint32_t event_length = 0;
  uint32_t log_pos = 0;  // end of this event in its file (0 for artificial events)
  uint16_t flags = 0;
};

struct FormatDescriptionEvent {
  uint16_t binlog_version = 0;
  std::string server_version;
  uint32_t create_timestamp = 0;
  uint8_t header_length = 0;
  std::string post_header_lengths;  // index type_code-1
  uint8_t checksum_alg = BINLOG_CHECKSUM_ALG_OFF;
};

struct RotateEvent {
  uint64_t position = 0;
  std::string next_file;
};

struct StopEvent {};

struct QueryEvent {
  uint32_t thread_id = 0;
  uint32_t exec_time = 0;
  uint16_t error_code = 0;
  std::string_view status_vars;
  std::string schema;
  std::string query;
};

struct XidEvent {
  uint64_t xid = 0;
};

struct MariaGtid {
  uint32_t domain_id = 0;
  uint32_t server_id = 0;
  uint64_t seq_no = 0;
};

// MariaDB GTID_EVENT: starts a transaction group (the GTID's server_id is the header's).
struct MariaGtidEvent {
  static constexpr uint8_t FL_STANDALONE = 1;
  static constexpr uint8_t FL_GROUP_COMMIT_ID = 2;
  static constexpr uint8_t FL_PREPARED_XA = 64;
  static constexpr uint8_t FL_COMPLETED_XA = 128;
  uint64_t seq_no = 0;
  uint32_t domain_id = 0;
  uint8_t flags2 = 0;
  uint64_t commit_id = 0;
};

struct MariaGtidListEvent {
  uint32_t flags = 0;  // top 4 bits of the count word
  std::vector<MariaGtid> list;
};

struct BinlogCheckpointEvent {
  std::string binlog_file_name;
};

// ANNOTATE_ROWS (MariaDB) and ROWS_QUERY (MySQL): the statement behind row events.
struct RowsQueryEvent {
  std::string query;
};

// MySQL GTID_LOG_EVENT / ANONYMOUS_GTID_LOG_EVENT.
struct MysqlGtidEvent {
  bool anonymous = false;
  uint8_t gtid_flags = 0;
  std::array<uint8_t, 16> sid{};
  int64_t gno = 0;
  uint64_t last_committed = 0;
  uint64_t sequence_number = 0;
  uint64_t immediate_commit_timestamp = 0;  // micros, 0 when absent
  uint64_t original_commit_timestamp = 0;
  uint64_t transaction_length = 0;
};

struct GtidInterval {
  int64_t start = 0;  // inclusive
  int64_t end = 0;    // exclusive
};
struct PreviousGtidsEvent {
  struct Sid {
    std::array<uint8_t, 16> sid{};
    std::vector<GtidInterval> intervals;
  };
  std::vector<Sid> sids;
};

// TABLE_MAP_EVENT with the optional metadata (binlog_row_metadata=FULL / MINIMAL).
struct TableMapEvent {
  uint64_t table_id = 0;
  uint16_t flags = 0;
  std::string database;
  std::string table;
  std::vector<uint8_t> column_types;    // MYSQL_TYPE_* as written (STRING for ENUM/SET)
  std::vector<uint16_t> column_meta;    // per column, decoded per type (see table_map.cc)
  std::vector<bool> nullable;
  // Optional metadata; empty when the server did not send the field.
  std::vector<bool> signedness;         // per numeric column, true = UNSIGNED
  bool has_signedness = false;
  std::vector<uint32_t> column_charsets;  // per character column (collation ids)
  std::vector<uint32_t> enum_set_charsets;  // per ENUM/SET column
  std::vector<std::string> column_names;
  std::vector<std::vector<std::string>> set_values;   // per SET column
  std::vector<std::vector<std::string>> enum_values;  // per ENUM column
  std::vector<uint32_t> geometry_types;
  std::vector<uint32_t> primary_key;    // column indexes
  std::vector<bool> visibility;
};

// A parsed TABLE_MAP, shared: while a table id's TABLE_MAP bytes repeat (servers send
// one per transaction) the parser hands out the same object again, so that neither it
// nor the decoder redo the work for a table they already know (BinlogParser).
struct TableMapRef {
  std::shared_ptr<const TableMapEvent> map;
};

// WRITE/UPDATE/DELETE_ROWS v1/v2 and PARTIAL_UPDATE_ROWS: the row images stay raw
// (`rows`), because decoding them needs the table map (row_decoder.h).
struct RowsEvent {
  uint8_t type_code = 0;
  uint64_t table_id = 0;
  uint16_t flags = 0;
  std::string_view extra_data;
  uint64_t column_count = 0;
  std::vector<bool> columns_present;
  std::vector<bool> columns_present_after;  // UPDATE / PARTIAL_UPDATE only
  std::string_view rows;
  size_t rows_offset = 0;  // byte offset of `rows` inside the event, for messages
};
inline constexpr uint16_t STMT_END_F = 1;

struct HeartbeatEvent {
  std::string log_ident;  // current file; position is the header's log_pos
};

// MySQL 8 TRANSACTION_PAYLOAD_EVENT, already decompressed: `payload` holds a
// sequence of complete events without checksums.
struct TransactionPayloadEvent {
  uint64_t compression_type = 0;  // 0 ZSTD, 255 NONE
  uint64_t payload_size = 0;
  uint64_t uncompressed_size = 0;
  std::string payload;
};

// An event the parser skips (ignorable flag, or a type with no bearing on row
// capture such as INTVAR, RAND, USER_VAR, START_ENCRYPTION is refused separately).
struct SkippedEvent {};

using EventBody =
    std::variant<SkippedEvent, FormatDescriptionEvent, RotateEvent, StopEvent, QueryEvent,
                 XidEvent, MariaGtidEvent, MariaGtidListEvent, BinlogCheckpointEvent,
                 RowsQueryEvent, MysqlGtidEvent, PreviousGtidsEvent, TableMapRef, RowsEvent,
                 HeartbeatEvent, TransactionPayloadEvent>;

struct BinlogEvent {
  EventHeader header;
  EventBody body;
};

}  // namespace tidemark::mysql

#endif  // TIDEMARK_CAPTURE_MYSQL_BINLOG_EVENT_H_
