// Binlog dump connection (layer 3): registers as a replica with libmariadb, sends
// COM_BINLOG_DUMP through mariadb_rpl_open (file:pos, or MariaDB GTID via
// @slave_connect_state) or, for a MySQL uuid:interval GTID set, COM_BINLOG_DUMP_GTID
// itself (EncodeBinlogDumpGtid, gtid_set.h; libmariadb has no API for it), and reads raw event packets with mysql_net_read_packet on a
// reader thread so that Read() can wait with a deadline. Events are handed out raw
// (header..checksum); parsing is the decoder's job.
//
// Session setup before the dump: @master_binlog_checksum = @@global.binlog_checksum
// (events keep their CRC32, which the parser verifies), @mariadb_slave_capability = 4
// (MariaDB sends GTID events as such), @master_heartbeat_period (an idle server sends
// HEARTBEAT events, so a dead connection is noticed by the read timeout).
// Thread safety: Read/Close from one thread; the reader thread is internal.
#ifndef TIDEMARK_CAPTURE_MYSQL_BINLOG_STREAM_H_
#define TIDEMARK_CAPTURE_MYSQL_BINLOG_STREAM_H_

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/libmariadb.h"

namespace tidemark::mysql {

// One event as received (header..checksum), with zlib crc32 of bytes[0, size - 4)
// computed on the reader thread (nullopt for events shorter than a header + 4), so
// that the capture thread's parser only compares it (BinlogParser::Parse).
struct RawEvent {
  std::string bytes;
  std::optional<uint32_t> crc32;
};

struct DumpStart {
  std::string file;      // empty with gtid: GTID dump
  uint64_t pos = 4;
  std::string gtid;      // MariaDB slave_connect_state (used when file is empty)
  bool mysql_gtid = false;  // `gtid` is a MySQL uuid:interval set: COM_BINLOG_DUMP_GTID
};

class BinlogStream {
 public:
  // Takes the connection. Errors: kOutOfRange when the server no longer has the
  // start (purged), with the file/GTID and "a snapshot is needed"; kUnavailable for
  // connection trouble; kFailedPrecondition for missing privileges.
  static absl::StatusOr<std::unique_ptr<BinlogStream>> Open(std::unique_ptr<MysqlConn> conn,
                                                            const DumpStart& start,
                                                            uint32_t server_id,
                                                            absl::Duration heartbeat);
  ~BinlogStream();

  // The next raw event, or nullopt when none arrived within `wait`. A failed
  // connection is returned once as an error (kUnavailable / kOutOfRange).
  absl::StatusOr<std::optional<RawEvent>> Read(absl::Duration wait);
  // Every event queued now (waiting up to `wait` for the first), appended to `out` in
  // order: one lock per batch instead of one per event. OK with nothing appended on
  // timeout; a failed connection is an error once the queue is drained.
  absl::Status ReadBatch(absl::Duration wait, std::deque<RawEvent>* out);
  // Total event bytes received.
  uint64_t bytes() const { return bytes_; }
  void Close();

 private:
  BinlogStream(std::unique_ptr<MysqlConn> conn, DumpStart start)
      : conn_(std::move(conn)), start_(std::move(start)) {}
  void ReaderLoop();

  std::unique_ptr<MysqlConn> conn_;
  DumpStart start_;
  void* rpl_ = nullptr;  // MARIADB_RPL*
  std::thread reader_;
  absl::Mutex mu_;
  std::deque<RawEvent> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t bytes_ = 0;
};

}  // namespace tidemark::mysql

#endif  // TIDEMARK_CAPTURE_MYSQL_BINLOG_STREAM_H_
