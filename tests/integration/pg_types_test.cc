// Every PostgreSQL type tidemark claims, with edge values, from INSERT / UPDATE /
// DELETE / TRUNCATE on a real server through pgoutput, the journal and the file
// sink, compared with the exact JSON value README.md documents for it.
#include <gtest/gtest.h>

#include <map>

#include <fmt/format.h>

#include "tests/integration/harness.h"

namespace tidemark::itest {
namespace {

struct Case {
  std::string type;      // column type
  std::string literal;   // SQL literal inserted
  std::string expected;  // the JSON the file sink must carry
};

// One table per case: t<i>(id int PRIMARY KEY, v <type>).
const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      {"bool", "true", "true"},
      {"bool", "false", "false"},
      {"int2", "-32768", "-32768"},
      {"int4", "2147483647", "2147483647"},
      {"int8", "-9223372036854775808", "-9223372036854775808"},
      {"int8", "9223372036854775807", "9223372036854775807"},
      {"oid", "4294967295", "4294967295"},
      {"float4", "1.1", "1.1"},
      {"float4", "'NaN'", "\"NaN\""},
      {"float4", "'-Infinity'", "\"-Infinity\""},
      {"float8", "1e300", "1e300"},
      {"float8", "0.1", "0.1"},
      {"float8", "'Infinity'", "\"Infinity\""},
      {"float8", "-2.2250738585072014e-308", "-2.2250738585072014e-308"},
      {"numeric", "'12345678901234567890123456789012345678901234567890.000000000000000000001'",
       "\"12345678901234567890123456789012345678901234567890.000000000000000000001\""},
      {"numeric(10,4)", "-12.34", "\"-12.3400\""},
      {"numeric", "'NaN'", "\"NaN\""},
      {"numeric", "'-Infinity'", "\"-Infinity\""},
      {"money", "'-1234567.89'", "\"-1234567.89\""},
      {"text", "'héllo wörld ✓ 日本語 🎉'", "\"héllo wörld ✓ 日本語 🎉\""},
      {"text", "E'tab\\there\\nnew \"q\" \\\\ back'", "\"tab\\there\\nnew \\\"q\\\" \\\\ back\""},
      {"text", "''", "\"\""},
      {"varchar(10)", "'abc'", "\"abc\""},
      {"char(5)", "'ab'", "\"ab   \""},
      {"name", "'a_name'", "\"a_name\""},
      {"bytea", "'\\x00ff10'", "\"AP8Q\""},
      {"bytea", "''", "\"\""},
      {"date", "'2024-02-29'", "\"2024-02-29\""},
      {"date", "'0044-03-15 BC'", "\"-0043-03-15\""},
      {"date", "'infinity'", "\"infinity\""},
      {"date", "'-infinity'", "\"-infinity\""},
      {"time", "'24:00:00'", "\"24:00:00\""},
      {"time(3)", "'13:45:01.5'", "\"13:45:01.5\""},
      {"timetz", "'10:00:00.25+05:30'", "\"10:00:00.25+05:30\""},
      {"timetz", "'23:59:59-08'", "\"23:59:59-08:00\""},
      {"timestamp", "'2024-01-02 03:04:05.123456'", "\"2024-01-02T03:04:05.123456\""},
      {"timestamp", "'1900-01-01 00:00:00'", "\"1900-01-01T00:00:00\""},
      {"timestamp", "'infinity'", "\"infinity\""},
      {"timestamptz", "'2024-01-02 03:04:05.5+02'", "\"2024-01-02T01:04:05.5Z\""},
      {"timestamptz", "'1969-12-31 23:59:59.999999+00'", "\"1969-12-31T23:59:59.999999Z\""},
      {"timestamptz", "'-infinity'", "\"-infinity\""},
      {"interval", "'1 year 2 mons 3 days 04:05:06.789'", "\"P1Y2M3DT4H5M6.789S\""},
      {"interval", "'-1 year -2 mons +3 days -04:05:06.789'", "\"P-1Y-2M3DT-4H-5M-6.789S\""},
      {"interval", "'0'", "\"PT0S\""},
      {"uuid", "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'", "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\""},
      {"json", "'{\"b\": 1, \"a\": [1, 2.5, null]}'", "{\"b\":1,\"a\":[1,2.5,null]}"},
      {"jsonb", "'{\"k\": \"v\", \"n\": 12345678901234567890}'", "{\"k\":\"v\",\"n\":12345678901234567890}"},
      {"inet", "'192.168.0.1/24'", "\"192.168.0.1/24\""},
      {"inet", "'::1'", "\"::1\""},
      {"cidr", "'10.0.0.0/8'", "\"10.0.0.0/8\""},
      {"macaddr", "'08:00:2B:01:02:03'", "\"08:00:2b:01:02:03\""},
      {"bit(4)", "B'1010'", "\"1010\""},
      {"varbit", "B'10111'", "\"10111\""},
      {"mood", "'happy'", "\"happy\""},
      {"posint", "42", "42"},
      {"int4[]", "'{1,NULL,3}'", "[1,null,3]"},
      {"int4[]", "'{}'", "[]"},
      {"text[]", "ARRAY['a b', 'q\"uote', NULL, '', 'back\\slash']",
       "[\"a b\",\"q\\\"uote\",null,\"\",\"back\\\\slash\"]"},
      {"numeric[]", "'{1.50,NaN}'", "[\"1.50\",\"NaN\"]"},
      {"mood[]", "'{happy,sad}'", "[\"happy\",\"sad\"]"},
      {"bytea[]", "ARRAY['\\x01'::bytea, NULL]", "[\"AQ==\",null]"},
      {"timestamptz[]", "ARRAY['2024-01-01 00:00:00+00'::timestamptz]", "[\"2024-01-01T00:00:00Z\"]"},
      {"date[]", "ARRAY['2000-01-01'::date, 'infinity']", "[\"2000-01-01\",\"infinity\"]"},
      {"bool[]", "'{t,f}'", "[true,false]"},
      {"uuid[]", "ARRAY['00000000-0000-0000-0000-000000000001'::uuid]",
       "[\"00000000-0000-0000-0000-000000000001\"]"},
      {"float8[]", "'{NaN,1.5}'", "[\"NaN\",1.5]"},
  };
  return cases;
}

