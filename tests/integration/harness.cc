#include "tests/integration/harness.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <string_view>
#include <fstream>
#include <iterator>
#include <iostream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace tidemark::itest {

namespace {
// The variable `name` that scripts/test.sh exports; the test fails (not skips) without it,
// and `fallback` keeps the caller going to that failure.
std::string TestEnv(const char* name, std::string_view what_starts_it, const char* fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr) {
    ADD_FAILURE() << name << " is not set: run the integration tests through scripts/test.sh"
                  << what_starts_it;
    return fallback;
  }
  return v;
}
constexpr std::string_view kStartsPg = ", which starts the PostgreSQL test server";
}  // namespace

std::string PgPort() { return TestEnv("TIDEMARK_PG_PORT", kStartsPg, "0"); }

std::string PgSocketDir() { return TestEnv("TIDEMARK_PG_SOCKET_DIR", kStartsPg, "/nonexistent"); }

std::string TidemarkBin() { return TestEnv("TIDEMARK_BIN", "", "/nonexistent/tidemark"); }

std::string TempDir(const std::string& name) {
  const char* base = std::getenv("TIDEMARK_TEST_TMP");
  std::string dir = fmt::format("{}/{}", base ? base : "/tmp/tidemark-itest", name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

namespace {
std::string AdminDsn() { return fmt::format("host=127.0.0.1 port={} user=postgres dbname=postgres", PgPort()); }

std::unique_ptr<PgConn> MustConnect(const std::string& dsn) {
  auto c = PgConn::Connect(dsn, "");
  if (!c.ok()) {
    ADD_FAILURE() << c.status();
    std::abort();
  }
  return std::move(*c);
}
}  // namespace

TestDb::TestDb(std::string name) : name_(std::move(name)) {
  auto admin = MustConnect(AdminDsn());
  auto slots = admin->ExecParams("SELECT slot_name FROM pg_replication_slots WHERE database = $1",
                                 {name_}, "slots");
  if (slots.ok()) {
    for (int i = 0; i < PQntuples(slots->get()); ++i) {
      (void)admin->ExecParams("SELECT pg_drop_replication_slot($1)", {PgValue(*slots, i, 0)}, "drop slot");
    }
  }
  auto d = admin->Exec(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", admin->Quote(name_)), "drop");
  EXPECT_TRUE(d.ok()) << d.status();
  auto c = admin->Exec(fmt::format("CREATE DATABASE {}", admin->Quote(name_)), "create");
  EXPECT_TRUE(c.ok()) << c.status();
  conn_ = MustConnect(dsn());
}

TestDb::~TestDb() = default;

std::string TestDb::dsn() const {
  return fmt::format("host={} port={} user=postgres dbname={}", host_, PgPort(), name_);
}

void TestDb::Exec(const std::string& sql) {
  auto r = conn_->Exec(sql, "test SQL");
  ASSERT_TRUE(r.ok()) << r.status() << "\nSQL: " << sql;
}

std::vector<std::vector<std::string>> TestDb::Query(const std::string& sql) {
  std::vector<std::vector<std::string>> out;
  auto r = conn_->Exec(sql, "test query");
  EXPECT_TRUE(r.ok()) << r.status() << "\nSQL: " << sql;
  if (!r.ok()) return out;
  for (int i = 0; i < PQntuples(r->get()); ++i) {
    std::vector<std::string> row;
    for (int j = 0; j < PQnfields(r->get()); ++j) row.push_back(PgValue(*r, i, j));
    out.push_back(std::move(row));
  }
  return out;
}

std::string TestDb::Value(const std::string& sql) {
  auto rows = Query(sql);
  if (rows.size() != 1 || rows[0].empty()) {
    ADD_FAILURE() << "expected one value from: " << sql;
    return "";
  }
  return rows[0][0];
}

std::unique_ptr<PgConn> TestDb::Connect() const { return MustConnect(dsn()); }

std::string WritePgPipeline(const std::string& dir, const TestDb& db,
                            const std::vector<std::string>& tables, const std::string& rest) {
  std::string list;
  for (const auto& t : tables) list += (list.empty() ? "" : ", ") + t;
  std::string yaml = fmt::format(
      "pipeline: {name}\n"
      "data_dir: {dir}/data\n"
      "source:\n"
      "  type: postgres\n"
      "  dsn: \"{dsn}\"\n"
      "  tables: [{list}]\n"
      "{rest}",
      fmt::arg("name", db.name()), fmt::arg("dir", dir), fmt::arg("dsn", db.dsn()),
      fmt::arg("list", list), fmt::arg("rest", rest));
  std::string path = dir + "/pipeline.yaml";
  std::ofstream(path) << yaml;
  return path;
}

std::string WriteConfig(const std::string& dir, const TestDb& db,
                        const std::vector<std::string>& tables, const std::string& out,
                        const std::string& extra_yaml) {
  return WritePgPipeline(dir, db, tables,
                         "sinks:\n  - name: out\n    type: file\n    path: " + out + "\n" + extra_yaml);
}

Tidemark::Tidemark(std::vector<std::string> args) {
  static int counter = 0;
  log_ = fmt::format("{}/tidemark-{}-{}.log", std::filesystem::temp_directory_path().string(), getpid(),
                     ++counter);
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    // libmongoc's load-time init makes /dev/shm/mongoc-<pid>; one left by a killed
    // process with the same pid makes it print a plain-text warning into the log.
    setenv("MONGOC_DISABLE_SHM", "1", 1);
    std::vector<std::string> full = {TidemarkBin()};
    full.insert(full.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : full) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
}

Tidemark::~Tidemark() {
  if (!reaped_ && pid_ > 0) Kill9();
  // A failed test shows what tidemark said: CI keeps no temp files.
  if (::testing::Test::HasFailure()) {
    std::ifstream in(log_);
    std::deque<std::string> tail;
    for (std::string line; std::getline(in, line);) {
      tail.push_back(std::move(line));
      if (tail.size() > 60) tail.pop_front();
    }
    std::cerr << "---- last " << tail.size() << " lines of " << log_ << "\n";
    for (const auto& line : tail) std::cerr << line << "\n";
    std::cerr << "----\n";
  }
}

std::string Tidemark::LogText() const {
  std::ifstream in(log_);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

void Tidemark::Reap(int options) {
  if (reaped_ || pid_ <= 0) return;
  rusage ru{};
  pid_t r = wait4(pid_, &status_, options, &ru);
  if (r == pid_) {
    reaped_ = true;
    peak_rss_kib_ = ru.ru_maxrss;
  }
}

bool Tidemark::Running() {
  Reap(WNOHANG);
  return !reaped_;
}

int Tidemark::Wait() {
  Reap(0);
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  return -WTERMSIG(status_);
}

int Tidemark::Stop() {
  if (!reaped_) kill(pid_, SIGTERM);
  return Wait();
}

void Tidemark::Kill9() {
  if (!reaped_) kill(pid_, SIGKILL);
  Wait();
}

int RunTidemark(const std::vector<std::string>& args, std::string* out) {
  Tidemark t(args);
  int code = t.Wait();
  std::ifstream f(t.log_path());
  std::stringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return code;
}

std::vector<nlohmann::json> ReadJsonLines(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    if (f.eof()) break;  // no trailing newline: a line still being written
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << line;
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

size_t CountNewlines(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return 0;
  size_t n = 0;
  std::vector<char> buf(1 << 20);
  ssize_t got;
  while ((got = read(fd, buf.data(), buf.size())) > 0) {
    for (ssize_t i = 0; i < got; ++i) n += buf[static_cast<size_t>(i)] == '\n';
  }
  close(fd);
  return n;
}

bool Eventually(const std::function<bool()>& cond, double seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (true) {
    if (cond()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // re-check interval
  }
}

}  // namespace tidemark::itest
