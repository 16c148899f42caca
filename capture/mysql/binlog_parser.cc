#include "capture/mysql/binlog_parser.h"

#include <array>

#include <fmt/format.h>

#include <cstdio>
#include <optional>

#include "capture/mysql/binlog_checksum.h"
#include "capture/mysql/context_buf.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark::mysql {
namespace {

// Server versions from which FORMAT_DESCRIPTION carries a checksum_alg byte
// (MySQL 5.6.1, MariaDB 5.3).
bool VersionHasChecksumAlg(std::string_view v) {
  int major = 0, minor = 0, patch = 0;
  if (std::sscanf(std::string(v).c_str(), "%d.%d.%d", &major, &minor, &patch) < 2) return false;
  if (major != 5) return major > 5;
  if (v.find("MariaDB") != std::string_view::npos) return minor >= 3;
  return minor > 6 || (minor == 6 && patch >= 1);
}

absl::StatusOr<FormatDescriptionEvent> ParseFormatDescription(ByteReader& r) {
  FormatDescriptionEvent e;
  TM_ASSIGN_OR_RETURN(e.binlog_version, r.UintLE(2, "binlog_version"));
  TM_ASSIGN_OR_RETURN(std::string_view ver, r.Bytes(50, "server_version"));
  e.server_version = std::string(ver.substr(0, ver.find('\0')));
  TM_ASSIGN_OR_RETURN(e.create_timestamp, r.UintLE(4, "create_timestamp"));
  TM_ASSIGN_OR_RETURN(e.header_length, r.U8("header_length"));
  if (e.header_length != kEventHeaderLength) {
    return r.Malformed(fmt::format("header_length {} (only 19 is supported)", e.header_length));
  }
  std::string_view rest = r.Rest();
  if (VersionHasChecksumAlg(e.server_version)) {
    if (rest.size() < 1) return r.Truncated("checksum_alg");
    e.checksum_alg = static_cast<uint8_t>(rest.back());
    e.post_header_lengths = std::string(rest.substr(0, rest.size() - 1));
  } else {
    e.post_header_lengths = std::string(rest);
  }
  return e;
}

absl::StatusOr<QueryEvent> ParseQuery(ByteReader& r) {
  QueryEvent e;
  TM_ASSIGN_OR_RETURN(e.thread_id, r.UintLE(4, "thread_id"));
  TM_ASSIGN_OR_RETURN(e.exec_time, r.UintLE(4, "exec_time"));
  TM_ASSIGN_OR_RETURN(uint8_t db_len, r.U8("db_len"));
  TM_ASSIGN_OR_RETURN(e.error_code, r.UintLE(2, "error_code"));
  TM_ASSIGN_OR_RETURN(uint64_t vars_len, r.UintLE(2, "status_vars_len"));
  TM_ASSIGN_OR_RETURN(e.status_vars, r.Bytes(vars_len, "status_vars"));
  TM_ASSIGN_OR_RETURN(std::string_view db, r.Bytes(db_len, "db"));
  e.schema = std::string(db);
  TM_RETURN_IF_ERROR(r.Skip(1, "db NUL"));
  e.query = std::string(r.Rest());
  return e;
}

absl::StatusOr<MariaGtidEvent> ParseMariaGtid(ByteReader& r) {
  MariaGtidEvent e;
  TM_ASSIGN_OR_RETURN(e.seq_no, r.UintLE(8, "seq_no"));
  TM_ASSIGN_OR_RETURN(e.domain_id, r.UintLE(4, "domain_id"));
  TM_ASSIGN_OR_RETURN(e.flags2, r.U8("flags2"));
  if (e.flags2 & MariaGtidEvent::FL_GROUP_COMMIT_ID) {
    TM_ASSIGN_OR_RETURN(e.commit_id, r.UintLE(8, "commit_id"));
  }
  r.Rest();  // XA xid and padding: not needed for capture
  return e;
}

absl::StatusOr<MariaGtidListEvent> ParseGtidList(ByteReader& r) {
  MariaGtidListEvent e;
  TM_ASSIGN_OR_RETURN(uint64_t word, r.UintLE(4, "gtid_list count"));
  e.flags = static_cast<uint32_t>(word >> 28);
  uint64_t count = word & 0x0FFFFFFF;
  if (count * 16 > r.remaining()) return r.Truncated(fmt::format("gtid_list of {} entries", count));
  for (uint64_t i = 0; i < count; ++i) {
    MariaGtid g;
    TM_ASSIGN_OR_RETURN(g.domain_id, r.UintLE(4, "gtid domain_id"));
    TM_ASSIGN_OR_RETURN(g.server_id, r.UintLE(4, "gtid server_id"));
    TM_ASSIGN_OR_RETURN(g.seq_no, r.UintLE(8, "gtid seq_no"));
    e.list.push_back(g);
  }
  return e;
}

absl::StatusOr<RowsEvent> ParseRows(ByteReader& r, uint8_t type, uint8_t post_header_len) {
  RowsEvent e;
  e.type_code = type;
  TM_ASSIGN_OR_RETURN(e.table_id, r.UintLE(post_header_len == 6 ? 4 : 6, "table_id"));
  TM_ASSIGN_OR_RETURN(e.flags, r.UintLE(2, "rows flags"));
  bool v2 = type == WRITE_ROWS_EVENT || type == UPDATE_ROWS_EVENT || type == DELETE_ROWS_EVENT ||
            type == PARTIAL_UPDATE_ROWS_EVENT;
  if (v2) {
    TM_ASSIGN_OR_RETURN(uint64_t extra_len, r.UintLE(2, "extra_data_len"));
    if (extra_len < 2) return r.Malformed(fmt::format("extra_data_len {} < 2", extra_len));
    TM_ASSIGN_OR_RETURN(e.extra_data, r.Bytes(extra_len - 2, "extra_data"));
  }
  TM_ASSIGN_OR_RETURN(e.column_count, ReadPacked(r, "column_count"));
  if (e.column_count > 4096) {
    return r.Malformed(fmt::format("column_count {} exceeds 4096", e.column_count));
  }
  TM_ASSIGN_OR_RETURN(e.columns_present, ReadBitmap(r, e.column_count, "columns_present"));
  if (type == UPDATE_ROWS_EVENT || type == UPDATE_ROWS_EVENT_V1 ||
      type == PARTIAL_UPDATE_ROWS_EVENT) {
    TM_ASSIGN_OR_RETURN(e.columns_present_after,
                        ReadBitmap(r, e.column_count, "columns_present_after"));
  }
  e.rows_offset = kEventHeaderLength + r.position();
  e.rows = r.Rest();
  return e;
}

}  // namespace

