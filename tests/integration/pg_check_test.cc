// `tidemark check` against real servers: every missing prerequisite is reported at
// once with its fix, and the exit code says whether any is missing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include <fmt/format.h>

#include "tests/integration/harness.h"

namespace tidemark::itest {
namespace {

TEST(PgCheck, ReportsEveryProblemWithItsFix) {
  TestDb db("it_check");
  db.Exec("CREATE TABLE has_pk (id int PRIMARY KEY)");
  db.Exec("CREATE TABLE no_pk (a int, b text)");
  db.Exec("CREATE TABLE nothing_ident (id int PRIMARY KEY)");
  db.Exec("ALTER TABLE nothing_ident REPLICA IDENTITY NOTHING");
  db.Exec("CREATE TABLE full_ident (a int)");
  db.Exec("ALTER TABLE full_ident REPLICA IDENTITY FULL");
  db.Exec("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'norepl') THEN "
          "CREATE ROLE norepl LOGIN; END IF; END $$");
  std::string dir = TempDir("check");
  std::string config = WriteConfig(
      dir, db, {"public.has_pk", "public.no_pk", "public.nothing_ident", "public.full_ident", "public.ghost"},
      dir + "/out.jsonl");
  // Connect as a role without REPLICATION.
  std::string text;
  {
    std::ifstream in(config);
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  size_t at = text.find("user=postgres");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 13, "user=norepl");
  std::ofstream(config) << text;

  std::string out;
  int code = RunTidemark({"check", "-c", config}, &out);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("lacks the REPLICATION privilege"), std::string::npos) << out;
  EXPECT_NE(out.find("ALTER ROLE norepl WITH REPLICATION"), std::string::npos) << out;
  EXPECT_NE(out.find("table public.no_pk has no primary key"), std::string::npos) << out;
  EXPECT_NE(out.find("ALTER TABLE public.no_pk REPLICA IDENTITY FULL"), std::string::npos) << out;
  EXPECT_NE(out.find("table public.nothing_ident has REPLICA IDENTITY NOTHING"), std::string::npos) << out;
  EXPECT_NE(out.find("table public.ghost does not exist"), std::string::npos) << out;
  EXPECT_EQ(out.find("full_ident"), std::string::npos) << "REPLICA IDENTITY FULL is fine:\n" << out;
  EXPECT_EQ(out.find("has_pk"), std::string::npos) << out;
  EXPECT_NE(out.find("4 problem(s) found"), std::string::npos) << out;
}

TEST(PgCheck, ReportsWalLevelOnAServerWithoutLogicalDecoding) {
  const char* port = std::getenv("TIDEMARK_PG_PLAIN_PORT");
  ASSERT_NE(port, nullptr) << "TIDEMARK_PG_PLAIN_PORT (a server with wal_level=replica) is set by "
                              "scripts/test.sh";
  std::string dir = TempDir("check_wal");
  std::string config = dir + "/pipeline.yaml";
  std::ofstream(config) << fmt::format(
      "pipeline: walcheck\ndata_dir: {}/data\nsource:\n  type: postgres\n"
      "  dsn: \"host=127.0.0.1 port={} user=postgres dbname=postgres\"\n"
      "  tables: [public.t]\nsinks:\n  - name: out\n    type: file\n    path: {}/o.jsonl\n",
      dir, port, dir);
  std::string out;
  EXPECT_EQ(RunTidemark({"check", "-c", config}, &out), 1) << out;
  EXPECT_NE(out.find("wal_level is 'replica'"), std::string::npos) << out;
  EXPECT_NE(out.find("ALTER SYSTEM SET wal_level = logical"), std::string::npos) << out;
  EXPECT_NE(out.find("table public.t does not exist"), std::string::npos) << out;
}

TEST(PgCheck, PassesWhenEverythingIsInPlace) {
  TestDb db("it_check_ok");
  db.Exec("CREATE TABLE fine (id int PRIMARY KEY)");
  std::string dir = TempDir("check_ok");
  std::string out;
  int code = RunTidemark({"check", "-c", WriteConfig(dir, db, {"public.fine"}, dir + "/o.jsonl")}, &out);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("all prerequisites met"), std::string::npos) << out;
}

}  // namespace
}  // namespace tidemark::itest
