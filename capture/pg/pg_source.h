// PostgreSQL Source (layer 3): sets up the publication and slot, streams pgoutput
// v1 over a replication connection, decodes with PgDecoder, answers keepalives and
// reports the flush LSN the journal holds durably.
//
// Session settings: both connections run with DateStyle=ISO, IntervalStyle=iso_8601,
// TimeZone=UTC, extra_float_digits=3, bytea_output=hex, lc_monetary=C, so the text
// form pgoutput sends for each value is one canonical, locale-free spelling that the
// decoder parses exactly (pgoutput calls the type output functions in the
// walsender's session).
//
// Flush LSN: the end LSN of the newest commit the journal holds durably; while
// nothing is in flight (every received commit is durable and no transaction is
// open) it also advances to the server's keepalive walEnd, so an idle pipeline never
// pins WAL that other databases or unpublished tables generate.
//
// Not thread-safe: every method is called from the capture thread.
#ifndef TIDEMARK_CAPTURE_PG_PG_SOURCE_H_
#define TIDEMARK_CAPTURE_PG_PG_SOURCE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "capture/pg/decoder.h"
#include "capture/pg/read_pacer.h"
#include "capture/pg/replication_stream.h"
#include "capture/pg/type_catalog.h"
#include "capture/source.h"
#include "common/libpq.h"
#include "schema/registry.h"

namespace tidemark::pg {

struct PgSourceOptions {
  std::string dsn;
  std::string password;
  std::string slot;
  std::string publication;
  std::vector<std::string> tables;  // "schema.table"
  bool create_slot = true;
  bool create_publication = true;
  absl::Duration status_interval = absl::Seconds(1);
  size_t chunk_events = 2048;
  // While catching up (the newest commit received is older than `catchup_lag` and the
  // previous chunk found data), capture lets data gather before it reads, for at most
  // `catchup_linger`, so that a backlog moves in large chunks with one hand-off (and one
  // kernel wake-up) each rather than one per message. Live traffic (recent commits) is
  // read as it arrives. A zero linger turns catching up off.
  //  - Over TCP, with `receive_buffer` > 0: a chunk waits until the socket holds
  //    `receive_buffer` bytes or the receive window has closed (SO_RCVLOWAT), then takes
  //    what the socket holds. While the window is closed, the walsender's small writes
  //    collect in its own socket buffer and leave in large segments. With the window
  //    open it sent one segment per pgoutput message, and over loopback each segment
  //    costs the sender the receiver's whole network path: the walsender then took
  //    1.7-1.9x the CPU it takes for a subscription (bench/README.md, pg_to_pg.sh).
  //    Since capture reads faster than the walsender writes, a ReadPacer
  //    (read_pacer.h) also holds a full buffer unread a little longer while the
  //    segments that arrive are small, up to `catchup_linger`.
  //  - Otherwise (a Unix-domain socket, whose poll ignores low-water marks, or
  //    `receive_buffer` 0): a chunk keeps reading for `catchup_linger` after its first
  //    message, under a low-water mark of `catchup_low_water` bytes.
  absl::Duration catchup_linger = absl::Milliseconds(20);
  absl::Duration catchup_lag = absl::Seconds(1);
  int catchup_low_water = 64 * 1024;
  // SO_RCVBUF of a TCP replication connection (the kernel doubles it for bookkeeping
  // and no longer tunes it). It bounds the data in flight: over a link with a long round
  // trip, throughput is at most about this / the round trip. 0 leaves it to the kernel.
  int receive_buffer = 512 * 1024;
};

// The libpq `options` value that sets the session settings above.
extern const char kSessionOptions[];

class PgSource : public Source {
 public:
  // `schemas` must outlive the source.
  PgSource(PgSourceOptions options, SchemaRegistry* schemas);
  ~PgSource() override;

  absl::StatusOr<std::vector<Prerequisite>> Check() override;
  absl::StatusOr<std::vector<v1::TableSchema>> DescribeTables() override;
  absl::Status Start(const v1::SourcePosition& from) override;
  absl::StatusOr<EventChunk> Next(absl::Duration max_wait) override;
  absl::Status Acknowledge(const v1::SourcePosition& pos) override;
  void Close() override;

 private:
  absl::Status EnsurePublication();
  absl::Status EnsureSlot();
  absl::Status ResolveTypes(std::string_view message);
  absl::Status HandleXLogData(const StreamMessage& m, EventChunk* chunk);
  absl::Status SendStatus();
  uint64_t FlushLsn() const;
  // Logs what a paced catch-up received (bytes, segments, the hold it ended with).
  void LogPacedCatchUp(absl::Time now);
  // True while the newest commit received is older than options_.catchup_lag.
  bool CatchingUp(absl::Time now) const;

  PgSourceOptions options_;
  SchemaRegistry* schemas_;
  std::unique_ptr<PgConn> sql_;
  std::unique_ptr<ReplicationStream> stream_;
  ReadPacer pacer_{absl::ZeroDuration()};  // the hold after a full buffer (fill_buffer_)
  // Where the current paced catch-up started (counters, time); logged when it ends.
  std::optional<TcpReceiveCounters> paced_from_;
  absl::Time paced_since_;
  bool fill_buffer_ = false;  // catching up waits for a full receive buffer (see options)
  TypeCatalog types_;
  std::unique_ptr<PgDecoder> decoder_;

  uint64_t resume_end_lsn_ = 0;     // skip transactions that committed before this
  bool skipping_txn_ = false;
  uint64_t received_lsn_ = 0;       // newest WAL position received
  uint64_t last_commit_end_ = 0;    // end LSN of the newest commit received
  uint64_t durable_end_ = 0;        // end LSN of the newest commit durable in the journal
  uint64_t idle_wal_end_ = 0;       // keepalive walEnd seen while no transaction was open
  int64_t last_commit_micros_ = 0;  // commit time of the newest commit received (Unix µs)
  bool last_chunk_empty_ = true;    // the last Next returned no entries
  absl::Time last_status_ = absl::InfinitePast();
};

}  // namespace tidemark::pg

#endif  // TIDEMARK_CAPTURE_PG_PG_SOURCE_H_