std::string_view EventTypeName(uint8_t type) {
  switch (type) {
#define TM_EVENT_NAME(x) \
  case x:                \
    return #x;
    TM_EVENT_NAME(START_EVENT_V3) TM_EVENT_NAME(QUERY_EVENT) TM_EVENT_NAME(STOP_EVENT)
    TM_EVENT_NAME(ROTATE_EVENT) TM_EVENT_NAME(INTVAR_EVENT) TM_EVENT_NAME(RAND_EVENT)
    TM_EVENT_NAME(USER_VAR_EVENT) TM_EVENT_NAME(FORMAT_DESCRIPTION_EVENT)
    TM_EVENT_NAME(XID_EVENT) TM_EVENT_NAME(TABLE_MAP_EVENT) TM_EVENT_NAME(WRITE_ROWS_EVENT_V1)
    TM_EVENT_NAME(UPDATE_ROWS_EVENT_V1) TM_EVENT_NAME(DELETE_ROWS_EVENT_V1)
    TM_EVENT_NAME(INCIDENT_EVENT) TM_EVENT_NAME(HEARTBEAT_LOG_EVENT)
    TM_EVENT_NAME(IGNORABLE_LOG_EVENT) TM_EVENT_NAME(ROWS_QUERY_LOG_EVENT)
    TM_EVENT_NAME(WRITE_ROWS_EVENT) TM_EVENT_NAME(UPDATE_ROWS_EVENT)
    TM_EVENT_NAME(DELETE_ROWS_EVENT) TM_EVENT_NAME(GTID_LOG_EVENT)
    TM_EVENT_NAME(ANONYMOUS_GTID_LOG_EVENT) TM_EVENT_NAME(PREVIOUS_GTIDS_LOG_EVENT)
    TM_EVENT_NAME(TRANSACTION_CONTEXT_EVENT) TM_EVENT_NAME(VIEW_CHANGE_EVENT)
    TM_EVENT_NAME(XA_PREPARE_LOG_EVENT) TM_EVENT_NAME(PARTIAL_UPDATE_ROWS_EVENT)
    TM_EVENT_NAME(TRANSACTION_PAYLOAD_EVENT) TM_EVENT_NAME(HEARTBEAT_LOG_EVENT_V2)
    TM_EVENT_NAME(ANNOTATE_ROWS_EVENT) TM_EVENT_NAME(BINLOG_CHECKPOINT_EVENT)
    TM_EVENT_NAME(GTID_EVENT) TM_EVENT_NAME(GTID_LIST_EVENT) TM_EVENT_NAME(START_ENCRYPTION_EVENT)
#undef TM_EVENT_NAME
    default: {
      static const auto* kNumbers = [] {
        auto* names = new std::array<std::string, 256>;
        for (int i = 0; i < 256; ++i) (*names)[i] = fmt::format("event type {}", i);
        return names;
      }();
      return (*kNumbers)[type];
    }
  }
}

