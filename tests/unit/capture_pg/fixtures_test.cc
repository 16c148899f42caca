// Decodes the pgoutput messages recorded from PostgreSQL 15 (tests/fixtures/pg/
// record.sh) and compares the journal entries with the committed goldens
// (<fixture>.golden.txtpb). TIDEMARK_UPDATE_GOLDEN=1 rewrites the goldens instead;
// review the diff before committing. Before each message is decoded, every strict
// prefix of it must fail cleanly with kDataLoss and leave the decoder unchanged.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "capture/pg/decoder.h"
#include "common/positions.h"
#include "tests/unit/capture_pg/pg_test_util.h"

namespace tidemark::pg {
namespace {

using ::testing::HasSubstr;

struct Result {
  std::string golden;               // text of every entry and error, in order
  std::vector<absl::Status> errors;  // failed Decode calls
  std::vector<v1::JournalEntry> entries;
};

Result DecodeFixture(std::string_view fixture, bool sweep) {
  TypeCatalog types;
  testing::LoadTypes(&types);
  auto registry = SchemaRegistry::Open("");
  EXPECT_TRUE(registry.ok());
  PgDecoder decoder(DecoderOptions{"postgres"}, &types, registry->get());
  Result r;
  google::protobuf::TextFormat::Printer printer;
  for (const auto& m : testing::LoadMessages(fixture)) {
    auto missing = decoder.MissingTypes(m.bytes);
    EXPECT_TRUE(missing.ok() && missing->empty())
        << fixture << ":" << m.line << " types.tsv lacks a type the relation uses";
    if (sweep) {
      for (size_t n = 0; n < m.bytes.size(); ++n) {
        std::vector<v1::JournalEntry> out;
        absl::Status s = decoder.Decode(std::string_view(m.bytes).substr(0, n), m.lsn, &out);
        if (s.code() != absl::StatusCode::kDataLoss || !out.empty()) {
          ADD_FAILURE() << fixture << ":" << m.line << " prefix " << n << ": " << s;
          return r;
        }
      }
    }
    auto parsed = ParsePgoutputMessage(m.bytes);
    r.golden += fmt::format("# {} {}\n", FormatLsn(m.lsn),
                            parsed.ok() ? MessageName(*parsed) : "?");
    std::vector<v1::JournalEntry> out;
    absl::Status s = decoder.Decode(m.bytes, m.lsn, &out);
    if (!s.ok()) {
      r.golden += fmt::format("# error: {}\n", s.ToString());
      r.errors.push_back(s);
    }
    for (const auto& e : out) {
      std::string text;
      printer.PrintToString(e, &text);
      r.golden += "entry {\n" + text + "}\n";
      r.entries.push_back(e);
    }
  }
  return r;
}

void CheckGolden(std::string_view fixture, const Result& r) {
  std::string path = testing::FixturePath(std::string(fixture) + ".golden.txtpb");
  const char* update = std::getenv("TIDEMARK_UPDATE_GOLDEN");
  if (update != nullptr && std::string_view(update) == "1") {
    std::ofstream(path, std::ios::binary) << r.golden;
    GTEST_SKIP() << "rewrote " << path;
  }
  std::string want = testing::ReadFileOrDie(path);
  EXPECT_EQ(r.golden, want) << "decoded " << fixture
                            << " differs from its golden; if intended, rerun with "
                               "TIDEMARK_UPDATE_GOLDEN=1 and review the diff";
}

class Fixture : public ::testing::TestWithParam<const char*> {};

TEST_P(Fixture, MatchesGoldenAndSurvivesTruncation) {
  Result r = DecodeFixture(GetParam(), /*sweep=*/true);
  if (std::string_view(GetParam()) != "refused") {
    for (const auto& s : r.errors) ADD_FAILURE() << s;
  }
  CheckGolden(GetParam(), r);
}

INSTANTIATE_TEST_SUITE_P(Pg15, Fixture,
                         ::testing::Values("types", "identity", "toast", "truncate_message",
                                           "refused"));

std::vector<const v1::ChangeEvent*> Events(const Result& r) {
  std::vector<const v1::ChangeEvent*> out;
  for (const auto& e : r.entries) {
    if (e.has_event()) out.push_back(&e.event());
  }
  return out;
}

// Spot checks of the recorded values, independent of the goldens.
TEST(Pg15Fixture, TypesValues) {
  Result r = DecodeFixture("types", false);
  auto ev = Events(r);
  ASSERT_EQ(ev.size(), 7u);
  const v1::Row& a = ev[0]->after();
  EXPECT_EQ(a.values(3).int_value(), -2147483648LL);
  EXPECT_EQ(a.values(5).uint_value(), 4294967295u);
  EXPECT_EQ(a.values(8).decimal_value(), "12345678901234567890.123456789");
  EXPECT_EQ(a.values(9).decimal_value(), "12345678.1234");
  EXPECT_EQ(a.values(10).decimal_value(), "-1234.56");
  EXPECT_EQ(a.values(11).text_value(), "héllo wörld ✓ 日本語");
  EXPECT_EQ(a.values(13).text_value(), "ab   ");  // char(5) is blank-padded
  EXPECT_EQ(a.values(16).date_days(), 19782);
  EXPECT_EQ(a.values(19).timestamp_micros(), 1704164645000006LL);
  EXPECT_EQ(a.values(20).timestamptz_micros(), 1704157445123456LL);
  EXPECT_EQ(a.values(33).int_value(), 42);  // posint domain
  EXPECT_EQ(a.values(32).enum_label(), "happy");
  const v1::Row& b = ev[1]->after();
  EXPECT_EQ(b.values(16).date_days(), -735160);  // 0044-03-15 BC
  EXPECT_EQ(b.values(17).time_micros(), 86400LL * 1000000);
  EXPECT_EQ(b.values(18).timetz().offset_seconds(), -8 * 3600);
  EXPECT_TRUE(b.values(20).infinity().negative() == false && b.values(20).has_infinity());
  EXPECT_EQ(b.values(22).interval().months(), -14);
  const v1::Row& e = ev[4]->after();
  EXPECT_EQ(e.values(8).decimal_value(), std::string(1000, '9') + "." + std::string(500, '1'));
  EXPECT_EQ(e.values(16).date_days(), 2145042905);
  const v1::Row& g = ev[6]->after();
  for (int i = 1; i < g.values_size(); ++i) EXPECT_TRUE(g.values(i).has_null_value()) << i;
}

TEST(Pg15Fixture, IdentityToastAndTruncate) {
  Result id = DecodeFixture("identity", false);
  int key_only = 0, full = 0, no_before = 0;
  uint32_t max_version = 0;
  for (const auto* e : Events(id)) {
    if (e->op() == v1::OP_UPDATE || e->op() == v1::OP_DELETE) {
      if (!e->has_before()) {
        ++no_before;
      } else if (e->before().key_only()) {
        ++key_only;
      } else {
        ++full;
      }
    }
    if (e->table().table() == "rid_default") max_version = std::max(max_version, e->schema_version());
  }
  EXPECT_EQ(key_only, 4);   // rid_default key update + delete, rid_index key update + delete
  EXPECT_EQ(full, 2);       // rid_full update + delete
  EXPECT_EQ(no_before, 2);  // non-key updates of rid_default and rid_index
  EXPECT_EQ(max_version, 2u);

  Result toast = DecodeFixture("toast", false);
  auto ev = Events(toast);
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(ev[0]->after().values(1).text_value().size(), 9600u);
  EXPECT_TRUE(ev[1]->after().values(1).has_unchanged());
  EXPECT_EQ(ev[1]->after().values(2).int_value(), 2);
  EXPECT_EQ(ev[2]->after().values(1).text_value(), "small now");

  Result t = DecodeFixture("truncate_message", false);
  int truncates = 0, messages = 0;
  for (const auto* e : Events(t)) {
    if (e->op() == v1::OP_TRUNCATE) {
      ++truncates;
      bool first_statement = e->table().table() == "seq_t" || e->table().table() == "rid_full";
      EXPECT_EQ(e->truncate_cascade(), first_statement) << e->table().table();
      EXPECT_EQ(e->truncate_restart_identity(), first_statement) << e->table().table();
    }
  }
  for (const auto& e : t.entries) messages += e.has_message();
  EXPECT_EQ(truncates, 3);
  EXPECT_EQ(messages, 2);
}

TEST(Pg15Fixture, RefusedValuesNameTheColumn) {
  Result r = DecodeFixture("refused", false);
  ASSERT_EQ(r.errors.size(), 4u);
  EXPECT_EQ(r.errors[0].code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.errors[0].message(), HasSubstr("public.bad_arrays column a"));
  EXPECT_THAT(r.errors[0].message(), HasSubstr("multi-dimensional"));
  EXPECT_THAT(r.errors[1].message(), HasSubstr("explicit bounds"));
  EXPECT_EQ(r.errors[2].code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.errors[2].message(),
              HasSubstr("column public.docs.body has type tsvector (oid 3614)"));
  EXPECT_EQ(r.errors[3].code(), absl::StatusCode::kDataLoss);  // its Insert: relation unknown
}

}  // namespace
}  // namespace tidemark::pg
