// The PostgreSQL streaming-replication connection (layer 3 of DESIGN.md §2): the
// CopyBoth stream after START_REPLICATION, its XLogData/keepalive framing and the
// standby status updates. Knows nothing about pgoutput's message contents.
// Protocol: https://www.postgresql.org/docs/15/protocol-replication.html
//   XLogData         'w' Int64 walStart, Int64 walEnd, Int64 sendTime, Byte[n] data
//   Keepalive        'k' Int64 walEnd, Int64 sendTime, Byte1 replyRequested
//   Status update    'r' Int64 write, Int64 flush, Int64 apply, Int64 sendTime, Byte1 reply
// Not thread-safe: owned by the capture thread.
#ifndef TIDEMARK_CAPTURE_PG_REPLICATION_STREAM_H_
#define TIDEMARK_CAPTURE_PG_REPLICATION_STREAM_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "capture/pg/tcp_counters.h"
#include "common/libpq.h"

namespace tidemark::pg {

struct StreamMessage {
  enum Kind { kNone, kXLogData, kKeepalive } kind = kNone;
  uint64_t wal_start = 0;  // XLogData
  uint64_t wal_end = 0;
  bool reply_requested = false;  // keepalive
  std::string_view data;         // XLogData payload; valid until the next Read()
};

// Parses one CopyData payload of the replication stream. Pure.
absl::StatusOr<StreamMessage> ParseCopyData(std::string_view bytes);

class ReplicationStream {
 public:
  // `conn` must be a replication=database connection.
  explicit ReplicationStream(std::unique_ptr<PgConn> conn) : conn_(std::move(conn)) {}
  ~ReplicationStream();

  // START_REPLICATION SLOT slot LOGICAL start (options...).
  absl::Status Start(const std::string& slot, uint64_t start_lsn,
                     const std::vector<std::pair<std::string, std::string>>& plugin_options);

  // Next message, waiting up to `max_wait` (kNone on timeout). kUnavailable when the
  // server ends the stream or the connection breaks.
  absl::StatusOr<StreamMessage> Read(absl::Duration max_wait);

  // Sends a standby status update.
  absl::Status SendStatus(uint64_t write_lsn, uint64_t flush_lsn, uint64_t apply_lsn);

  // The socket's receive low-water mark (SO_RCVLOWAT): Read's wait for data then ends
  // only once `bytes` are buffered in the kernel or its time is up, so the kernel does
  // not wake the capture thread for every small message the walsender sends. 1 (the
  // default) wakes on any byte. Read with no time to wait still takes whatever is
  // there. A failure to set it is not an error: it only costs wake-ups. (The poll of a
  // Unix-domain socket ignores it: there capture still wakes per message. Emulating it
  // by looking at FIONREAD every millisecond was tried and made a PG->PG catch-up 2.3x
  // slower: the walsender blocks on the socket's buffer before 64 KiB are in.)
  void SetReceiveLowWater(int bytes);

  // Waits until the socket is readable under the low-water mark (or the kernel's other
  // wake-ups, e.g. a closed receive window) or `max_wait` has passed, whatever libpq
  // has buffered already. Messages are then taken with Read.
  absl::Status WaitReadable(absl::Duration max_wait);

  // Fixes the socket's receive buffer (SO_RCVBUF; the kernel doubles it for its own
  // bookkeeping and stops tuning it). Returns false if the kernel refused.
  bool SetReceiveBuffer(int bytes);

  // True when the connection is TCP (not a Unix-domain socket).
  bool IsTcp() const;

  // The socket's receive counters (tcp_counters.h); nullopt when not TCP.
  std::optional<TcpReceiveCounters> ReceiveCounters() const;

 private:
  std::unique_ptr<PgConn> conn_;
  int low_water_ = 1;
  char* buffer_ = nullptr;  // last PQgetCopyData buffer, freed on the next Read
};

}  // namespace tidemark::pg

#endif  // TIDEMARK_CAPTURE_PG_REPLICATION_STREAM_H_