absl::StatusOr<uint64_t> ReadPacked(ByteReader& r, std::string_view what) {
  TM_ASSIGN_OR_RETURN(uint8_t first, r.U8(what));
  if (first < 0xfb) return first;
  if (first == 0xfc) return r.UintLE(2, what);
  if (first == 0xfd) return r.UintLE(3, what);
  if (first == 0xfe) return r.UintLE(8, what);
  return r.Malformed(fmt::format("invalid packed integer prefix 0x{:02x} for {}", first, what));
}

absl::StatusOr<std::vector<bool>> ReadBitmap(ByteReader& r, size_t bits, std::string_view what) {
  TM_ASSIGN_OR_RETURN(std::string_view bytes, r.Bytes((bits + 7) / 8, what));
  std::vector<bool> out(bits);
  for (size_t i = 0; i < bits; ++i) out[i] = (static_cast<uint8_t>(bytes[i / 8]) >> (i % 8)) & 1;
  return out;
}

absl::StatusOr<EventHeader> ParseEventHeader(std::string_view data, std::string_view where) {
  auto le = [&](size_t off, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(data[off + i])) << (8 * i);
    return v;
  };
  if (data.size() >= kEventHeaderLength) {  // the hot path formats nothing
    EventHeader h;
    h.timestamp = static_cast<uint32_t>(le(0, 4));
    h.type_code = static_cast<uint8_t>(data[4]);
    h.server_id = static_cast<uint32_t>(le(5, 4));
    h.event_length = static_cast<uint32_t>(le(9, 4));
    h.log_pos = static_cast<uint32_t>(le(13, 4));
    h.flags = static_cast<uint16_t>(le(17, 2));
    return h;
  }
  std::string ctx = fmt::format("binlog event at {}", where);
  ByteReader r(data, ctx);
  EventHeader h;
  TM_ASSIGN_OR_RETURN(h.timestamp, r.UintLE(4, "timestamp"));
  TM_ASSIGN_OR_RETURN(h.type_code, r.U8("type_code"));
  TM_ASSIGN_OR_RETURN(h.server_id, r.UintLE(4, "server_id"));
  TM_ASSIGN_OR_RETURN(h.event_length, r.UintLE(4, "event_length"));
  TM_ASSIGN_OR_RETURN(h.log_pos, r.UintLE(4, "log_pos"));
  TM_ASSIGN_OR_RETURN(h.flags, r.UintLE(2, "flags"));
  return h;
}

uint8_t BinlogParser::PostHeaderLength(uint8_t type, uint8_t fallback) const {
  if (has_format_ && type >= 1 && type <= format_.post_header_lengths.size()) {
    return static_cast<uint8_t>(format_.post_header_lengths[type - 1]);
  }
  return fallback;
}

