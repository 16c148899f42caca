// A bounds-checked cursor over a byte buffer, for the pure protocol parsers.
// Every read checks the remaining length; a short buffer gives kDataLoss naming
// what was being read, the byte position and the total size, never a crash.
// Integers are big-endian unless the method says LE (binlog is little-endian).
// Not thread-safe; does not own the bytes, which must outlive the reader.
#ifndef TIDEMARK_COMMON_BYTE_READER_H_
#define TIDEMARK_COMMON_BYTE_READER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tidemark {

class ByteReader {
 public:
  // `context` prefixes every error ("pgoutput Insert").
  ByteReader(std::string_view data, std::string_view context)
      : data_(data), context_(context) {}

  size_t position() const { return pos_; }
  size_t size() const { return data_.size(); }
  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ >= data_.size(); }

  absl::StatusOr<uint8_t> U8(std::string_view what) { return BigEndian<uint8_t>(what); }
  absl::StatusOr<uint16_t> U16(std::string_view what) { return BigEndian<uint16_t>(what); }
  absl::StatusOr<uint32_t> U32(std::string_view what) { return BigEndian<uint32_t>(what); }
  absl::StatusOr<uint64_t> U64(std::string_view what) { return BigEndian<uint64_t>(what); }
  absl::StatusOr<int16_t> I16(std::string_view what) { return BigEndian<int16_t>(what); }
  absl::StatusOr<int32_t> I32(std::string_view what) { return BigEndian<int32_t>(what); }
  absl::StatusOr<int64_t> I64(std::string_view what) { return BigEndian<int64_t>(what); }
  // Little-endian unsigned integer of `width` bytes (1..8).
  absl::StatusOr<uint64_t> UintLE(size_t width, std::string_view what);
  // `n` raw bytes; the view points into the reader's buffer.
  absl::StatusOr<std::string_view> Bytes(size_t n, std::string_view what) {
    if (remaining() < n) return Truncated(what);
    std::string_view out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  // A NUL-terminated string (the NUL is consumed, not returned).
  absl::StatusOr<std::string_view> CString(std::string_view what);
  // The rest of the buffer.
  std::string_view Rest();
  absl::Status Skip(size_t n, std::string_view what);

  // kDataLoss: "<context>: truncated <what> at byte <pos> of <size>".
  absl::Status Truncated(std::string_view what) const;
  // kDataLoss: "<context>: <message> at byte <pos> of <size>".
  absl::Status Malformed(std::string_view message) const;

 private:
  // Inline: the parsers read every column length and header field through these.
  template <typename T>
  absl::StatusOr<T> BigEndian(std::string_view what) {
    if (remaining() < sizeof(T)) return Truncated(what);
    uint64_t v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) v = (v << 8) | static_cast<uint8_t>(data_[pos_ + i]);
    pos_ += sizeof(T);
    return static_cast<T>(static_cast<std::make_unsigned_t<T>>(v));
  }

  std::string_view data_;
  std::string_view context_;
  size_t pos_ = 0;
};

}  // namespace tidemark

#endif  // TIDEMARK_COMMON_BYTE_READER_H_
