#include "capture/mysql/binlog_stream.h"

#include <fmt/format.h>
#include <mariadb_rpl.h>
#include <pthread.h>
#include <sys/socket.h>

#include "capture/mysql/binlog_checksum.h"
#include "capture/mysql/gtid_set.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark::mysql {
namespace {
constexpr size_t kMaxQueuedBytes = 64 << 20;  // reader pauses above this (backpressure)
}

absl::StatusOr<std::unique_ptr<BinlogStream>> BinlogStream::Open(std::unique_ptr<MysqlConn> conn,
                                                                 const DumpStart& start,
                                                                 uint32_t server_id,
                                                                 absl::Duration heartbeat) {
  MysqlConn& c = *conn;
  TM_RETURN_IF_ERROR(c.Exec("SET @master_binlog_checksum = @@global.binlog_checksum",
                            "announcing binlog checksum support"));
  TM_RETURN_IF_ERROR(c.Exec("SET @mariadb_slave_capability = 4", "announcing GTID capability"));
  TM_RETURN_IF_ERROR(c.Exec(fmt::format("SET @master_heartbeat_period = {}",
                                        absl::ToInt64Nanoseconds(heartbeat)),
                            "setting the heartbeat period"));
  std::string where;
  if (start.mysql_gtid) {
    TM_ASSIGN_OR_RETURN(GtidSet set, GtidSet::Parse(start.gtid));
    std::string req = EncodeBinlogDumpGtid(server_id, "", 4, set);
    std::unique_ptr<BinlogStream> s(new BinlogStream(std::move(conn), start));
    MYSQL* m = s->conn_->raw();
    constexpr auto kComBinlogDumpGtid = static_cast<enum enum_server_command>(0x1e);
    if (m->methods->db_command(m, kComBinlogDumpGtid, req.data(), req.size(), 1, nullptr) != 0) {
      return MysqlStatus(m, fmt::format("starting the binlog dump at GTID set {}", start.gtid));
    }
    s->reader_ = std::thread([p = s.get()] { p->ReaderLoop(); });
    return s;
  }
  if (start.file.empty()) {
    TM_RETURN_IF_ERROR(c.Exec(fmt::format("SET @slave_connect_state = '{}'", c.Escape(start.gtid)),
                              "setting the GTID start state"));
    TM_RETURN_IF_ERROR(c.Exec("SET @slave_gtid_strict_mode = 1", "setting GTID strict mode"));
    TM_RETURN_IF_ERROR(c.Exec("SET @slave_gtid_ignore_duplicates = 0", "setting GTID duplicates"));
    where = fmt::format("GTID {}", start.gtid.empty() ? "(empty: oldest binlog)" : start.gtid);
  } else {
    where = fmt::format("{}:{}", start.file, start.pos);
  }
  std::unique_ptr<BinlogStream> s(new BinlogStream(std::move(conn), start));
  MARIADB_RPL* rpl = mariadb_rpl_init(s->conn_->raw());
  if (rpl == nullptr) return MysqlStatus(s->conn_->raw(), "mariadb_rpl_init");
  s->rpl_ = rpl;
  unsigned long pos = start.file.empty() ? 4 : start.pos;
  mariadb_rpl_optionsv(rpl, MARIADB_RPL_FILENAME, start.file.c_str(), start.file.size());
  mariadb_rpl_optionsv(rpl, MARIADB_RPL_START, pos);
  mariadb_rpl_optionsv(rpl, MARIADB_RPL_SERVER_ID, server_id);
  mariadb_rpl_optionsv(rpl, MARIADB_RPL_FLAGS, static_cast<unsigned int>(MARIADB_RPL_BINLOG_SEND_ANNOTATE_ROWS));
  if (mariadb_rpl_open(rpl) != 0) {
    absl::Status st = MysqlStatus(s->conn_->raw(), fmt::format("starting the binlog dump at {}", where));
    if (absl::IsOutOfRange(st)) {
      return absl::OutOfRangeError(fmt::format(
          "{}; the server no longer has the binlog tidemark needs ({}); it was purged or never "
          "existed: a snapshot is needed (re-create the pipeline's data_dir and start from a snapshot "
          "or with source.start: now)",
          st.message(), where));
    }
    return st;
  }
  s->reader_ = std::thread([p = s.get()] { p->ReaderLoop(); });
  return s;
}

BinlogStream::~BinlogStream() { Close(); }

void BinlogStream::Close() {
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
  }
  if (reader_.joinable()) {
    // Unblock the reader's recv: shut the socket down, then join.
    my_socket fd = mysql_get_socket(conn_->raw());
    if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
    reader_.join();
  }
  if (rpl_ != nullptr) {
    // mariadb_rpl_close would try to talk to the server; free only our handle.
    mariadb_rpl_close(static_cast<MARIADB_RPL*>(rpl_));
    rpl_ = nullptr;
  }
}