absl::StatusOr<TableMapRef> BinlogParser::TableMap(std::string_view body, std::string_view ctx) {
  const uint8_t post_header_len = PostHeaderLength(TABLE_MAP_EVENT, 8);
  // The table id leads the body (ParseTableMap reads it again, and reports a short body).
  ByteReader id_reader(body, ctx);
  if (absl::StatusOr<uint64_t> id = id_reader.UintLE(post_header_len == 6 ? 4 : 6, "table_id");
      id.ok()) {
    if (auto it = table_maps_.find(*id); it != table_maps_.end() && it->second.body == body) {
      return TableMapRef{it->second.map};
    }
  }
  ByteReader r(body, ctx);
  TM_ASSIGN_OR_RETURN(TableMapEvent parsed, ParseTableMap(r, post_header_len));
  auto map = std::make_shared<const TableMapEvent>(std::move(parsed));
  // Table ids are not reused within a server's run, but a long stream meets many (each
  // DDL or table cache reopen gives a new one): forget them all now and then.
  constexpr size_t kMaxMemoized = 4096;
  if (table_maps_.size() >= kMaxMemoized) table_maps_.clear();
  table_maps_[map->table_id] = MemoTableMap{std::string(body), map};
  return TableMapRef{std::move(map)};
}

absl::StatusOr<BinlogEvent> BinlogParser::Parse(std::string_view data, std::string_view where,
                                                std::optional<uint32_t> crc32_of_data) {
  return ParseImpl(data, where, crc32_of_data, true);
}

absl::StatusOr<BinlogEvent> BinlogParser::ParseWithoutChecksum(std::string_view data,
                                                               std::string_view where) {
  return ParseImpl(data, where, std::nullopt, false);
}