class PgTypes : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = new TestDb("it_types");
    db_->Exec("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
    db_->Exec("CREATE DOMAIN posint AS int4 CHECK (VALUE > 0)");
    std::vector<std::string> tables;
    for (size_t i = 0; i < Cases().size(); ++i) {
      db_->Exec(fmt::format("CREATE TABLE t{} (id int PRIMARY KEY, v {})", i, Cases()[i].type));
      tables.push_back(fmt::format("public.t{}", i));
    }
    db_->Exec("CREATE TABLE toasty (id int PRIMARY KEY, big text, n int)");
    db_->Exec("CREATE TABLE fullrow (id int PRIMARY KEY, a text, b numeric)");
    db_->Exec("ALTER TABLE fullrow REPLICA IDENTITY FULL");
    db_->Exec("CREATE TABLE gone (id int PRIMARY KEY)");
    tables.insert(tables.end(), {"public.toasty", "public.fullrow", "public.gone"});
    std::string dir = TempDir("types");
    out_ = new std::string(dir + "/events.jsonl");
    tm_ = new Tidemark({"run", "-c", WriteConfig(dir, *db_, tables, *out_)});
    ASSERT_TRUE(Eventually(
        [&] {
          return db_->Value("SELECT count(*) FROM pg_replication_slots WHERE slot_name = "
                            "'tidemark_it_types' AND active") == "1";
        },
        30));
    size_t expected = 0;
    for (size_t i = 0; i < Cases().size(); ++i) {
      const auto& c = Cases()[i];
      db_->Exec(fmt::format("INSERT INTO t{0} VALUES (1, {1}), (2, NULL)", i, c.literal));
      db_->Exec(fmt::format("UPDATE t{0} SET v = {1} WHERE id = 2", i, c.literal));
      db_->Exec(fmt::format("DELETE FROM t{0} WHERE id = 1", i));
      expected += 4;
    }
    // TOAST: a large incompressible value left untouched by an UPDATE.
    db_->Exec("INSERT INTO toasty SELECT 1, string_agg(md5(g::text), ''), 0 FROM generate_series(1, 400) g");
    db_->Exec("UPDATE toasty SET n = 1 WHERE id = 1");
    db_->Exec("INSERT INTO fullrow VALUES (1, 'x', 1.50)");
    db_->Exec("UPDATE fullrow SET a = 'y' WHERE id = 1");
    db_->Exec("DELETE FROM fullrow WHERE id = 1");
    db_->Exec("INSERT INTO gone VALUES (1)");
    db_->Exec("TRUNCATE gone");
    expected += 2 + 3 + 2;
    ASSERT_TRUE(Eventually([&] { return CountNewlines(*out_) >= expected; }, 120))
        << CountNewlines(*out_) << " of " << expected << " lines; log " << tm_->log_path();
    EXPECT_EQ(tm_->Stop(), 0);
    for (auto& l : ReadJsonLines(*out_)) {
      (*by_table_)[l["source"]["table"].get<std::string>()].push_back(l);
    }
  }
  static void TearDownTestSuite() {
    delete tm_;
    delete db_;
    delete out_;
  }
  static std::vector<nlohmann::json>& Lines(const std::string& table) { return (*by_table_)[table]; }

  static TestDb* db_;
  static Tidemark* tm_;
  static std::string* out_;
  static std::map<std::string, std::vector<nlohmann::json>>* by_table_;
};
TestDb* PgTypes::db_ = nullptr;
Tidemark* PgTypes::tm_ = nullptr;
std::string* PgTypes::out_ = nullptr;
std::map<std::string, std::vector<nlohmann::json>>* PgTypes::by_table_ =
    new std::map<std::string, std::vector<nlohmann::json>>();

