// pgoutput protocol version 1 parser (layer 1 of DESIGN.md §2): one message's
// bytes → a struct that mirrors the spec. Pure: no I/O, no logging, no clock.
//
// Spec: PostgreSQL "Logical Replication Message Formats"
//   https://www.postgresql.org/docs/15/protocol-logicalrep-message-formats.html
// Integers are big-endian; String is NUL-terminated; Byten is n raw bytes.
// Protocol v1 has no streamed transactions, so no message carries an Xid prefix.
//
//   message   := Begin | Commit | Origin | Relation | Type | Insert | Update
//              | Delete | Truncate | Message
//   Begin     := 'B' Int64 final_lsn  Int64 commit_timestamp  Int32 xid
//   Commit    := 'C' Int8 flags  Int64 commit_lsn  Int64 end_lsn  Int64 commit_timestamp
//   Origin    := 'O' Int64 commit_lsn  String name
//   Relation  := 'R' Int32 relation_id  String namespace  String relation_name
//                    Int8 replica_identity  Int16 ncolumns
//                    { Int8 flags  String name  Int32 type_id  Int32 type_modifier }*ncolumns
//   Type      := 'Y' Int32 type_id  String namespace  String type_name
//   Insert    := 'I' Int32 relation_id  'N' TupleData
//   Update    := 'U' Int32 relation_id  [ ('K' | 'O') TupleData ]  'N' TupleData
//   Delete    := 'D' Int32 relation_id  ('K' | 'O') TupleData
//   Truncate  := 'T' Int32 nrelations  Int8 options  { Int32 relation_id }*nrelations
//   Message   := 'M' Int8 flags  Int64 lsn  String prefix  Int32 length  Byte(length) content
//   TupleData := Int16 ncolumns  { 'n' | 'u' | 't' Int32 len Byte(len) | 'b' Int32 len Byte(len) }*
//
// Timestamps are microseconds since the PostgreSQL epoch 2000-01-01 00:00 UTC.
// Parsed structs hold string_views into the message bytes, which must outlive them.
// Every message must be consumed exactly: a short buffer, an unknown tag or
// trailing bytes is kDataLoss naming the message, the field and the byte position
// ("pgoutput Insert: truncated tuple column 2 length at byte 17 of 42").
#ifndef TIDEMARK_CAPTURE_PG_PGOUTPUT_PARSER_H_
#define TIDEMARK_CAPTURE_PG_PGOUTPUT_PARSER_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace tidemark::pg {

// Microseconds between 1970-01-01 and the PostgreSQL epoch 2000-01-01 (UTC).
inline constexpr int64_t kPgEpochUnixMicros = 946684800LL * 1000000;

struct TupleColumn {
  enum class Kind : char {
    kNull = 'n',            // the value is NULL
    kUnchangedToast = 'u',  // TOASTed value not sent because it did not change
    kText = 't',            // text output of the type (the default)
    kBinary = 'b',          // binary send format (only with the 'binary' option)
  };
  Kind kind = Kind::kNull;
  std::string_view data;  // the value bytes for kText / kBinary, empty otherwise
};

struct TupleData {
  std::vector<TupleColumn> columns;
};

struct BeginMessage {
  uint64_t final_lsn = 0;         // LSN of the transaction's commit record
  int64_t commit_timestamp = 0;   // µs since 2000-01-01
  uint32_t xid = 0;
};

struct CommitMessage {
  uint8_t flags = 0;  // currently unused
  uint64_t commit_lsn = 0;
  uint64_t end_lsn = 0;
  int64_t commit_timestamp = 0;
};

struct OriginMessage {
  uint64_t commit_lsn = 0;  // of the commit on the origin server
  std::string_view name;
};

struct RelationColumn {
  static constexpr uint8_t kFlagKey = 1;  // part of the replica identity
  uint8_t flags = 0;
  std::string_view name;
  uint32_t type_id = 0;
  int32_t type_modifier = -1;  // atttypmod
};

struct RelationMessage {
  uint32_t relation_id = 0;
  std::string_view namespace_name;  // "Namespace" (empty for pg_catalog)
  std::string_view relation_name;
  char replica_identity = 'd';      // relreplident: d default, n nothing, f full, i index
  std::vector<RelationColumn> columns;
};

struct TypeMessage {
  uint32_t type_id = 0;
  std::string_view namespace_name;
  std::string_view type_name;
};

struct InsertMessage {
  uint32_t relation_id = 0;
  TupleData new_tuple;
};

struct UpdateMessage {
  uint32_t relation_id = 0;
  // 'K' (old key, REPLICA IDENTITY DEFAULT/INDEX when the key changed), 'O' (old
  // row, REPLICA IDENTITY FULL) or 0 when no old tuple was sent.
  char old_tuple_kind = 0;
  std::optional<TupleData> old_tuple;
  TupleData new_tuple;
};

struct DeleteMessage {
  uint32_t relation_id = 0;
  char old_tuple_kind = 'K';  // 'K' or 'O'
  TupleData old_tuple;
};

struct TruncateMessage {
  static constexpr uint8_t kOptionCascade = 1;
  static constexpr uint8_t kOptionRestartIdentity = 2;
  uint8_t options = 0;
  std::vector<uint32_t> relation_ids;
};

struct LogicalDecodingMessage {
  static constexpr uint8_t kFlagTransactional = 1;
  uint8_t flags = 0;
  uint64_t lsn = 0;
  std::string_view prefix;
  std::string_view content;
};

using PgoutputMessage =
    std::variant<BeginMessage, CommitMessage, OriginMessage, RelationMessage, TypeMessage,
                 InsertMessage, UpdateMessage, DeleteMessage, TruncateMessage,
                 LogicalDecodingMessage>;

// Parses one complete pgoutput v1 message. kDataLoss on malformed bytes.
absl::StatusOr<PgoutputMessage> ParsePgoutputMessage(std::string_view bytes);

// "Insert", "Relation", ...: the spec's name of the message, for error messages.
std::string_view MessageName(const PgoutputMessage& message);

}  // namespace tidemark::pg

#endif  // TIDEMARK_CAPTURE_PG_PGOUTPUT_PARSER_H_