absl::StatusOr<BinlogEvent> BinlogParser::ParseImpl(std::string_view data, std::string_view where,
                                                    std::optional<uint32_t> crc32_of_data,
                                                    bool use_checksum) {
  TM_ASSIGN_OR_RETURN(EventHeader h, ParseEventHeader(data, where));
  // Error context, formatted into a stack buffer: this runs for every event.
  ContextBuf ctx_buf;
  ctx_buf << EventTypeName(h.type_code) << " at " << where;
  std::string_view ctx = ctx_buf.view();
  if (h.event_length != data.size()) {
    return absl::DataLossError(fmt::format("{}: event_length {} but {} bytes received", ctx,
                                           h.event_length, data.size()));
  }
  // Which checksum applies: a FORMAT_DESCRIPTION names its own.
  uint8_t alg = checksum_alg_;
  std::optional<FormatDescriptionEvent> fde;
  std::string_view body = data.substr(kEventHeaderLength);
  if (h.type_code == FORMAT_DESCRIPTION_EVENT) {
    ByteReader fr(body, ctx);
    TM_ASSIGN_OR_RETURN(FormatDescriptionEvent f, ParseFormatDescription(fr));
    alg = f.checksum_alg;
    // With an alg byte, the last 4 bytes are the checksum field (zeros when OFF).
    if (VersionHasChecksumAlg(f.server_version)) {
      if (f.post_header_lengths.size() < 4) return fr.Truncated("format description checksum");
      f.post_header_lengths.resize(f.post_header_lengths.size() - 4);
      f.checksum_alg = static_cast<uint8_t>(body[body.size() - 5]);
      alg = f.checksum_alg;
      if (alg == BINLOG_CHECKSUM_ALG_OFF) body.remove_suffix(4);
    }
    fde = std::move(f);
  }
  if (use_checksum && alg == BINLOG_CHECKSUM_ALG_CRC32) {
    if (body.size() < 4) {
      return absl::DataLossError(fmt::format("{}: truncated checksum at byte {} of {}", ctx,
                                             data.size(), data.size()));
    }
    uint32_t want = 0;
    for (int i = 0; i < 4; ++i) {
      want |= static_cast<uint32_t>(static_cast<uint8_t>(data[data.size() - 4 + i])) << (8 * i);
    }
    uint32_t got = crc32_of_data ? *crc32_of_data : BinlogCrc32(data.data(), data.size() - 4);
    if (want != got) {
      return absl::DataLossError(fmt::format(
          "{}: CRC32 mismatch (event says {:08x}, bytes give {:08x}) over {} bytes", ctx, want,
          got, data.size() - 4));
    }
    body.remove_suffix(4);
  } else if (use_checksum && alg != BINLOG_CHECKSUM_ALG_OFF) {
    return absl::DataLossError(fmt::format("{}: unknown checksum algorithm {}", ctx, alg));
  }

  BinlogEvent ev;
  ev.header = h;
  ByteReader r(body, ctx);
  switch (h.type_code) {
    case FORMAT_DESCRIPTION_EVENT:
      format_ = *fde;
      has_format_ = true;
      checksum_alg_ = format_.checksum_alg;
      table_maps_.clear();  // a new binlog file: its TABLE_MAPs are parsed afresh
      ev.body = std::move(*fde);
      break;
    case ROTATE_EVENT: {
      RotateEvent e;
      TM_ASSIGN_OR_RETURN(e.position, r.UintLE(8, "position"));
      e.next_file = std::string(r.Rest());
      ev.body = std::move(e);
      break;
    }
    case STOP_EVENT:
      ev.body = StopEvent{};
      break;
    case QUERY_EVENT: {
      TM_ASSIGN_OR_RETURN(ev.body, ParseQuery(r));
      break;
    }
    case XID_EVENT: {
      XidEvent e;
      TM_ASSIGN_OR_RETURN(e.xid, r.UintLE(8, "xid"));
      ev.body = e;
      break;
    }
    case GTID_EVENT: {
      TM_ASSIGN_OR_RETURN(ev.body, ParseMariaGtid(r));
      break;
    }
    case GTID_LIST_EVENT: {
      TM_ASSIGN_OR_RETURN(ev.body, ParseGtidList(r));
      break;
    }
    case BINLOG_CHECKPOINT_EVENT: {
      BinlogCheckpointEvent e;
      TM_ASSIGN_OR_RETURN(uint64_t len, r.UintLE(4, "binlog_file_len"));
      TM_ASSIGN_OR_RETURN(std::string_view f, r.Bytes(len, "binlog_file_name"));
      e.binlog_file_name = std::string(f);
      ev.body = std::move(e);
      break;
    }
    case ANNOTATE_ROWS_EVENT:
      ev.body = RowsQueryEvent{std::string(r.Rest())};
      break;
    case ROWS_QUERY_LOG_EVENT: {
      TM_RETURN_IF_ERROR(r.Skip(1, "length"));  // 1-byte length, ignored by the server too
      ev.body = RowsQueryEvent{std::string(r.Rest())};
      break;
    }
    case GTID_LOG_EVENT:
    case ANONYMOUS_GTID_LOG_EVENT: {
      TM_ASSIGN_OR_RETURN(ev.body, ParseMysqlGtid(r, h.type_code == ANONYMOUS_GTID_LOG_EVENT));
      break;
    }
    case PREVIOUS_GTIDS_LOG_EVENT: {
      TM_ASSIGN_OR_RETURN(ev.body, ParsePreviousGtids(r));
      break;
    }
    case TABLE_MAP_EVENT: {
      TM_ASSIGN_OR_RETURN(ev.body, TableMap(body, ctx));
      break;
    }
    case WRITE_ROWS_EVENT_V1:
    case UPDATE_ROWS_EVENT_V1:
    case DELETE_ROWS_EVENT_V1:
    case WRITE_ROWS_EVENT:
    case UPDATE_ROWS_EVENT:
    case DELETE_ROWS_EVENT:
    case PARTIAL_UPDATE_ROWS_EVENT: {
      TM_ASSIGN_OR_RETURN(ev.body, ParseRows(r, h.type_code, PostHeaderLength(h.type_code, 8)));
      break;
    }
    case HEARTBEAT_LOG_EVENT:
      ev.body = HeartbeatEvent{std::string(r.Rest())};
      break;
    case TRANSACTION_PAYLOAD_EVENT: {
      TM_ASSIGN_OR_RETURN(ev.body, ParseTransactionPayload(r));
      break;
    }
    // Known events with no bearing on row capture (statement-based context, XA
    // prepare, group replication, incident markers are refused by the decoder).
    case INTVAR_EVENT:
    case RAND_EVENT:
    case USER_VAR_EVENT:
    case IGNORABLE_LOG_EVENT:
    case TRANSACTION_CONTEXT_EVENT:
    case VIEW_CHANGE_EVENT:
    case HEARTBEAT_LOG_EVENT_V2:
    case XA_PREPARE_LOG_EVENT:
    case INCIDENT_EVENT:
    case START_ENCRYPTION_EVENT:
      ev.body = SkippedEvent{};
      break;
    default:
      if (h.flags & LOG_EVENT_IGNORABLE_F) {
        ev.body = SkippedEvent{};
        break;
      }
      return absl::DataLossError(fmt::format(
          "{}: unknown binlog event type {} without the ignorable flag (flags 0x{:04x}); this "
          "server version writes events tidemark does not understand",
          ctx, h.type_code, h.flags));
  }
  return ev;
}

