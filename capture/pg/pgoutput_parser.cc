#include "capture/pg/pgoutput_parser.h"

#include <fmt/format.h>

#include <string>

#include "common/byte_reader.h"
#include "common/status_macros.h"

namespace tidemark::pg {
namespace {

// Reads a TupleData (see the grammar in the header). `r` names the message.
absl::StatusOr<TupleData> ReadTupleData(ByteReader& r) {
  TM_ASSIGN_OR_RETURN(int16_t ncolumns, r.I16("tuple column count"));
  if (ncolumns < 0) return r.Malformed(fmt::format("negative tuple column count {}", ncolumns));
  TupleData tuple;
  // Each column needs at least its kind byte: do not trust the count for memory.
  if (static_cast<size_t>(ncolumns) > r.remaining()) {
    return r.Truncated(fmt::format("tuple of {} columns", ncolumns));
  }
  tuple.columns.reserve(ncolumns);
  // Hot path (every column of every row): the labels are passed as empty strings and
  // the column-numbered message is built only when a read fails.
  for (int i = 0; i < ncolumns; ++i) {
    auto kind_or = r.U8("");
    if (!kind_or.ok()) return r.Truncated(fmt::format("tuple column {} kind", i));
    uint8_t kind = *kind_or;
    TupleColumn col;
    switch (kind) {
      case 'n':
        col.kind = TupleColumn::Kind::kNull;
        break;
      case 'u':
        col.kind = TupleColumn::Kind::kUnchangedToast;
        break;
      case 't':
      case 'b': {
        col.kind = kind == 't' ? TupleColumn::Kind::kText : TupleColumn::Kind::kBinary;
        auto len = r.I32("");
        if (!len.ok()) return r.Truncated(fmt::format("tuple column {} length", i));
        if (*len < 0) {
          return r.Malformed(fmt::format("negative length {} of tuple column {}", *len, i));
        }
        auto data = r.Bytes(static_cast<size_t>(*len), "");
        if (!data.ok()) return r.Truncated(fmt::format("tuple column {} value", i));
        col.data = *data;
        break;
      }
      default:
        return r.Malformed(fmt::format("unknown kind 0x{:02x} of tuple column {}", kind, i));
    }
    tuple.columns.push_back(col);
  }
  return tuple;
}

absl::StatusOr<PgoutputMessage> ParseBegin(ByteReader& r) {
  BeginMessage m;
  TM_ASSIGN_OR_RETURN(m.final_lsn, r.U64("final LSN"));
  TM_ASSIGN_OR_RETURN(m.commit_timestamp, r.I64("commit timestamp"));
  TM_ASSIGN_OR_RETURN(m.xid, r.U32("xid"));
  return m;
}

absl::StatusOr<PgoutputMessage> ParseCommit(ByteReader& r) {
  CommitMessage m;
  TM_ASSIGN_OR_RETURN(m.flags, r.U8("flags"));
  TM_ASSIGN_OR_RETURN(m.commit_lsn, r.U64("commit LSN"));
  TM_ASSIGN_OR_RETURN(m.end_lsn, r.U64("end LSN"));
  TM_ASSIGN_OR_RETURN(m.commit_timestamp, r.I64("commit timestamp"));
  return m;
}

absl::StatusOr<PgoutputMessage> ParseOrigin(ByteReader& r) {
  OriginMessage m;
  TM_ASSIGN_OR_RETURN(m.commit_lsn, r.U64("origin commit LSN"));
  TM_ASSIGN_OR_RETURN(m.name, r.CString("origin name"));
  return m;
}

absl::StatusOr<PgoutputMessage> ParseRelation(ByteReader& r) {
  RelationMessage m;
  TM_ASSIGN_OR_RETURN(m.relation_id, r.U32("relation id"));
  TM_ASSIGN_OR_RETURN(m.namespace_name, r.CString("namespace"));
  TM_ASSIGN_OR_RETURN(m.relation_name, r.CString("relation name"));
  TM_ASSIGN_OR_RETURN(uint8_t ident, r.U8("replica identity"));
  m.replica_identity = static_cast<char>(ident);
  TM_ASSIGN_OR_RETURN(int16_t ncolumns, r.I16("column count"));
  if (ncolumns < 0) return r.Malformed(fmt::format("negative column count {}", ncolumns));
  if (static_cast<size_t>(ncolumns) > r.remaining()) {
    return r.Truncated(fmt::format("relation of {} columns", ncolumns));
  }
  m.columns.reserve(ncolumns);
  for (int i = 0; i < ncolumns; ++i) {
    RelationColumn c;
    TM_ASSIGN_OR_RETURN(c.flags, r.U8(fmt::format("column {} flags", i)));
    TM_ASSIGN_OR_RETURN(c.name, r.CString(fmt::format("column {} name", i)));
    TM_ASSIGN_OR_RETURN(c.type_id, r.U32(fmt::format("column {} type id", i)));
    TM_ASSIGN_OR_RETURN(c.type_modifier, r.I32(fmt::format("column {} type modifier", i)));
    m.columns.push_back(c);
  }
  return m;
}

absl::StatusOr<PgoutputMessage> ParseType(ByteReader& r) {
  TypeMessage m;
  TM_ASSIGN_OR_RETURN(m.type_id, r.U32("type id"));
  TM_ASSIGN_OR_RETURN(m.namespace_name, r.CString("namespace"));
  TM_ASSIGN_OR_RETURN(m.type_name, r.CString("type name"));
  return m;
}

// Reads the 'N' (or other) tag that precedes a TupleData.
absl::Status ExpectTag(ByteReader& r, char want, std::string_view what) {
  TM_ASSIGN_OR_RETURN(uint8_t tag, r.U8(what));
  if (tag != static_cast<uint8_t>(want)) {
    return r.Malformed(fmt::format("expected '{}' before {}, got 0x{:02x}", want, what, tag));
  }
  return absl::OkStatus();
}

absl::StatusOr<PgoutputMessage> ParseInsert(ByteReader& r) {
  InsertMessage m;
  TM_ASSIGN_OR_RETURN(m.relation_id, r.U32("relation id"));
  TM_RETURN_IF_ERROR(ExpectTag(r, 'N', "new tuple"));
  TM_ASSIGN_OR_RETURN(m.new_tuple, ReadTupleData(r));
  return m;
}

absl::StatusOr<PgoutputMessage> ParseUpdate(ByteReader& r) {
  UpdateMessage m;
  TM_ASSIGN_OR_RETURN(m.relation_id, r.U32("relation id"));
  TM_ASSIGN_OR_RETURN(uint8_t tag, r.U8("tuple tag"));
  if (tag == 'K' || tag == 'O') {
    m.old_tuple_kind = static_cast<char>(tag);
    TM_ASSIGN_OR_RETURN(m.old_tuple, ReadTupleData(r));
    TM_ASSIGN_OR_RETURN(tag, r.U8("new tuple tag"));
  }
  if (tag != 'N') {
    return r.Malformed(fmt::format("expected 'K', 'O' or 'N' tuple tag, got 0x{:02x}", tag));
  }
  TM_ASSIGN_OR_RETURN(m.new_tuple, ReadTupleData(r));
  return m;
}

absl::StatusOr<PgoutputMessage> ParseDelete(ByteReader& r) {
  DeleteMessage m;
  TM_ASSIGN_OR_RETURN(m.relation_id, r.U32("relation id"));
  TM_ASSIGN_OR_RETURN(uint8_t tag, r.U8("old tuple tag"));
  if (tag != 'K' && tag != 'O') {
    return r.Malformed(fmt::format("expected 'K' or 'O' old tuple tag, got 0x{:02x}", tag));
  }
  m.old_tuple_kind = static_cast<char>(tag);
  TM_ASSIGN_OR_RETURN(m.old_tuple, ReadTupleData(r));
  return m;
}

absl::StatusOr<PgoutputMessage> ParseTruncate(ByteReader& r) {
  TruncateMessage m;
  TM_ASSIGN_OR_RETURN(int32_t n, r.I32("relation count"));
  if (n < 0) return r.Malformed(fmt::format("negative relation count {}", n));
  TM_ASSIGN_OR_RETURN(m.options, r.U8("options"));
  if (static_cast<size_t>(n) > r.remaining() / 4) {
    return r.Truncated(fmt::format("{} relation ids", n));
  }
  m.relation_ids.reserve(n);
  for (int i = 0; i < n; ++i) {
    TM_ASSIGN_OR_RETURN(uint32_t id, r.U32("relation id"));
    m.relation_ids.push_back(id);
  }
  return m;
}

absl::StatusOr<PgoutputMessage> ParseMessage(ByteReader& r) {
  LogicalDecodingMessage m;
  TM_ASSIGN_OR_RETURN(m.flags, r.U8("flags"));
  TM_ASSIGN_OR_RETURN(m.lsn, r.U64("message LSN"));
  TM_ASSIGN_OR_RETURN(m.prefix, r.CString("prefix"));
  TM_ASSIGN_OR_RETURN(int32_t len, r.I32("content length"));
  if (len < 0) return r.Malformed(fmt::format("negative content length {}", len));
  TM_ASSIGN_OR_RETURN(m.content, r.Bytes(static_cast<size_t>(len), "content"));
  return m;
}

struct Kind {
  char tag;
  const char* context;  // ByteReader keeps a view: must be a literal
  absl::StatusOr<PgoutputMessage> (*parse)(ByteReader&);
};

constexpr Kind kKinds[] = {
    {'B', "pgoutput Begin", ParseBegin},       {'C', "pgoutput Commit", ParseCommit},
    {'O', "pgoutput Origin", ParseOrigin},     {'R', "pgoutput Relation", ParseRelation},
    {'Y', "pgoutput Type", ParseType},         {'I', "pgoutput Insert", ParseInsert},
    {'U', "pgoutput Update", ParseUpdate},     {'D', "pgoutput Delete", ParseDelete},
    {'T', "pgoutput Truncate", ParseTruncate}, {'M', "pgoutput Message", ParseMessage},
};

}  // namespace

absl::StatusOr<PgoutputMessage> ParsePgoutputMessage(std::string_view bytes) {
  if (bytes.empty()) return absl::DataLossError("pgoutput: empty message");
  for (const Kind& k : kKinds) {
    if (bytes[0] != k.tag) continue;
    ByteReader r(bytes, k.context);
    TM_RETURN_IF_ERROR(r.Skip(1, "message type"));
    TM_ASSIGN_OR_RETURN(PgoutputMessage m, k.parse(r));
    if (!r.empty()) {
      return r.Malformed(fmt::format("{} trailing bytes after the message", r.remaining()));
    }
    return m;
  }
  return absl::DataLossError(fmt::format(
      "pgoutput: unknown message type 0x{:02x} (tidemark speaks protocol version 1; streamed "
      "transactions and two-phase messages are not requested)",
      static_cast<uint8_t>(bytes[0])));
}

std::string_view MessageName(const PgoutputMessage& message) {
  static constexpr std::string_view kNames[] = {"Begin",  "Commit", "Origin", "Relation",
                                                "Type",   "Insert", "Update", "Delete",
                                                "Truncate", "Message"};
  return kNames[message.index()];
}

}  // namespace tidemark::pg
