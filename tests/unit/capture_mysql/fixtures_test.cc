// Replays the MariaDB 10.11 binlogs recorded by tests/fixtures/mysql/record.sh through
// the parser and decoder and compares the journal entries with the committed goldens
// (<fixture>.golden.txtpb). TIDEMARK_UPDATE_GOLDEN=1 rewrites the goldens instead;
// review the diff before committing. Truncation sweeps: every strict prefix of every
// event fails with kDataLoss and appends nothing; every body prefix re-framed as a
// complete event (length and CRC fixed up) parses or fails cleanly, never crashes.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "capture/mysql/decoder.h"

namespace tidemark::mysql {
namespace {

using ::testing::HasSubstr;

std::string Dir() { return std::string(TIDEMARK_SOURCE_DIR) + "/tests/fixtures/mysql/"; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The events of a binlog file (after the 4-byte magic).
std::vector<std::string_view> Events(const std::string& file) {
  std::vector<std::string_view> out;
  EXPECT_EQ(file.substr(0, 4), std::string("\xfe" "bin", 4));
  size_t off = 4;
  while (off + 19 <= file.size()) {
    uint32_t len = 0;
    for (int i = 0; i < 4; ++i) len |= static_cast<uint32_t>(static_cast<uint8_t>(file[off + 9 + i])) << (8 * i);
    out.push_back(std::string_view(file).substr(off, len));
    off += len;
  }
  EXPECT_EQ(off, file.size());
  return out;
}

struct Result {
  std::string golden;
  std::vector<absl::Status> errors;
  std::vector<v1::JournalEntry> entries;
};

Result Replay(const std::string& name, bool sweep, std::set<std::string> tables = {}) {
  std::string bytes = ReadFile(Dir() + name + ".binlog");
  auto registry = SchemaRegistry::Open("");
  EXPECT_TRUE(registry.ok());
  MysqlDecoderOptions opt;
  opt.initial_checksum_alg = BINLOG_CHECKSUM_ALG_OFF;  // a file starts with its FDE
  opt.tables = std::move(tables);
  MysqlDecoder decoder(opt, registry->get());
  EXPECT_TRUE(decoder.SetStart("mariadb-bin.000001", "").ok());
  Result r;
  google::protobuf::TextFormat::Printer printer;
  for (std::string_view ev : Events(bytes)) {
    if (sweep) {
      for (size_t n = 0; n < ev.size(); ++n) {
        std::vector<v1::JournalEntry> out;
        absl::Status s = decoder.Decode(ev.substr(0, n), &out);
        if (s.code() != absl::StatusCode::kDataLoss || !out.empty()) {
          ADD_FAILURE() << name << " event at " << decoder.pos() << " prefix " << n << ": " << s;
          return r;
        }
      }
    }
    auto h = ParseEventHeader(ev, "fixture");
    r.golden += fmt::format("# {} end {}\n", h.ok() ? EventTypeName(h->type_code) : "?",
                            h.ok() ? h->log_pos : 0);
    std::vector<v1::JournalEntry> out;
    absl::Status s = decoder.Decode(ev, &out);
    if (!s.ok()) {
      r.golden += fmt::format("# error: {}\n", s.ToString());
      r.errors.push_back(s);
    }
    for (const auto& e : out) {
      std::string text;
      printer.PrintToString(e, &text);
      r.golden += text + "---\n";
      r.entries.push_back(e);
    }
  }
  return r;
}

void CompareGolden(const std::string& name, const Result& r) {
  std::string path = Dir() + name + ".golden.txtpb";
  if (std::getenv("TIDEMARK_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path) << r.golden;
    return;
  }
  EXPECT_EQ(r.golden, ReadFile(path)) << "golden " << path
                                      << " differs (TIDEMARK_UPDATE_GOLDEN=1 rewrites it)";
}

TEST(MysqlFixtures, TypesMatchGolden) {
  Result r = Replay("types", false);
  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
  CompareGolden("types", r);
  // Spot checks independent of the golden.
  int inserts = 0, ddl = 0, truncates = 0;
  for (const auto& e : r.entries) {
    if (!e.has_event()) continue;
    inserts += e.event().op() == v1::OP_INSERT;
    ddl += e.event().op() == v1::OP_DDL;
    truncates += e.event().op() == v1::OP_TRUNCATE;
  }
  EXPECT_EQ(inserts, 3 + 2 + 1 + 1);
  EXPECT_EQ(ddl, 4);  // CREATE, 2x ALTER, RENAME
  EXPECT_EQ(truncates, 1);
  const v1::ChangeEvent* first = nullptr;
  for (const auto& e : r.entries) {
    if (e.has_event() && e.event().op() == v1::OP_INSERT) { first = &e.event(); break; }
  }
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->after().values(10).uint_value(), 18446744073709551615ULL);
  EXPECT_EQ(first->after().values(11).decimal_value(),
            "-99999999999999999999999999999999999.999999999999999999999999999999");
  EXPECT_EQ(first->after().values(28).text_value(), "caf\xc3\xa9 \xe2\x82\xac");  // latin1 é €
  EXPECT_EQ(first->after().values(22).text_value(), "0000-00-00 00:00:00");       // zero datetime
}

// Transactions that touch no wanted table leave nothing in the journal (no empty
// TxnBegin/TxnCommit pairs): unrelated traffic, such as a sink's checkpoint writes
// to the source server, must not feed back through the sinks.
TEST(MysqlFixtures, TransactionsWithoutWantedTablesLeaveNoEntries) {
  Result all = Replay("types", false);
  Result none = Replay("types", false, {"cdc.no_such_table"});
  EXPECT_TRUE(none.errors.empty());
  size_t begins = 0;
  for (size_t i = 0; i < none.entries.size(); ++i) {
    const auto& e = none.entries[i];
    if (e.has_begin()) ++begins;
    if (e.has_event()) {
      EXPECT_TRUE(e.event().op() == v1::OP_DDL && e.event().table().table().empty())
          << "an event of a table outside the list: " << e.ShortDebugString();
    }
    if (e.has_begin()) {
      ASSERT_LT(i + 1, none.entries.size());
      EXPECT_FALSE(none.entries[i + 1].has_commit()) << "an empty transaction at entry " << i;
    }
  }
  size_t all_begins = 0;
  for (const auto& e : all.entries) all_begins += e.has_begin();
  EXPECT_GT(all_begins, begins);
  // A commit that is kept carries the same position (GTIDs of skipped transactions
  // included) as without the filter.
  for (const auto& e : none.entries) {
    if (!e.has_commit()) continue;
    bool found = false;
    for (const auto& f : all.entries) {
      if (f.has_commit() && f.commit().position().mysql().pos() == e.commit().position().mysql().pos()) {
        EXPECT_EQ(f.commit().position().mysql().gtid_set(), e.commit().position().mysql().gtid_set());
        found = true;
      }
    }
    EXPECT_TRUE(found);
  }
}

TEST(MysqlFixtures, TypesTruncationSweep) { Replay("types", true); }

TEST(MysqlFixtures, MinimalMetadataNamesTheTable) {
  Result r = Replay("minimal", true);
  CompareGolden("minimal", r);
  ASSERT_GE(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(r.errors[0].message()), HasSubstr("table cdc.m: schema unknown"));
  EXPECT_THAT(std::string(r.errors[0].message()), HasSubstr("binlog_row_metadata=FULL"));
}

// Body prefixes re-framed as complete events with a valid CRC: the body parsers must
// fail cleanly (or parse) on every length.
TEST(MysqlFixtures, BodyTruncationSweep) {
  std::string bytes = ReadFile(Dir() + "types.binlog");
  for (std::string_view ev : Events(bytes)) {
    for (size_t n = 19; n + 4 <= ev.size(); ++n) {
      std::string e(ev.substr(0, n));
      uint32_t len = static_cast<uint32_t>(n + 4);
      for (int i = 0; i < 4; ++i) e[9 + i] = static_cast<char>(len >> (8 * i));
      uint32_t crc = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(e.data()), e.size()));
      for (int i = 0; i < 4; ++i) e.push_back(static_cast<char>(crc >> (8 * i)));
      BinlogParser parser(BINLOG_CHECKSUM_ALG_CRC32);
      // Give the parser the file's format description first.
      auto fde = parser.Parse(Events(bytes)[0], "fde");
      ASSERT_TRUE(fde.ok()) << fde.status();
      auto parsed = parser.Parse(e, "sweep");
      if (!parsed.ok()) {
        EXPECT_EQ(parsed.status().code(), absl::StatusCode::kDataLoss) << parsed.status();
      }
    }
  }
}

}  // namespace
}  // namespace tidemark::mysql
