// MySQL 8 TRANSACTION_PAYLOAD_EVENT (binlog_transaction_compression=ON), from
// libbinlogevents/src/compression/payload_event.cpp (Transaction_payload_event::read):
//   { field_type:packed [length:packed value:length] }*  until field_type 0 (END_MARK,
//   no length), then the compressed payload (rest of the event).
//   field types: 1 PAYLOAD_SIZE (packed), 2 COMPRESSION_TYPE (packed: 0 ZSTD, 255 NONE),
//   3 UNCOMPRESSED_SIZE (packed). The payload decompresses to complete events without
//   checksums (GTID excluded: it precedes the payload event).
#include <fmt/format.h>
#include <zstd.h>

#include "capture/mysql/binlog_parser.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark::mysql {

namespace {
constexpr uint64_t kMaxUncompressed = 1ULL << 32;  // 4 GiB: refuse bigger claims
}

absl::StatusOr<TransactionPayloadEvent> ParseTransactionPayload(ByteReader& r) {
  TransactionPayloadEvent e;
  e.compression_type = 255;
  bool saw_end = false;
  while (!r.empty()) {
    TM_ASSIGN_OR_RETURN(uint64_t type, ReadPacked(r, "payload field type"));
    if (type == 0) {
      saw_end = true;
      break;
    }
    TM_ASSIGN_OR_RETURN(uint64_t len, ReadPacked(r, "payload field length"));
    TM_ASSIGN_OR_RETURN(std::string_view v, r.Bytes(len, "payload field value"));
    ByteReader fr(v, "TRANSACTION_PAYLOAD field");
    switch (type) {
      case 1: {
        TM_ASSIGN_OR_RETURN(e.payload_size, ReadPacked(fr, "payload_size"));
        break;
      }
      case 2: {
        TM_ASSIGN_OR_RETURN(e.compression_type, ReadPacked(fr, "compression_type"));
        break;
      }
      case 3: {
        TM_ASSIGN_OR_RETURN(e.uncompressed_size, ReadPacked(fr, "uncompressed_size"));
        break;
      }
      default:
        break;  // unknown fields carry their length and are skipped (forward compatible)
    }
  }
  if (!saw_end) return r.Truncated("payload header end mark");
  size_t at = r.position();
  std::string_view payload = r.Rest();
  if (e.payload_size != payload.size()) {
    return r.Malformed(fmt::format("payload_size {} but {} payload bytes at byte {}",
                                   e.payload_size, payload.size(), at));
  }
  if (e.uncompressed_size > kMaxUncompressed) {
    return r.Malformed(fmt::format("uncompressed_size {} exceeds 4 GiB", e.uncompressed_size));
  }
  if (e.compression_type == 255) {
    e.payload = std::string(payload);
  } else if (e.compression_type == 0) {
    e.payload.resize(e.uncompressed_size);
    size_t got = ZSTD_decompress(e.payload.data(), e.payload.size(), payload.data(),
                                 payload.size());
    if (ZSTD_isError(got)) {
      return r.Malformed(fmt::format("zstd payload of {} bytes: {}", payload.size(),
                                     ZSTD_getErrorName(got)));
    }
    if (got != e.uncompressed_size) {
      return r.Malformed(fmt::format("zstd payload gave {} bytes, header says {}", got,
                                     e.uncompressed_size));
    }
  } else {
    return r.Malformed(fmt::format("unknown payload compression_type {}", e.compression_type));
  }
  if (e.uncompressed_size != e.payload.size()) {
    return r.Malformed(fmt::format("uncompressed_size {} but payload holds {} bytes",
                                   e.uncompressed_size, e.payload.size()));
  }
  return e;
}

}  // namespace tidemark::mysql
