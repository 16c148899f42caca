#include "offsets/segment.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/file_util.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark {

namespace jf = journal_format;

namespace {

std::string JoinPath(const std::string& dir, uint64_t base) {
  return fmt::format("{}/{}", dir, jf::SegmentFileName(base));
}

// A read-only mapping of a whole file, unmapped on destruction. Verifying a segment
// reads it through the page cache's own pages: copying 56 MB into a fresh buffer
// (zero-filled and page-faulted first) cost three times the CRC itself.
class Mapping {
 public:
  ~Mapping() {
    if (data_ != nullptr) ::munmap(data_, size_);
  }
  // False when the file cannot be mapped (the caller reads it instead).
  bool Map(int fd, size_t size) {
    if (size == 0) return false;
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (p == MAP_FAILED) return false;
    data_ = p;
    size_ = size;
    return true;
  }
  std::string_view view() const { return {static_cast<const char*>(data_), size_}; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace

absl::StatusOr<std::shared_ptr<SegmentFile>> SegmentFile::Create(const std::string& dir,
                                                                 uint64_t base) {
  std::string path = JoinPath(dir, base);
  int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("create journal segment", path, errno);
  return std::shared_ptr<SegmentFile>(new SegmentFile(std::move(path), base, fd));
}

absl::StatusOr<std::shared_ptr<SegmentFile>> SegmentFile::Open(const std::string& dir,
                                                               uint64_t base) {
  std::string path = JoinPath(dir, base);
  int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open journal segment", path, errno);
  return std::shared_ptr<SegmentFile>(new SegmentFile(std::move(path), base, fd));
}

SegmentFile::~SegmentFile() { ::close(fd_); }

std::string SegmentFile::Where(uint64_t pos) const {
  return fmt::format("journal segment {} at byte {}", path_, pos);
}

absl::StatusOr<uint64_t> SegmentFile::Size() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0) return ErrnoError("stat journal segment", path_, errno);
  return static_cast<uint64_t>(st.st_size);
}

absl::StatusOr<absl::Time> SegmentFile::ModTime() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0) return ErrnoError("stat journal segment", path_, errno);
  return absl::TimeFromTimespec(st.st_mtim);
}

absl::Status SegmentFile::Append(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write journal segment", path_, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status SegmentFile::Sync() {
  if (::fdatasync(fd_) != 0) return ErrnoError("fsync journal segment", path_, errno);
  return absl::OkStatus();
}

absl::Status SegmentFile::Truncate(uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
    return ErrnoError(fmt::format("truncate to {} bytes journal segment", size), path_, errno);
  }
  return absl::OkStatus();
}

absl::Status SegmentFile::Unlink() {
  if (::unlink(path_.c_str()) != 0) return ErrnoError("delete journal segment", path_, errno);
  return absl::OkStatus();
}

absl::Status SegmentFile::ReadRange(uint64_t pos, size_t n, std::string* out) const {
  out->resize(n);
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd_, out->data() + done, n - done, static_cast<off_t>(pos + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(fmt::format("read at byte {}", pos + done), path_, errno);
    }
    if (r == 0) {
      return absl::DataLossError(fmt::format(
          "{}: file ends after {} of {} bytes; the segment is truncated. Restore it from a "
          "backup or re-snapshot the sinks",
          Where(pos), done, n));
    }
    done += static_cast<size_t>(r);
  }
  return absl::OkStatus();
}