TEST_F(PgTypes, EveryTypeRoundTripsExactly) {
  for (size_t i = 0; i < Cases().size(); ++i) {
    const auto& c = Cases()[i];
    SCOPED_TRACE(fmt::format("t{}: {} {}", i, c.type, c.literal));
    auto& lines = Lines(fmt::format("t{}", i));
    ASSERT_EQ(lines.size(), 4u);
    nlohmann::json want = nlohmann::json::parse(c.expected);
    EXPECT_EQ(lines[0]["op"], "c");
    EXPECT_EQ(lines[0]["after"]["v"], want) << lines[0].dump();
    EXPECT_EQ(lines[0]["after"]["id"], 1);
    EXPECT_EQ(lines[1]["op"], "c");
    EXPECT_TRUE(lines[1]["after"]["v"].is_null()) << lines[1].dump();
    EXPECT_EQ(lines[2]["op"], "u");
    EXPECT_EQ(lines[2]["after"]["v"], want) << lines[2].dump();
    EXPECT_TRUE(lines[2]["before"].is_null()) << "DEFAULT identity, key unchanged: no old tuple";
    EXPECT_EQ(lines[3]["op"], "d");
    EXPECT_EQ(lines[3]["before"], nlohmann::json::parse(R"({"id":1})")) << lines[3].dump();
    EXPECT_TRUE(lines[3]["after"].is_null());
  }
}

TEST_F(PgTypes, LargeIntegersKeepEveryDigitInTheText) {
  // JSON parsers may read numbers as doubles; the file must carry every digit.
  auto& lines = Lines("t4");
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines[0].dump().find("-9223372036854775808"), std::string::npos);
}

TEST_F(PgTypes, UnchangedToastedValueIsMarkedNotNull) {
  auto& lines = Lines("toasty");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["after"]["big"].get<std::string>().size(), 400u * 32);
  EXPECT_EQ(lines[1]["op"], "u");
  EXPECT_FALSE(lines[1]["after"].contains("big")) << lines[1].dump();
  EXPECT_EQ(lines[1]["unchanged"], nlohmann::json::parse(R"(["big"])"));
  EXPECT_EQ(lines[1]["after"]["n"], 1);
}

TEST_F(PgTypes, ReplicaIdentityFullCarriesWholeBeforeImages) {
  auto& lines = Lines("fullrow");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1]["before"], nlohmann::json::parse(R"({"id":1,"a":"x","b":"1.50"})"));
  EXPECT_EQ(lines[1]["after"], nlohmann::json::parse(R"({"id":1,"a":"y","b":"1.50"})"));
  EXPECT_EQ(lines[2]["before"], nlohmann::json::parse(R"({"id":1,"a":"y","b":"1.50"})"));
}

TEST_F(PgTypes, TruncateIsAnEvent) {
  auto& lines = Lines("gone");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["op"], "t");
  EXPECT_TRUE(lines[1]["before"].is_null());
  EXPECT_TRUE(lines[1]["after"].is_null());
}

}  // namespace
}  // namespace tidemark::itest
