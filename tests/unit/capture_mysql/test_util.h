// Byte builders for hand-made binlog events (little-endian, CRC32 appended).
#ifndef TIDEMARK_TESTS_UNIT_CAPTURE_MYSQL_TEST_UTIL_H_
#define TIDEMARK_TESTS_UNIT_CAPTURE_MYSQL_TEST_UTIL_H_

#include <zlib.h>

#include <cstdint>
#include <string>

namespace tidemark::mysql::testing {

inline void LE(std::string* s, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) s->push_back(static_cast<char>(v >> (8 * i)));
}
inline std::string Packed(uint64_t v) {
  std::string s;
  if (v < 0xfb) { s.push_back(static_cast<char>(v)); }
  else if (v <= 0xffff) { s.push_back(static_cast<char>(0xfc)); LE(&s, v, 2); }
  else if (v <= 0xffffff) { s.push_back(static_cast<char>(0xfd)); LE(&s, v, 3); }
  else { s.push_back(static_cast<char>(0xfe)); LE(&s, v, 8); }
  return s;
}
// A complete event: header (log_pos `end`), body, CRC32 when `crc`.
inline std::string Event(uint8_t type, const std::string& body, uint32_t end = 1000,
                         uint16_t flags = 0, bool crc = true) {
  std::string e;
  LE(&e, 1700000000, 4);
  e.push_back(static_cast<char>(type));
  LE(&e, 7, 4);
  LE(&e, 19 + body.size() + (crc ? 4 : 0), 4);
  LE(&e, end, 4);
  LE(&e, flags, 2);
  e += body;
  if (crc) {
    uint32_t c = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(e.data()), e.size()));
    LE(&e, c, 4);
  }
  return e;
}

}  // namespace tidemark::mysql::testing

#endif  // TIDEMARK_TESTS_UNIT_CAPTURE_MYSQL_TEST_UTIL_H_