absl::StatusOr<SegmentScan> SegmentFile::Scan(bool verify) const {
  SegmentScan scan;
  TM_ASSIGN_OR_RETURN(scan.file_size, Size());
  // The whole file when verifying: mapped (the journal's lock keeps writers out while
  // it opens), or read when it cannot be mapped.
  Mapping mapping;
  std::string copy;
  std::string_view all;
  if (verify) {
    if (mapping.Map(fd_, scan.file_size)) {
      all = mapping.view();
    } else {
      TM_RETURN_IF_ERROR(ReadRange(0, scan.file_size, &copy));
      all = copy;
    }
  }

  // Why the record at `pos` is not good, or nullopt with `h` set when it is.
  auto check = [&](uint64_t pos, jf::RecordHeader* h) -> std::optional<std::string> {
    uint64_t left = scan.file_size - pos;
    if (left < jf::kHeaderSize) {
      return fmt::format("short record header: only {} bytes left in the file", left);
    }
    std::string header_bytes;
    std::string_view hv;
    if (verify) {
      hv = all.substr(pos, jf::kHeaderSize);
    } else {
      absl::Status st = ReadRange(pos, jf::kHeaderSize, &header_bytes);
      if (!st.ok()) return std::string(SV(st.message()));
      hv = header_bytes;
    }
    absl::StatusOr<jf::RecordHeader> hs = jf::DecodeHeader(hv);
    if (!hs.ok()) return std::string(SV(hs.status().message()));
    if (hs->record_size() > left) {
      return fmt::format("record of {} bytes is cut short: only {} bytes left in the file",
                         hs->record_size(), left);
    }
    if (verify) {
      absl::Status st = jf::VerifyCrc(*hs, all.substr(pos, hs->record_size()));
      if (!st.ok()) return std::string(SV(st.message()));
    }
    *h = *hs;
    return std::nullopt;
  };

  uint64_t pos = 0;
  uint64_t expected = base_;
  while (pos < scan.file_size) {
    jf::RecordHeader h;
    std::optional<std::string> why = check(pos, &h);
    if (why) {
      scan.bad = std::move(why);
      break;
    }
    if (h.first_offset != expected) {
      return absl::DataLossError(fmt::format(
          "{}: record holds offsets from {} but {} was expected; the segment does not belong "
          "at this name or was overwritten. The bytes are kept: restore the journal from a "
          "backup or re-snapshot the sinks",
          Where(pos), h.first_offset, expected));
    }
    scan.records.push_back(RecordInfo{.pos = pos,
                                      .size = h.record_size(),
                                      .first_offset = h.first_offset,
                                      .entry_count = h.entry_count,
                                      .commit_end = h.commit_end});
    pos += h.record_size();
    expected = h.end_offset();
  }
  scan.valid_bytes = pos;

  if (scan.bad && verify) {
    // Is there a good record after the bad one? Then this is not a torn tail.
    const char magic[4] = {'T', 'M', 'J', 'R'};
    for (uint64_t q = pos + 1; q + jf::kHeaderSize <= scan.file_size; ++q) {
      const void* hit = std::memchr(all.data() + q, magic[0], scan.file_size - q);
      if (hit == nullptr) break;
      q = static_cast<uint64_t>(static_cast<const char*>(hit) - all.data());
      if (q + jf::kHeaderSize > scan.file_size) break;
      if (std::memcmp(all.data() + q, magic, 4) != 0) continue;
      jf::RecordHeader h;
      if (!check(q, &h)) {
        scan.good_after_bad = q;
        break;
      }
    }
  }
  return scan;
}

absl::Status SegmentFile::ReadRecord(const RecordInfo& info, v1::JournalBatch* out,
                                     jf::EntryBodies bodies) const {
  std::string bytes;
  TM_RETURN_IF_ERROR(ReadRange(info.pos, info.size, &bytes));
  auto fail = [&](const absl::Status& st) {
    return absl::DataLossError(fmt::format(
        "{}: bad record for offsets {}..{}: {}. The bytes are kept; restore the journal from a "
        "backup, or rewind/re-snapshot the sinks past these offsets",
        Where(info.pos), info.first_offset, info.end_offset(), st.message()));
  };
  absl::StatusOr<jf::RecordHeader> h = jf::DecodeHeader(bytes);
  if (!h.ok()) return fail(h.status());
  if (h->record_size() != info.size || h->first_offset != info.first_offset ||
      h->entry_count != info.entry_count) {
    return fail(absl::DataLossError(fmt::format(
        "header changed since the segment was indexed (size {}, first offset {}, {} entries)",
        h->record_size(), h->first_offset, h->entry_count)));
  }
  if (absl::Status st = jf::VerifyCrc(*h, bytes); !st.ok()) return fail(st);
  if (absl::Status st =
          jf::DecodePayload(*h, std::string_view(bytes).substr(jf::kHeaderSize), out, bodies);
      !st.ok()) {
    return fail(st);
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::JournalBatch> SegmentFile::ReadRecord(const RecordInfo& info) const {
  v1::JournalBatch batch;
  TM_RETURN_IF_ERROR(ReadRecord(info, &batch));
  return batch;
}

}  // namespace tidemark
