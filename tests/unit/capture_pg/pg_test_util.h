// Builders for hand-made pgoutput messages and fixture loading, shared by the
// capture_pg tests.
#ifndef TIDEMARK_TESTS_UNIT_CAPTURE_PG_PG_TEST_UTIL_H_
#define TIDEMARK_TESTS_UNIT_CAPTURE_PG_PG_TEST_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capture/pg/type_catalog.h"

namespace tidemark::pg::testing {

// Big-endian message builder: Msg('I').U32(16384).U8('N').Tuple({"1", std::nullopt}).
class Msg {
 public:
  explicit Msg(char tag) { bytes_ += tag; }
  Msg& U8(uint8_t v) { return Int(v, 1); }
  Msg& U16(uint16_t v) { return Int(v, 2); }
  Msg& U32(uint32_t v) { return Int(v, 4); }
  Msg& U64(uint64_t v) { return Int(v, 8); }
  Msg& Str(std::string_view s) {
    bytes_.append(s);
    bytes_ += '\0';
    return *this;
  }
  Msg& Raw(std::string_view s) {
    bytes_.append(s);
    return *this;
  }
  // TupleData of text columns; nullopt is 'n', "\x01u" (kUnchanged) is 'u'.
  Msg& Tuple(const std::vector<std::optional<std::string>>& cols) {
    U16(static_cast<uint16_t>(cols.size()));
    for (const auto& c : cols) {
      if (!c.has_value()) {
        U8('n');
      } else if (*c == kUnchanged) {
        U8('u');
      } else {
        U8('t').U32(static_cast<uint32_t>(c->size())).Raw(*c);
      }
    }
    return *this;
  }
  const std::string& str() const { return bytes_; }
  operator std::string_view() const { return bytes_; }

  static constexpr std::string_view kUnchanged = "\x01u";

 private:
  Msg& Int(uint64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) bytes_ += static_cast<char>((v >> (8 * i)) & 0xff);
    return *this;
  }
  std::string bytes_;
};

inline PgTypeInfo Info(uint32_t oid, std::string name, char typtype = 'b',
                       uint32_t base_oid = 0, uint32_t element_oid = 0,
                       std::vector<std::string> labels = {}) {
  PgTypeInfo info;
  info.oid = oid;
  info.name = std::move(name);
  info.typtype = typtype;
  info.base_oid = base_oid;
  info.element_oid = element_oid;
  info.enum_labels = std::move(labels);
  return info;
}

struct FixtureMessage {
  uint64_t lsn = 0;
  std::string bytes;
  int line = 0;
};

std::string FixturePath(std::string_view name);  // tests/fixtures/pg/<name>
std::string ReadFileOrDie(const std::string& path);
// Parses the "<lsn> <hex>" lines of tests/fixtures/pg/<fixture>.msgs; fails the test on a malformed line.
std::vector<FixtureMessage> LoadMessages(std::string_view fixture);
// Adds the rows of tests/fixtures/pg/types.tsv to `catalog`.
void LoadTypes(TypeCatalog* catalog);

}  // namespace tidemark::pg::testing

#endif  // TIDEMARK_TESTS_UNIT_CAPTURE_PG_PG_TEST_UTIL_H_
