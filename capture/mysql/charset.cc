// Character set conversion for binlog text values (value_decoder.h).
// latin1 is MySQL's latin1, which is Windows-1252 with the five code points cp1252
// leaves undefined (0x81 0x8D 0x8F 0x90 0x9D) mapped to the C1 controls
// (MySQL strings/ctype-latin1.cc cs_to_uni).
#include <fmt/format.h>

#include <cstring>
#include <map>

#include "capture/mysql/value_decoder.h"
#include "common/status_macros.h"

namespace tidemark::mysql {
namespace {

constexpr uint16_t kCp1252High[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Byte offset of the first invalid sequence, or npos. `max_len` 3 for utf8mb3.
size_t InvalidUtf8(std::string_view s, int max_len) {
  size_t i = 0;
  while (i < s.size()) {
    // ASCII runs, 8 bytes at a time (most text is ASCII).
    while (i + 8 <= s.size()) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (w & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= s.size()) break;
    uint8_t c = static_cast<uint8_t>(s[i]);
    int n;
    uint32_t cp;
    if (c < 0x80) { ++i; continue; }
    if (c >= 0xC2 && c <= 0xDF) { n = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; cp = c & 0x07; }
    else return i;
    if (n > max_len || i + n > s.size()) return i;
    for (int k = 1; k < n; ++k) {
      uint8_t cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return i;
    }
    i += n;
  }
  return std::string_view::npos;
}

const std::map<uint32_t, std::string>& BuiltinCollations() {
  static const auto* m = [] {
    auto* m = new std::map<uint32_t, std::string>;
    for (uint32_t id : {5, 8, 15, 31, 47, 48, 49, 94, 1032, 1071}) (*m)[id] = "latin1";
    for (uint32_t id : {11, 65, 1035, 1089}) (*m)[id] = "ascii";
    (*m)[63] = "binary";
    for (uint32_t id : {33, 76, 83, 223, 1057, 1091}) (*m)[id] = "utf8mb3";
    for (uint32_t id = 192; id <= 215; ++id) (*m)[id] = "utf8mb3";
    for (uint32_t id : {45, 46, 1069, 1101}) (*m)[id] = "utf8mb4";
    for (uint32_t id = 224; id <= 247; ++id) (*m)[id] = "utf8mb4";
    for (uint32_t id = 255; id <= 323; ++id) (*m)[id] = "utf8mb4";
    return m;
  }();
  return *m;
}

}  // namespace

std::string CharsetForCollation(uint32_t collation_id) {
  const auto& m = BuiltinCollations();
  auto it = m.find(collation_id);
  return it == m.end() ? std::string() : it->second;
}

absl::StatusOr<std::string> ToUtf8(std::string_view bytes, std::string_view charset) {
  if (charset == "utf8mb4" || charset == "utf8mb3" || charset == "utf8") {
    size_t bad = InvalidUtf8(bytes, charset == "utf8mb4" ? 4 : 3);
    if (bad != std::string_view::npos) {
      return absl::InvalidArgumentError(fmt::format(
          "invalid {} byte sequence at byte {} of {}", charset, bad, bytes.size()));
    }
    return std::string(bytes);
  }
  if (charset == "ascii") {
    for (size_t i = 0; i < bytes.size(); ++i) {
      if (static_cast<uint8_t>(bytes[i]) >= 0x80) {
        return absl::InvalidArgumentError(
            fmt::format("non-ASCII byte 0x{:02x} at byte {} of {}",
                        static_cast<uint8_t>(bytes[i]), i, bytes.size()));
      }
    }
    return std::string(bytes);
  }
  if (charset == "latin1") {
    std::string out;
    out.reserve(bytes.size() + bytes.size() / 4);
    for (char ch : bytes) {
      uint8_t c = static_cast<uint8_t>(ch);
      AppendUtf8(&out, c >= 0x80 && c < 0xA0 ? kCp1252High[c - 0x80] : c);
    }
    return out;
  }
  return absl::FailedPreconditionError(fmt::format(
      "character set '{}' is not supported (tidemark converts utf8mb4, utf8mb3, latin1, ascii "
      "and binary); convert the column, e.g. ALTER TABLE ... CONVERT TO CHARACTER SET utf8mb4",
      charset));
}

}  // namespace tidemark::mysql