absl::StatusOr<MysqlGtidEvent> ParseMysqlGtid(ByteReader& r, bool anonymous) {
  MysqlGtidEvent e;
  e.anonymous = anonymous;
  TM_ASSIGN_OR_RETURN(e.gtid_flags, r.U8("gtid flags"));
  TM_ASSIGN_OR_RETURN(std::string_view sid, r.Bytes(16, "sid"));
  std::copy(sid.begin(), sid.end(), reinterpret_cast<char*>(e.sid.data()));
  TM_ASSIGN_OR_RETURN(uint64_t gno, r.UintLE(8, "gno"));
  e.gno = static_cast<int64_t>(gno);
  if (r.empty()) return e;
  TM_ASSIGN_OR_RETURN(uint8_t lt_type, r.U8("lt_type"));
  if (lt_type != 2) return r.Malformed(fmt::format("logical timestamp type {} (want 2)", lt_type));
  TM_ASSIGN_OR_RETURN(e.last_committed, r.UintLE(8, "last_committed"));
  TM_ASSIGN_OR_RETURN(e.sequence_number, r.UintLE(8, "sequence_number"));
  if (r.empty()) return e;
  TM_ASSIGN_OR_RETURN(uint64_t imm, r.UintLE(7, "immediate_commit_timestamp"));
  constexpr uint64_t kHighBit = 1ULL << 55;
  e.immediate_commit_timestamp = imm & ~kHighBit;
  e.original_commit_timestamp = e.immediate_commit_timestamp;
  if (imm & kHighBit) {
    TM_ASSIGN_OR_RETURN(e.original_commit_timestamp, r.UintLE(7, "original_commit_timestamp"));
  }
  if (r.empty()) return e;
  TM_ASSIGN_OR_RETURN(e.transaction_length, ReadPacked(r, "transaction_length"));
  r.Rest();  // server versions, commit group ticket: not needed
  return e;
}

absl::StatusOr<PreviousGtidsEvent> ParsePreviousGtids(ByteReader& r) {
  PreviousGtidsEvent e;
  TM_ASSIGN_OR_RETURN(uint64_t n, r.UintLE(8, "n_sids"));
  if (n > r.remaining() / 24) return r.Truncated(fmt::format("{} sids", n));
  for (uint64_t i = 0; i < n; ++i) {
    PreviousGtidsEvent::Sid s;
    TM_ASSIGN_OR_RETURN(std::string_view sid, r.Bytes(16, "sid"));
    std::copy(sid.begin(), sid.end(), reinterpret_cast<char*>(s.sid.data()));
    TM_ASSIGN_OR_RETURN(uint64_t k, r.UintLE(8, "n_intervals"));
    if (k > r.remaining() / 16) return r.Truncated(fmt::format("{} intervals", k));
    for (uint64_t j = 0; j < k; ++j) {
      GtidInterval iv;
      TM_ASSIGN_OR_RETURN(uint64_t a, r.UintLE(8, "interval start"));
      TM_ASSIGN_OR_RETURN(uint64_t b, r.UintLE(8, "interval end"));
      iv.start = static_cast<int64_t>(a);
      iv.end = static_cast<int64_t>(b);
      s.intervals.push_back(iv);
    }
    e.sids.push_back(std::move(s));
  }
  return e;
}

}  // namespace tidemark::mysql
