#include "common/byte_reader.h"

#include <cstring>

#include "common/strings.h"

namespace tidemark {

absl::Status ByteReader::Truncated(std::string_view what) const {
  return absl::DataLossError(
      fmt::format("{}: truncated {} at byte {} of {}", context_, what, pos_, data_.size()));
}

absl::Status ByteReader::Malformed(std::string_view message) const {
  return absl::DataLossError(
      fmt::format("{}: {} at byte {} of {}", context_, message, pos_, data_.size()));
}

absl::StatusOr<uint64_t> ByteReader::UintLE(size_t width, std::string_view what) {
  if (width == 0 || width > 8) return Malformed(fmt::format("bad integer width {}", width));
  if (remaining() < width) return Truncated(what);
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) {
    v |= static_cast<uint64_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
  }
  pos_ += width;
  return v;
}

absl::StatusOr<std::string_view> ByteReader::CString(std::string_view what) {
  size_t end = data_.find('\0', pos_);
  if (end == std::string_view::npos) return Truncated(what);
  std::string_view out = data_.substr(pos_, end - pos_);
  pos_ = end + 1;
  return out;
}

std::string_view ByteReader::Rest() {
  std::string_view out = data_.substr(pos_);
  pos_ = data_.size();
  return out;
}

absl::Status ByteReader::Skip(size_t n, std::string_view what) {
  if (remaining() < n) return Truncated(what);
  pos_ += n;
  return absl::OkStatus();
}

}  // namespace tidemark
