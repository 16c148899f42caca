#include "tests/unit/capture_pg/pg_test_util.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/positions.h"

namespace tidemark::pg::testing {

std::string FixturePath(std::string_view name) {
  return std::string(TIDEMARK_SOURCE_DIR) + "/tests/fixtures/pg/" + std::string(name);
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {
int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}
}  // namespace

std::vector<FixtureMessage> LoadMessages(std::string_view fixture) {
  std::vector<FixtureMessage> out;
  std::istringstream in(ReadFileOrDie(FixturePath(std::string(fixture) + ".msgs")));
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    size_t space = line.find(' ');
    EXPECT_NE(space, std::string::npos) << fixture << ":" << n;
    if (space == std::string::npos) continue;
    FixtureMessage m;
    m.line = n;
    auto lsn = ParseLsn(line.substr(0, space));
    EXPECT_TRUE(lsn.ok()) << fixture << ":" << n << " " << lsn.status();
    m.lsn = lsn.value_or(0);
    std::string_view hex = std::string_view(line).substr(space + 1);
    EXPECT_EQ(hex.size() % 2, 0u) << fixture << ":" << n;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
      int hi = Hex(hex[i]), lo = Hex(hex[i + 1]);
      EXPECT_TRUE(hi >= 0 && lo >= 0) << fixture << ":" << n;
      m.bytes += static_cast<char>(hi * 16 + lo);
    }
    out.push_back(std::move(m));
  }
  EXPECT_FALSE(out.empty()) << fixture;
  return out;
}

void LoadTypes(TypeCatalog* catalog) {
  std::istringstream in(ReadFileOrDie(FixturePath("types.tsv")));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::istringstream fields(line);
    std::string field;
    while (std::getline(fields, field, '\t')) f.push_back(field);
    ASSERT_EQ(f.size(), 6u) << line;
    auto info = PgTypeInfoFromRow(f[0], f[1], f[2], f[3], f[4], f[5]);
    ASSERT_TRUE(info.ok()) << info.status();
    catalog->Add(*info);
  }
}

}  // namespace tidemark::pg::testing
