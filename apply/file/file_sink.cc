#include "apply/file/file_sink.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "common/file_util.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark {

absl::StatusOr<uint64_t> CutTornTail(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoError("stat", path, errno);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  uint64_t end = size;  // keep [0, end)
  char buf[1 << 16];
  while (end > 0) {
    const uint64_t n = std::min<uint64_t>(sizeof(buf), end);
    const ssize_t got = ::pread(fd, buf, n, static_cast<off_t>(end - n));
    if (got < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("read", path, errno);
    }
    if (static_cast<uint64_t>(got) != n) {
      return absl::InternalError(fmt::format("read {}: short read while checking its tail", path));
    }
    size_t i = n;
    while (i > 0 && buf[i - 1] != '\n') --i;
    if (i > 0) {
      end = end - n + i;
      break;
    }
    end -= n;
  }
  if (end == size) return 0;
  if (::ftruncate(fd, static_cast<off_t>(end)) != 0) return ErrnoError("truncate", path, errno);
  return size - end;
}

absl::StatusOr<std::unique_ptr<FileSink>> FileSink::Open(std::string name, std::string path,
                                                         bool fsync,
                                                         const SchemaRegistry* registry,
                                                         CheckpointStore* store,
                                                         EnvelopeContext ctx) {
  if (path.empty()) {
    return absl::InvalidArgumentError(fmt::format("file sink {}: empty path", name));
  }
  int fd = STDOUT_FILENO;
  bool regular = false;
  if (path != "-") {
    const std::string dir = std::filesystem::path(path).parent_path().string();
    if (!dir.empty()) TM_RETURN_IF_ERROR(MakeDirs(dir));
    struct stat st;
    const bool existed = ::stat(path.c_str(), &st) == 0;
    // O_RDWR: the torn-tail check reads the last bytes back.
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoError("open", path, errno);
    if (::fstat(fd, &st) != 0) {
      const int err = errno;
      ::close(fd);
      return ErrnoError("stat", path, err);
    }
    regular = S_ISREG(st.st_mode);
    if (regular) {
      absl::StatusOr<uint64_t> cut = CutTornTail(fd, path);
      if (!cut.ok()) {
        ::close(fd);
        return cut.status();
      }
      if (*cut > 0) {
        spdlog::warn("file sink {}: removed a torn last line ({} bytes) from {}; it is rewritten "
                     "from the checkpoint",
                     name, *cut, path);
      }
    }
    if (!existed && fsync) {
      // Make the new directory entry durable with the first checkpoint's data.
      absl::Status s = SyncDir(dir.empty() ? "." : dir);
      if (!s.ok()) {
        ::close(fd);
        return s;
      }
    }
  }
  return std::unique_ptr<FileSink>(new FileSink(std::move(name), std::move(path), fd, fsync,
                                                regular, registry, store, std::move(ctx)));
}

FileSink::FileSink(std::string name, std::string path, int fd, bool fsync, bool regular,
                   const SchemaRegistry* registry, CheckpointStore* store, EnvelopeContext ctx)
    : name_(std::move(name)),
      path_(std::move(path)),
      fd_(fd),
      fsync_(fsync),
      regular_(regular),
      ctx_(std::move(ctx)),
      checkpoint_(name_, store),
      schemas_(registry) {
  buffer_.reserve(kWriteChunkBytes + (64 << 10));
}

FileSink::~FileSink() {
  if (fd_ != STDOUT_FILENO) ::close(fd_);
}

absl::StatusOr<std::optional<v1::Checkpoint>> FileSink::LoadCheckpoint() {
  buffer_.clear();
  txn_commit_micros_ = 0;
  if (needs_repair_ && regular_) {
    TM_ASSIGN_OR_RETURN(uint64_t cut, CutTornTail(fd_, path_));
    if (cut > 0) spdlog::warn("file sink {}: removed a torn last line ({} bytes)", name_, cut);
  }
  needs_repair_ = false;
  return checkpoint_.Load();
}

absl::Status FileSink::Write(const JournalBatch& batch) {
  TM_RETURN_IF_ERROR(checkpoint_.EnsureLoaded());
  for (size_t i = 0; i < batch.entries.size(); ++i) {
    const uint64_t offset = batch.first_offset + i;
    if (!checkpoint_.ShouldApply(offset)) continue;
    TM_RETURN_IF_ERROR(WriteEntry(offset, batch.entries[i]));
    checkpoint_.Applied(offset, batch.entries[i]);
    if (buffer_.size() >= kWriteChunkBytes) TM_RETURN_IF_ERROR(WriteBuffer());
  }
  return absl::OkStatus();
}

absl::Status FileSink::WriteEntry(uint64_t offset, const v1::JournalEntry& entry) {
  switch (entry.kind_case()) {
    case v1::JournalEntry::kEvent: {
      const v1::ChangeEvent& ev = entry.event();
      if (ev.op() == v1::OP_DDL) return absl::OkStatus();
      TM_ASSIGN_OR_RETURN(const v1::TableSchema* schema, schemas_.For(ev));
      TM_RETURN_IF_ERROR(AppendEnvelopeJson(&buffer_, ev, *schema, offset, ctx_));
      buffer_.push_back('\n');
      return absl::OkStatus();
    }
    case v1::JournalEntry::kMessage:
      TM_RETURN_IF_ERROR(AppendMessageJson(&buffer_, entry.message(),
                                           entry.message().transactional() ? txn_commit_micros_ : 0,
                                           offset, ctx_));
      buffer_.push_back('\n');
      return absl::OkStatus();
    case v1::JournalEntry::kSchema: {
      const v1::TableSchema& s = entry.schema();
      schemas_.Remember(s);
      return absl::OkStatus();
    }
    case v1::JournalEntry::kBegin:
      txn_commit_micros_ = entry.begin().commit_time_micros();
      return absl::OkStatus();
    case v1::JournalEntry::kCommit:
      txn_commit_micros_ = 0;
      return absl::OkStatus();
    default:
      return absl::OkStatus();
  }
}

absl::Status FileSink::WriteBuffer() {
  size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      needs_repair_ = true;
      return ErrnoError("write", path_ == "-" ? "stdout" : path_, err);
    }
    done += static_cast<size_t>(n);
    bytes_written_ += static_cast<uint64_t>(n);
  }
  buffer_.clear();
  return absl::OkStatus();
}

absl::StatusOr<v1::Checkpoint> FileSink::Flush() {
  if (!checkpoint_.dirty()) return checkpoint_.Save();
  TM_RETURN_IF_ERROR(WriteBuffer());
  if (fsync_ && regular_ && ::fdatasync(fd_) != 0) {
    needs_repair_ = true;
    return ErrnoError("fsync", path_, errno);
  }
  return checkpoint_.Save();
}

}  // namespace tidemark
