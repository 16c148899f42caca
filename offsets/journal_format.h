// On-disk format of the journal (DESIGN.md §1), in the manner of LevelDB's
// db/log_format.h. Pure: no I/O, no logging.
//
// A journal is a directory of segment files, each named by the offset of its first
// entry as 20 decimal digits: 00000000000000000000.seg, 00000000000000004096.seg, ...
// A segment is a sequence of records and nothing else (no file header, so an empty
// file is a valid empty segment):
//
//   segment  := record*
//   record   := header payload
//   header   := magic crc version flags reserved payload_len raw_len
//               first_offset entry_count commit_end                  (36 bytes)
//   magic        u32  0x524A4D54 ("TMJR" as bytes on disk)
//   crc          u32  CRC-32C (Castagnoli) of header bytes [8, 36) followed by the
//                     payload: every byte of the record after the crc field
//   version      u8   1
//   flags        u8   0 (reserved for other codecs; a reader rejects non-zero)
//   reserved     u16  0
//   payload_len  u32  bytes of payload on disk (the lz4 block)
//   raw_len      u32  bytes of the serialized v1.JournalBatch (<= kMaxRawBytes)
//   first_offset u64  journal offset of entries[0]; the next record in the segment
//                     starts at first_offset + entry_count, and the first record
//                     of a segment at the segment's name
//   entry_count  u32  number of entries, >= 1
//   commit_end   u32  0 if the record holds no TxnCommit entry; else (index of its
//                     last TxnCommit entry) + 1. Once the record is durable, every
//                     entry < first_offset + commit_end is visible to readers. Kept in
//                     the header so recovery finds the visibility point without
//                     decompressing.
//   payload      lz4 block (LZ4_compress_default) of the serialized v1.JournalBatch
//
// Integers are little-endian. A record whose bytes end before payload_len, whose
// magic/version/lengths are wrong, or whose CRC does not match is bad: at the very
// tail of the newest segment it is a torn write (cut off at open); anywhere else it
// is kDataLoss.
#ifndef TIDEMARK_OFFSETS_JOURNAL_FORMAT_H_
#define TIDEMARK_OFFSETS_JOURNAL_FORMAT_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tidemark/v1/journal.pb.h"

namespace tidemark::journal_format {

inline constexpr uint32_t kMagic = 0x524A4D54;  // "TMJR" little-endian
inline constexpr uint8_t kVersion = 1;
inline constexpr size_t kHeaderSize = 36;
inline constexpr size_t kCrcEnd = 8;  // the CRC covers bytes [kCrcEnd, record end)
// Upper bound of one record's serialized batch. Bigger batches are refused by
// Append (capture streams large transactions in chunks, DESIGN.md §1).
inline constexpr uint32_t kMaxRawBytes = 512u << 20;
inline constexpr std::string_view kSegmentSuffix = ".seg";

struct RecordHeader {
  uint32_t crc = 0;
  uint8_t version = kVersion;
  uint8_t flags = 0;
  uint32_t payload_len = 0;
  uint32_t raw_len = 0;
  uint64_t first_offset = 0;
  uint32_t entry_count = 0;
  uint32_t commit_end = 0;

  uint64_t record_size() const { return kHeaderSize + payload_len; }
  uint64_t end_offset() const { return first_offset + entry_count; }
};

// (index of the last TxnCommit entry) + 1, or 0 when there is none.
uint32_t CommitEnd(const v1::JournalBatch& batch);

// Appends one record holding `batch` (non-empty) at `first_offset` to `out`.
// kInvalidArgument when the batch is empty or larger than kMaxRawBytes.
absl::Status EncodeRecord(uint64_t first_offset, const v1::JournalBatch& batch, std::string* out);
// The same record for a JournalBatch of `entries` (byte for byte what the overload
// above writes), serialized straight from the entries without building the batch.
absl::Status EncodeRecord(uint64_t first_offset, std::span<const v1::JournalEntry> entries,
                          std::string* out);
uint32_t CommitEnd(std::span<const v1::JournalEntry> entries);

// Parses the first kHeaderSize bytes of `bytes` and checks magic, version, flags and
// lengths; not the CRC. kDataLoss says what is wrong (no location: callers add it).
absl::StatusOr<RecordHeader> DecodeHeader(std::string_view bytes);

// Checks the CRC of `record` (its header and payload, exactly record_size() bytes).
absl::Status VerifyCrc(const RecordHeader& header, std::string_view record);

// Decompresses and parses `payload` (payload_len bytes); checks raw_len and entry_count.
absl::StatusOr<v1::JournalBatch> DecodePayload(const RecordHeader& header, std::string_view payload);
// The same into `*out` (which may live on a protobuf arena); on error `*out` is unspecified.
// With `bodies` = kEntryKinds a change event entry is not parsed: it becomes an entry
// whose `event` is set and empty (its kind and offset, for readers that only count
// and checkpoint); every other entry is parsed whole.
enum class EntryBodies { kAll, kEntryKinds };
absl::Status DecodePayload(const RecordHeader& header, std::string_view payload, v1::JournalBatch* out,
                           EntryBodies bodies = EntryBodies::kAll);

// "00000000000000000042.seg"; and back (nullopt for any other name).
std::string SegmentFileName(uint64_t first_offset);
std::optional<uint64_t> ParseSegmentFileName(std::string_view name);

}  // namespace tidemark::journal_format

#endif  // TIDEMARK_OFFSETS_JOURNAL_FORMAT_H_
