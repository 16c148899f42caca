// The tidemark command line as a user meets it: --help and --version, config errors
// that name key and line, and machine-readable JSON logs.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "tests/integration/harness.h"

namespace tidemark::itest {
namespace {

TEST(Cli, HelpForTheToolAndEachCommand) {
  std::string out;
  EXPECT_EQ(RunTidemark({"--help"}, &out), 0);
  for (const char* cmd : {"run", "check", "journal", "checkpoints", "config"}) {
    EXPECT_NE(out.find(cmd), std::string::npos) << out;
  }
  for (std::vector<std::string> cmd : std::vector<std::vector<std::string>>{
           {"run"}, {"check"}, {"journal", "inspect"}, {"checkpoints"}, {"config", "show"}}) {
    std::string sub;
    cmd.push_back("--help");
    EXPECT_EQ(RunTidemark(cmd, &sub), 0) << sub;
    EXPECT_NE(sub.find("--config"), std::string::npos) << cmd[0] << ": " << sub;
  }
  EXPECT_EQ(RunTidemark({"--version"}, &out), 0);
  EXPECT_NE(out.find("tidemark 0."), std::string::npos) << out;
  EXPECT_EQ(RunTidemark({"frobnicate"}, &out), 2) << out;
  EXPECT_EQ(RunTidemark({"run"}, &out), 2) << out;
  EXPECT_NE(out.find("--config is required"), std::string::npos) << out;
}

TEST(Cli, ConfigErrorNamesKeyAndLineAndExits2) {
  std::string dir = TempDir("cli_config");
  std::string path = dir + "/bad.yaml";
  std::ofstream(path) << "pipeline: bad\nsource:\n  type: postgres\n  dsn: \"host=x\"\n  tabels: [a.b]\n"
                         "sinks:\n  - name: f\n    type: file\n    path: /tmp/x\n";
  std::string out;
  EXPECT_EQ(RunTidemark({"run", "-c", path}, &out), 2);
  EXPECT_NE(out.find("bad.yaml:5:3: unknown key 'tabels'"), std::string::npos) << out;
}

TEST(Cli, ConfigShowFillsDefaultsAndHidesSecrets) {
  std::string dir = TempDir("cli_show");
  std::string path = dir + "/p.yaml";
  std::ofstream(path) << "pipeline: shop\nsource:\n  type: postgres\n  dsn: \"host=h dbname=d\"\n"
                         "  password_env: TM_TEST_SECRET\n  tables: [public.t]\n"
                         "sinks:\n  - name: f\n    type: file\n    path: /tmp/x.jsonl\n";
  setenv("TM_TEST_SECRET", "hunter2-secret", 1);
  std::string out;
  EXPECT_EQ(RunTidemark({"config", "show", "-c", path}, &out), 0) << out;
  EXPECT_NE(out.find("tidemark_shop"), std::string::npos) << out;  // default slot
  EXPECT_NE(out.find("TM_TEST_SECRET"), std::string::npos) << out;
  EXPECT_EQ(out.find("hunter2-secret"), std::string::npos) << out;
}

TEST(Cli, JsonLogsAreOneObjectPerLine) {
  TestDb db("it_cli_json");
  db.Exec("CREATE TABLE plain (id int PRIMARY KEY)");
  std::string dir = TempDir("cli_json");
  std::string config = WriteConfig(dir, db, {"public.plain"}, dir + "/o.jsonl");
  Tidemark tm({"--log-format", "json", "run", "-c", config});
  auto log_has = [&](const std::string& needle) {
    std::ifstream f(tm.log_path());
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str().find(needle) != std::string::npos;
  };
  ASSERT_TRUE(Eventually([&] { return log_has("streaming slot"); }, 30));
  db.Exec("INSERT INTO plain VALUES (1), (2)");
  ASSERT_TRUE(Eventually([&] { return CountNewlines(dir + "/o.jsonl") == 2; }, 30));
  EXPECT_EQ(tm.Stop(), 0);

  // The journal holds begin, schema (pgoutput sends Relation inside the transaction),
  // two events and commit, readable while stopped.
  std::string inspect;
  ASSERT_EQ(RunTidemark({"--log-level", "warn", "journal", "inspect", "-c", config}, &inspect), 0)
      << inspect;
  std::istringstream entries(inspect);
  std::string entry;
  std::vector<std::string> kinds;
  while (std::getline(entries, entry)) {
    auto j = nlohmann::json::parse(entry, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << entry;
    EXPECT_EQ(j["offset"].get<size_t>(), kinds.size());
    kinds.push_back(j["entry"].begin().key());
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"begin", "schema", "event", "event", "commit"}));
  std::ifstream f(tm.log_path());
  std::string line;
  int lines = 0;
  while (std::getline(f, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << line;
    EXPECT_TRUE(j.contains("ts") && j.contains("level") && j.contains("msg")) << line;
    ++lines;
  }
  EXPECT_GE(lines, 3);
}

}  // namespace
}  // namespace tidemark::itest