void BinlogStream::ReaderLoop() {
  pthread_setname_np(pthread_self(), "tm-binlog-read");  // names the thread in top/perf
  MYSQL* m = conn_->raw();
  for (;;) {
    {
      absl::MutexLock l(&mu_);
      auto can_go = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return stop_ || queued_bytes_ < kMaxQueuedBytes;
      };
      mu_.Await(absl::Condition(&can_go));
      if (stop_) break;
    }
    unsigned long len = mysql_net_read_packet(m);
    // An event packet (0x00 + header..checksum): its bytes are copied, and the CRC32 the
    // parser verifies is computed, here before taking the lock and off the capture
    // thread (the reader is the less loaded one).
    RawEvent ev;
    if (len != packet_error && len != static_cast<unsigned long>(-1) && len > 1 &&
        m->net.read_pos[0] == 0x00) {
      const unsigned char* data = m->net.read_pos + 1;
      ev.bytes.assign(reinterpret_cast<const char*>(data), len - 1);
      if (len - 1 >= 19 + 4) ev.crc32 = BinlogCrc32(data, len - 1 - 4);
    }
    absl::MutexLock l(&mu_);
    if (stop_) break;
    if (len == packet_error || len == static_cast<unsigned long>(-1) || len == 0) {
      absl::Status st = MysqlStatus(m, "reading the binlog stream");
      if (mysql_errno(m) == 0) st = absl::UnavailableError("reading the binlog stream: connection closed");
      if (absl::IsOutOfRange(st)) {
        st = absl::OutOfRangeError(fmt::format(
            "{} (start {}); the binlog tidemark needs is gone (purged or never existed): a "
            "snapshot is needed",
            st.message(),
            start_.file.empty() ? "GTID " + start_.gtid : fmt::format("{}:{}", start_.file, start_.pos)));
      } else if (absl::IsInternal(st)) {
        st = absl::UnavailableError(st.message());
      }
      error_ = st;
      done_ = true;
      return;
    }
    const unsigned char* p = m->net.read_pos;
    if (p[0] == 0xFE && len < 9) {
      error_ = absl::UnavailableError("the server ended the binlog dump (EOF packet)");
      done_ = true;
      return;
    }
    if (p[0] == 0xFF && len >= 3) {
      // ERR packet: 0xff errno:2 ['#' sqlstate:5] message
      unsigned err = p[1] | (p[2] << 8);
      size_t off = (len >= 9 && p[3] == '#') ? 9 : 3;
      std::string msg(reinterpret_cast<const char*>(p + off), len - off);
      std::string text = fmt::format("reading the binlog stream from {}: MySQL error {}: {}",
                                     start_.file.empty() ? "GTID " + start_.gtid
                                                         : fmt::format("{}:{}", start_.file, start_.pos),
                                     err, msg);
      error_ = err == 1236 ? absl::OutOfRangeError(text +
                                                   "; the binlog tidemark needs is gone (purged "
                                                   "or never existed): a snapshot is needed")
                           : absl::UnavailableError(text);
      done_ = true;
      return;
    }
    if (p[0] != 0x00) {
      error_ = absl::DataLossError(fmt::format("binlog packet starts with 0x{:02x}, not 0x00", p[0]));
      done_ = true;
      return;
    }
    queue_.push_back(std::move(ev));
    queued_bytes_ += len - 1;
  }
  done_ = true;
}

absl::Status BinlogStream::ReadBatch(absl::Duration wait, std::deque<RawEvent>* out) {
  absl::MutexLock l(&mu_);
  auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !queue_.empty() || done_; };
  mu_.AwaitWithTimeout(absl::Condition(&ready), wait);
  if (!queue_.empty()) {
    bytes_ += queued_bytes_;
    queued_bytes_ = 0;
    if (out->empty()) {
      out->swap(queue_);
    } else {
      for (auto& ev : queue_) out->push_back(std::move(ev));
      queue_.clear();
    }
    return absl::OkStatus();
  }
  if (done_) {
    if (!error_.ok()) return error_;
    return absl::UnavailableError("binlog stream closed");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<RawEvent>> BinlogStream::Read(absl::Duration wait) {
  absl::MutexLock l(&mu_);
  auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !queue_.empty() || done_; };
  mu_.AwaitWithTimeout(absl::Condition(&ready), wait);
  if (!queue_.empty()) {
    RawEvent ev = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= ev.bytes.size();
    bytes_ += ev.bytes.size();
    return std::optional<RawEvent>(std::move(ev));
  }
  if (done_) {
    if (!error_.ok()) return error_;
    return absl::UnavailableError("binlog stream closed");
  }
  return std::optional<RawEvent>();
}

}  // namespace tidemark::mysql
