#include "common/strings.h"
#include "capture/pg/replication_stream.h"

#include <poll.h>
#include <sys/socket.h>

#include <chrono>

#include <fmt/format.h>

#include "common/byte_reader.h"
#include "common/status_macros.h"

namespace tidemark::pg {
namespace {

// Microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01).
constexpr int64_t kPgEpochOffsetMicros = 946684800LL * 1000000;

int64_t NowPgMicros() {
  return absl::ToUnixMicros(absl::Now()) - kPgEpochOffsetMicros;
}

void PutU64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

}  // namespace

absl::StatusOr<StreamMessage> ParseCopyData(std::string_view bytes) {
  ByteReader r(bytes, "replication stream");
  TM_ASSIGN_OR_RETURN(uint8_t kind, r.U8("message kind"));
  StreamMessage m;
  if (kind == 'w') {
    m.kind = StreamMessage::kXLogData;
    TM_ASSIGN_OR_RETURN(m.wal_start, r.U64("XLogData walStart"));
    TM_ASSIGN_OR_RETURN(m.wal_end, r.U64("XLogData walEnd"));
    TM_RETURN_IF_ERROR(r.Skip(8, "XLogData sendTime"));
    m.data = r.Rest();
    return m;
  }
  if (kind == 'k') {
    m.kind = StreamMessage::kKeepalive;
    TM_ASSIGN_OR_RETURN(m.wal_end, r.U64("keepalive walEnd"));
    TM_RETURN_IF_ERROR(r.Skip(8, "keepalive sendTime"));
    TM_ASSIGN_OR_RETURN(uint8_t reply, r.U8("keepalive replyRequested"));
    m.reply_requested = reply != 0;
    return m;
  }
  return absl::DataLossError(fmt::format(
      "replication stream: unknown CopyData message kind 0x{:02x} in {} bytes", kind, bytes.size()));
}

ReplicationStream::~ReplicationStream() {
  if (buffer_) PQfreemem(buffer_);
}

absl::Status ReplicationStream::Start(
    const std::string& slot, uint64_t start_lsn,
    const std::vector<std::pair<std::string, std::string>>& plugin_options) {
  std::string opts;
  for (const auto& [k, v] : plugin_options) {
    if (!opts.empty()) opts += ", ";
    opts += fmt::format("{} {}", conn_->Quote(k), conn_->QuoteLiteral(v));
  }
  std::string sql = fmt::format("START_REPLICATION SLOT {} LOGICAL {:X}/{:X} ({})", conn_->Quote(slot),
                                static_cast<uint32_t>(start_lsn >> 32),
                                static_cast<uint32_t>(start_lsn), opts);
  PgResult r(PQexec(conn_->raw(), sql.c_str()));
  if (!r || PQresultStatus(r.get()) != PGRES_COPY_BOTH) {
    absl::Status st = PgStatus(conn_->raw(), r.get(), fmt::format("START_REPLICATION on slot {}", slot));
    const char* state = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
    if (state != nullptr && std::string_view(state) == "55006") {
      // Slot in use: most often the walsender of a tidemark that was just killed and has not
      // noticed yet, so this passes on its own; the pipeline retries with backoff.
      return absl::UnavailableError(fmt::format(
          "{}; waiting for it to be released (if another consumer holds slot {}, stop it or end its "
          "walsender with SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE "
          "slot_name = '{}')", st.message(), slot, slot));
    }
    return st;
  }
  return absl::OkStatus();
}

absl::StatusOr<StreamMessage> ReplicationStream::Read(absl::Duration max_wait) {
  if (buffer_) {
    PQfreemem(buffer_);
    buffer_ = nullptr;
  }
  absl::Time deadline = absl::Now() + max_wait;
  // With no time to wait, what the socket already holds is still read (libpq's buffer
  // alone would end a caller's chunk at a few kilobytes while more data is there).
  bool drained_socket = false;
  while (true) {
    int n = PQgetCopyData(conn_->raw(), &buffer_, /*async=*/1);
    if (n > 0) return ParseCopyData(std::string_view(buffer_, static_cast<size_t>(n)));
    if (n == -1) {
      PgResult r(PQgetResult(conn_->raw()));
      return absl::UnavailableError(fmt::format(
          "replication stream ended by the server: {}",
          r ? PQresultErrorMessage(r.get()) : PQerrorMessage(conn_->raw())));
    }
    if (n == -2) {
      return absl::UnavailableError(
          fmt::format("replication stream broke: {}", PQerrorMessage(conn_->raw())));
    }
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      if (drained_socket) return StreamMessage{};
      drained_socket = true;
      if (PQconsumeInput(conn_->raw()) == 0) {
        return absl::UnavailableError(
            fmt::format("replication stream broke: {}", PQerrorMessage(conn_->raw())));
      }
      continue;
    }
    pollfd pfd{PQsocket(conn_->raw()), POLLIN, 0};
    int rc = poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (rc < 0 && errno != EINTR) {
      return absl::UnavailableError(fmt::format("poll on replication socket: {}", strerror(errno)));
    }
    if (rc == 0) {
      // Time is up. Under a low-water mark fewer bytes may still be waiting: take them.
      if (low_water_ <= 1 || drained_socket) return StreamMessage{};
      drained_socket = true;
    }
    if (PQconsumeInput(conn_->raw()) == 0) {
      return absl::UnavailableError(
          fmt::format("replication stream broke: {}", PQerrorMessage(conn_->raw())));
    }
  }
}

void ReplicationStream::SetReceiveLowWater(int bytes) {
  if (bytes == low_water_) return;
  if (setsockopt(PQsocket(conn_->raw()), SOL_SOCKET, SO_RCVLOWAT, &bytes, sizeof bytes) == 0) {
    low_water_ = bytes;
  }
}

absl::Status ReplicationStream::WaitReadable(absl::Duration max_wait) {
  pollfd pfd{PQsocket(conn_->raw()), POLLIN, 0};
  if (poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(max_wait))) < 0 && errno != EINTR) {
    return absl::UnavailableError(fmt::format("poll on replication socket: {}", strerror(errno)));
  }
  return absl::OkStatus();
}

bool ReplicationStream::SetReceiveBuffer(int bytes) {
  return setsockopt(PQsocket(conn_->raw()), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) == 0;
}

std::optional<TcpReceiveCounters> ReplicationStream::ReceiveCounters() const {
  return ReadTcpReceiveCounters(PQsocket(conn_->raw()));
}

bool ReplicationStream::IsTcp() const {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getsockname(PQsocket(conn_->raw()), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return false;
  }
  return addr.ss_family == AF_INET || addr.ss_family == AF_INET6;
}

absl::Status ReplicationStream::SendStatus(uint64_t write_lsn, uint64_t flush_lsn,
                                           uint64_t apply_lsn) {
  std::string msg = "r";
  PutU64(&msg, write_lsn);
  PutU64(&msg, flush_lsn);
  PutU64(&msg, apply_lsn);
  PutU64(&msg, static_cast<uint64_t>(NowPgMicros()));
  msg.push_back(0);
  if (PQputCopyData(conn_->raw(), msg.data(), static_cast<int>(msg.size())) != 1 ||
      PQflush(conn_->raw()) != 0) {
    return absl::UnavailableError(
        fmt::format("sending standby status update: {}", PQerrorMessage(conn_->raw())));
  }
  return absl::OkStatus();
}

}  // namespace tidemark::pg
