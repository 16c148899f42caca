#include "offsets/journal_format.h"

#include <lz4.h>

#include <google/protobuf/io/coded_stream.h>

#include <charconv>
#include <vector>

#include "common/crc32c.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark::journal_format {
namespace {

void PutU16(char* p, uint16_t v) {
  for (int i = 0; i < 2; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
void PutU32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
void PutU64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
uint64_t GetLE(const char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// Header byte positions (see the grammar in journal_format.h).
constexpr size_t kMagicAt = 0, kCrcAt = 4, kVersionAt = 8, kFlagsAt = 9, kReservedAt = 10,
                 kPayloadLenAt = 12, kRawLenAt = 16, kFirstOffsetAt = 20, kEntryCountAt = 28,
                 kCommitEndAt = 32;

uint32_t RecordCrc(std::string_view record) {
  return Crc32c(record.substr(kCrcEnd));
}

}  // namespace

uint32_t CommitEnd(const v1::JournalBatch& batch) {
  for (int i = batch.entries_size() - 1; i >= 0; --i) {
    if (batch.entries(i).has_commit()) return static_cast<uint32_t>(i) + 1;
  }
  return 0;
}

uint32_t CommitEnd(std::span<const v1::JournalEntry> entries) {
  for (size_t i = entries.size(); i > 0; --i) {
    if (entries[i - 1].has_commit()) return static_cast<uint32_t>(i);
  }
  return 0;
}

namespace {

absl::Status TooLarge(size_t entries, size_t raw_size) {
  return absl::InvalidArgumentError(fmt::format(
      "journal: a record of {} entries serializes to {} bytes, over the limit of {} bytes; "
      "append large transactions in smaller chunks",
      entries, raw_size, kMaxRawBytes));
}

// Compresses `raw` (the serialized batch) into a record appended to `out`.
absl::Status FinishRecord(uint64_t first_offset, uint32_t entry_count, uint32_t commit_end,
                          const std::string& raw, std::string* out);

}  // namespace

absl::Status EncodeRecord(uint64_t first_offset, const v1::JournalBatch& batch, std::string* out) {
  if (batch.entries_size() == 0) {
    return absl::InvalidArgumentError("journal: cannot append an empty record");
  }
  size_t raw_size = batch.ByteSizeLong();
  if (raw_size > kMaxRawBytes) return TooLarge(static_cast<size_t>(batch.entries_size()), raw_size);
  std::string raw;
  if (!batch.SerializeToString(&raw)) {
    return absl::InternalError("journal: failed to serialize a JournalBatch");
  }
  return FinishRecord(first_offset, static_cast<uint32_t>(batch.entries_size()), CommitEnd(batch),
                      raw, out);
}

absl::Status EncodeRecord(uint64_t first_offset, std::span<const v1::JournalEntry> entries,
                          std::string* out) {
  if (entries.empty()) return absl::InvalidArgumentError("journal: cannot append an empty record");
  // JournalBatch's wire format: each entry as field 1, length-delimited, in order.
  constexpr uint8_t kEntriesTag = (1 << 3) | 2;
  std::vector<uint32_t> sizes(entries.size());
  size_t raw_size = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const size_t n = entries[i].ByteSizeLong();  // caches the sizes for serialization
    if (n > kMaxRawBytes) return TooLarge(entries.size(), n);
    sizes[i] = static_cast<uint32_t>(n);
    raw_size += 1 + google::protobuf::io::CodedOutputStream::VarintSize32(sizes[i]) + n;
    if (raw_size > kMaxRawBytes) return TooLarge(entries.size(), raw_size);
  }
  std::string raw(raw_size, '\0');
  uint8_t* p = reinterpret_cast<uint8_t*>(raw.data());
  for (size_t i = 0; i < entries.size(); ++i) {
    *p++ = kEntriesTag;
    p = google::protobuf::io::CodedOutputStream::WriteVarint32ToArray(sizes[i], p);
    p = entries[i].SerializeWithCachedSizesToArray(p);
  }
  if (p != reinterpret_cast<uint8_t*>(raw.data()) + raw.size()) {
    return absl::InternalError("journal: entries serialized to another size than computed");
  }
  return FinishRecord(first_offset, static_cast<uint32_t>(entries.size()), CommitEnd(entries), raw,
                      out);
}

namespace {

absl::Status FinishRecord(uint64_t first_offset, uint32_t entry_count, uint32_t commit_end,
                          const std::string& raw, std::string* out) {
  const int bound = LZ4_compressBound(static_cast<int>(raw.size()));
  const size_t start = out->size();
  out->resize(start + kHeaderSize + static_cast<size_t>(bound));
  char* rec = out->data() + start;
  int n = LZ4_compress_default(raw.data(), rec + kHeaderSize, static_cast<int>(raw.size()), bound);
  if (n <= 0) {
    out->resize(start);
    return absl::InternalError(fmt::format("journal: lz4 failed to compress {} bytes", raw.size()));
  }
  out->resize(start + kHeaderSize + static_cast<size_t>(n));
  rec = out->data() + start;
  PutU32(rec + kMagicAt, kMagic);
  rec[kVersionAt] = static_cast<char>(kVersion);
  rec[kFlagsAt] = 0;
  PutU16(rec + kReservedAt, 0);
  PutU32(rec + kPayloadLenAt, static_cast<uint32_t>(n));
  PutU32(rec + kRawLenAt, static_cast<uint32_t>(raw.size()));
  PutU64(rec + kFirstOffsetAt, first_offset);
  PutU32(rec + kEntryCountAt, entry_count);
  PutU32(rec + kCommitEndAt, commit_end);
  PutU32(rec + kCrcAt, RecordCrc(std::string_view(rec, kHeaderSize + static_cast<size_t>(n))));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RecordHeader> DecodeHeader(std::string_view bytes) {
  if (bytes.size() < kHeaderSize) {
    return absl::DataLossError(
        fmt::format("short record header: {} of {} bytes", bytes.size(), kHeaderSize));
  }
  const char* p = bytes.data();
  uint32_t magic = static_cast<uint32_t>(GetLE(p + kMagicAt, 4));
  if (magic != kMagic) {
    return absl::DataLossError(
        fmt::format("bad record magic 0x{:08x} (expected 0x{:08x})", magic, kMagic));
  }
  RecordHeader h;
  h.crc = static_cast<uint32_t>(GetLE(p + kCrcAt, 4));
  h.version = static_cast<uint8_t>(p[kVersionAt]);
  h.flags = static_cast<uint8_t>(p[kFlagsAt]);
  uint16_t reserved = static_cast<uint16_t>(GetLE(p + kReservedAt, 2));
  h.payload_len = static_cast<uint32_t>(GetLE(p + kPayloadLenAt, 4));
  h.raw_len = static_cast<uint32_t>(GetLE(p + kRawLenAt, 4));
  h.first_offset = GetLE(p + kFirstOffsetAt, 8);
  h.entry_count = static_cast<uint32_t>(GetLE(p + kEntryCountAt, 4));
  h.commit_end = static_cast<uint32_t>(GetLE(p + kCommitEndAt, 4));
  if (h.version != kVersion) {
    return absl::DataLossError(fmt::format(
        "unsupported record version {} (this build reads version {})", h.version, kVersion));
  }
  if (h.flags != 0 || reserved != 0) {
    return absl::DataLossError(
        fmt::format("unknown record flags 0x{:02x} / reserved 0x{:04x}", h.flags, reserved));
  }
  if (h.raw_len > kMaxRawBytes ||
      h.payload_len > static_cast<uint32_t>(LZ4_compressBound(static_cast<int>(h.raw_len))) ||
      h.payload_len == 0) {
    return absl::DataLossError(fmt::format("implausible record lengths: payload {} raw {}",
                                           h.payload_len, h.raw_len));
  }
  if (h.entry_count == 0 || h.commit_end > h.entry_count) {
    return absl::DataLossError(fmt::format("implausible entry count {} / commit end {}",
                                           h.entry_count, h.commit_end));
  }
  return h;
}

absl::Status VerifyCrc(const RecordHeader& header, std::string_view record) {
  if (record.size() != header.record_size()) {
    return absl::DataLossError(fmt::format("record is {} bytes, header says {}", record.size(),
                                           header.record_size()));
  }
  uint32_t actual = RecordCrc(record);
  if (actual != header.crc) {
    return absl::DataLossError(
        fmt::format("CRC mismatch: stored 0x{:08x}, computed 0x{:08x}", header.crc, actual));
  }
  return absl::OkStatus();
}

namespace {

// The entries of a serialized JournalBatch (field 1, length-delimited, repeated), a
// change event's only as its kind. False on malformed bytes.
bool ParseEntryKinds(std::string_view raw, v1::JournalBatch* out) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(raw.data()),
                                            static_cast<int>(raw.size()));
  constexpr uint32_t kEntriesTag = (1u << 3) | 2u;  // JournalBatch.entries
  constexpr uint32_t kEventTag = (1u << 3) | 2u;    // JournalEntry.event
  while (const uint32_t tag = in.ReadTag()) {
    uint32_t len = 0;
    if (tag != kEntriesTag || !in.ReadVarint32(&len)) return false;
    const size_t at = static_cast<size_t>(in.CurrentPosition());
    if (len > raw.size() - at || !in.Skip(static_cast<int>(len))) return false;
    const std::string_view entry = raw.substr(at, len);
    // An entry holds one field of its oneof: an event entry is that one field, whole.
    google::protobuf::io::CodedInputStream e(reinterpret_cast<const uint8_t*>(entry.data()),
                                             static_cast<int>(entry.size()));
    uint32_t event_len = 0;
    if (e.ReadTag() == kEventTag && e.ReadVarint32(&event_len) &&
        e.CurrentPosition() + event_len == entry.size()) {
      out->add_entries()->mutable_event();
    } else if (!out->add_entries()->ParseFromArray(entry.data(), static_cast<int>(entry.size()))) {
      return false;
    }
  }
  return in.ConsumedEntireMessage();  // ReadTag's 0 was the end, not a bad tag
}

}  // namespace

absl::Status DecodePayload(const RecordHeader& header, std::string_view payload,
                           v1::JournalBatch* out, EntryBodies bodies) {
  // Reused per thread (a reader decodes record after record): a fresh buffer of a
  // record's size would be page-faulted in anew each time. Big ones are not kept.
  thread_local std::string raw;
  constexpr size_t kKeepBytes = 16u << 20;
  if (raw.capacity() > kKeepBytes && header.raw_len <= kKeepBytes) std::string().swap(raw);
  raw.resize(header.raw_len);
  int n = LZ4_decompress_safe(payload.data(), raw.data(), static_cast<int>(payload.size()),
                              static_cast<int>(raw.size()));
  if (n < 0 || static_cast<uint32_t>(n) != header.raw_len) {
    return absl::DataLossError(fmt::format(
        "lz4 payload does not decompress to the {} bytes the header says (lz4 result {})",
        header.raw_len, n));
  }
  const bool parsed =
      bodies == EntryBodies::kAll ? out->ParseFromString(raw) : ParseEntryKinds(raw, out);
  if (!parsed) {
    return absl::DataLossError("payload is not a valid tidemark.v1.JournalBatch");
  }
  if (static_cast<uint32_t>(out->entries_size()) != header.entry_count) {
    return absl::DataLossError(fmt::format("payload holds {} entries, header says {}",
                                           out->entries_size(), header.entry_count));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::JournalBatch> DecodePayload(const RecordHeader& header,
                                               std::string_view payload) {
  v1::JournalBatch batch;
  TM_RETURN_IF_ERROR(DecodePayload(header, payload, &batch));
  return batch;
}

std::string SegmentFileName(uint64_t first_offset) {
  return fmt::format("{:020d}{}", first_offset, kSegmentSuffix);
}

std::optional<uint64_t> ParseSegmentFileName(std::string_view name) {
  if (name.size() != 20 + kSegmentSuffix.size() || !name.ends_with(kSegmentSuffix)) {
    return std::nullopt;
  }
  uint64_t v = 0;
  const char* end = name.data() + 20;
  auto [ptr, ec] = std::from_chars(name.data(), end, v);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

}  // namespace tidemark::journal_format
