// ReadPacer: how long PG capture keeps a full receive buffer unread while catching up
// over TCP, steered by the size of the segments that arrive.
//
// The walsender flushes its socket after every pgoutput message. When the receive
// window is open, each message leaves as a segment of its own (~100-200 bytes); while
// it is closed, messages gather in the walsender's socket buffer and leave as segments
// of up to the MSS (64 KiB on loopback) once it opens. Over loopback the sender also
// pays for the receiver's network path, so small segments cost the walsender about 40 %
// more CPU per change (bench/README.md, pg_to_pg.sh). Capture reads faster than the
// walsender writes, so left alone it keeps the window open.
//
// After each chunk the pacer looks at the segments received since it last judged
// (TCP_INFO: bytes and segments in). Smaller on average than a quarter of the MSS
// this side advertises (tcpi_advmss: 64 KiB on loopback, ~1,448 bytes on Ethernet):
// the window was open too long, hold the next read a step longer. Larger: the window
// was closed long enough, shorten the hold by half a step (so the hold settles where
// segments are just large: a longer hold only delays the backlog). The hold never
// exceeds `max_hold` (catchup_linger).
// Not thread-safe: one capture thread.
#ifndef TIDEMARK_CAPTURE_PG_READ_PACER_H_
#define TIDEMARK_CAPTURE_PG_READ_PACER_H_

#include <cstdint>

#include "absl/time/time.h"
#include "capture/pg/tcp_counters.h"

namespace tidemark::pg {

class ReadPacer {
 public:
  static constexpr absl::Duration kStep = absl::Microseconds(500);
  // A judgement needs this many segments or bytes since the last one.
  static constexpr uint32_t kMinSegments = 32;
  static constexpr uint64_t kMinBytes = 256 * 1024;

  explicit ReadPacer(absl::Duration max_hold) : max_hold_(max_hold) {}

  // How long to leave a full socket unread before the next chunk.
  absl::Duration hold() const { return hold_; }
  // The average segment size of the last judgement (0 before the first).
  uint64_t last_average() const { return last_average_; }

  // After a chunk: the socket's counters now.
  void Observe(const TcpReceiveCounters& now);

 private:
  absl::Duration max_hold_;
  absl::Duration hold_;
  bool started_ = false;
  TcpReceiveCounters last_;
  uint64_t last_average_ = 0;
};

}  // namespace tidemark::pg

#endif  // TIDEMARK_CAPTURE_PG_READ_PACER_H_
