// One journal segment file (grammar in journal_format.h): append, scan, read one
// record, truncate. The file descriptor stays open for the object's life, so a
// reader holding a shared_ptr keeps reading a segment that retention has unlinked.
//
// Thread safety: ReadRecord/Scan/Size/ModTime use pread/fstat and may run from any
// thread concurrently with one thread calling Append/Sync/Truncate.
#ifndef TIDEMARK_OFFSETS_SEGMENT_H_
#define TIDEMARK_OFFSETS_SEGMENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "offsets/journal_format.h"
#include "tidemark/v1/journal.pb.h"

namespace tidemark {

// Where one record lives; the in-memory index of a segment is a vector of these.
struct RecordInfo {
  uint64_t pos = 0;           // byte position of the header in the segment file
  uint64_t size = 0;          // header + payload bytes
  uint64_t first_offset = 0;  // journal offset of its first entry
  uint32_t entry_count = 0;
  uint32_t commit_end = 0;  // see journal_format.h
  uint64_t end_offset() const { return first_offset + entry_count; }
};

// What Scan found.
struct SegmentScan {
  std::vector<RecordInfo> records;  // the good records, in order
  uint64_t valid_bytes = 0;         // end of the last good record
  uint64_t file_size = 0;
  // Set when the bytes at valid_bytes are not a good record: why.
  std::optional<std::string> bad;
  // When `bad` is set and a scan for later records was asked for: the byte position
  // of a good record after the bad one (then the damage is not a torn tail).
  std::optional<uint64_t> good_after_bad;
};

class SegmentFile {
 public:
  // Creates DIR/<base>.seg (it must not exist).
  static absl::StatusOr<std::shared_ptr<SegmentFile>> Create(const std::string& dir,
                                                             uint64_t base);
  // Opens an existing DIR/<base>.seg for reading and appending.
  static absl::StatusOr<std::shared_ptr<SegmentFile>> Open(const std::string& dir, uint64_t base);
  ~SegmentFile();
  SegmentFile(const SegmentFile&) = delete;
  SegmentFile& operator=(const SegmentFile&) = delete;

  const std::string& path() const { return path_; }
  uint64_t base() const { return base_; }
  // "journal segment PATH at byte POS" for error messages.
  std::string Where(uint64_t pos) const;

  absl::StatusOr<uint64_t> Size() const;
  absl::StatusOr<absl::Time> ModTime() const;

  // Appends `data` with write(2) at the end of the file. On error the caller should
  // Truncate back to the size before the call.
  absl::Status Append(std::string_view data);
  absl::Status Sync();  // fdatasync
  absl::Status Truncate(uint64_t size);
  absl::Status Unlink();

  // Walks the records from byte 0. With `verify` every payload is read and its CRC
  // checked, and after a bad record the rest of the file is searched for a good one
  // (SegmentScan::good_after_bad); without it only headers are read. Stops at the
  // first bad record. A good record at an unexpected offset is kDataLoss.
  absl::StatusOr<SegmentScan> Scan(bool verify) const;

  // Reads the record at `info`, checks its header against `info` and its CRC, and
  // decodes it. kDataLoss naming this file and the byte position on any mismatch.
  absl::StatusOr<v1::JournalBatch> ReadRecord(const RecordInfo& info) const;
  // The same into `*out` (which may live on a protobuf arena), change events' bodies
  // only with EntryBodies::kAll (journal_format::DecodePayload).
  absl::Status ReadRecord(const RecordInfo& info, v1::JournalBatch* out,
                          journal_format::EntryBodies bodies = journal_format::EntryBodies::kAll) const;

  // Reads exactly `n` bytes at `pos` into `out`; kDataLoss if the file is shorter.
  absl::Status ReadRange(uint64_t pos, size_t n, std::string* out) const;

 private:
  SegmentFile(std::string path, uint64_t base, int fd) : path_(std::move(path)), base_(base), fd_(fd) {}

  const std::string path_;
  const uint64_t base_;
  const int fd_;
};

}  // namespace tidemark

#endif  // TIDEMARK_OFFSETS_SEGMENT_H_
