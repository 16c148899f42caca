// End-to-end PostgreSQL → journal → file sink behaviour against the real server:
// transactions whole and in commit order, kill -9 resilience, graceful stop and
// resume, bounded memory on a 1,000,000-row transaction, the slot's
// confirmed_flush_lsn advancing while idle, and a backlog read in large chunks.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "common/positions.h"
#include "tests/integration/harness.h"

namespace tidemark::itest {
namespace {

size_t CountLines(const std::string& path) { return CountNewlines(path); }

bool SlotExists(TestDb& db) {
  return db.Value(fmt::format("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'tidemark_{}' "
                              "AND active", db.name())) == "1";
}

// Events (op != t) keyed by journal offset; duplicates must be identical lines.
std::map<uint64_t, nlohmann::json> ByOffset(const std::vector<nlohmann::json>& lines) {
  std::map<uint64_t, nlohmann::json> out;
  for (const auto& l : lines) {
    uint64_t off = l["tidemark"]["offset"].get<uint64_t>();
    auto [it, inserted] = out.emplace(off, l);
    if (!inserted) {
      EXPECT_EQ(it->second, l) << "offset " << off << " written twice with different content";
    }
  }
  return out;
}

TEST(PgPipeline, TransactionsWholeAndInCommitOrderAcrossSessions) {
  TestDb db("it_txn_order");
  db.Exec("CREATE TABLE ledger (id bigserial PRIMARY KEY, session int, seq int, ticket bigint)");
  db.Exec("CREATE TABLE ticket (id int PRIMARY KEY, n bigint)");
  db.Exec("INSERT INTO ticket VALUES (1, 0)");
  std::string dir = TempDir("txn_order");
  std::string out = dir + "/events.jsonl";
  Tidemark tm({"run", "-c", WriteConfig(dir, db, {"public.ledger", "public.ticket"}, out)});
  ASSERT_TRUE(Eventually([&] { return SlotExists(db); }, 30)) << "slot never became active";

  constexpr int kSessions = 4, kTxns = 50;
  std::vector<std::thread> sessions;
  for (int s = 0; s < kSessions; ++s) {
    sessions.emplace_back([&, s] {
      auto c = db.Connect();
      for (int t = 0; t < kTxns; ++t) {
        std::string sql = fmt::format(
            "BEGIN; INSERT INTO ledger(session, seq) VALUES ({0},{1}),({0},{1}); "
            "INSERT INTO ledger(session, seq) VALUES ({0},{1}); "
            "WITH n AS (UPDATE ticket SET n = n + 1 WHERE id = 1 RETURNING n) "
            "INSERT INTO ledger(session, seq, ticket) SELECT {0}, {1}, n FROM n; COMMIT;",
            s, t);
        auto r = c->Exec(sql, "workload");
        ASSERT_TRUE(r.ok()) << r.status();
      }
    });
  }
  for (auto& t : sessions) t.join();
  const size_t expected = kSessions * kTxns * 5;  // 3 + 1 inserts, 1 ticket update
  ASSERT_TRUE(Eventually([&] { return CountLines(out) >= expected; }, 60))
      << "got " << CountLines(out) << " of " << expected << " events";
  EXPECT_EQ(tm.Stop(), 0);

  auto lines = ReadJsonLines(out);
  ASSERT_EQ(lines.size(), expected);
  // Contiguous transactions of 5 events each, tickets strictly increasing in file order.
  std::set<std::string> seen_txids;
  int64_t last_ticket = 0;
  for (size_t i = 0; i < lines.size(); i += 5) {
    std::string txid = lines[i]["source"]["txId"].dump();
    EXPECT_TRUE(seen_txids.insert(txid).second) << "transaction " << txid << " is split";
    int64_t ticket = -1;
    for (size_t k = 0; k < 5; ++k) {
      const auto& e = lines[i + k];
      EXPECT_EQ(e["source"]["txId"].dump(), txid) << "event " << i + k << " interleaves transactions";
      EXPECT_EQ(e["tidemark"]["seq"].get<int>(), static_cast<int>(k));
      if (e["source"]["table"] == "ledger" && !e["after"]["ticket"].is_null()) {
        ticket = e["after"]["ticket"].get<int64_t>();
      }
    }
    EXPECT_EQ(ticket, last_ticket + 1) << "transactions out of commit order at event " << i;
    last_ticket = ticket;
  }
  EXPECT_EQ(last_ticket, kSessions * kTxns);
}

TEST(PgPipeline, GracefulStopThenResumeLosesAndRepeatsNothing) {
  TestDb db("it_resume");
  db.Exec("CREATE TABLE items (id int PRIMARY KEY, name text)");
  std::string dir = TempDir("resume");
  std::string out = dir + "/events.jsonl";
  std::string config = WriteConfig(dir, db, {"public.items"}, out);
  {
    Tidemark tm({"run", "-c", config});
    ASSERT_TRUE(Eventually([&] { return SlotExists(db); }, 30));
    db.Exec("INSERT INTO items SELECT g, 'first ' || g FROM generate_series(1, 100) g");
    ASSERT_TRUE(Eventually([&] { return CountLines(out) >= 100; }, 60));
    EXPECT_EQ(tm.Stop(), 0) << "SIGTERM must flush, checkpoint and exit 0";
  }
  db.Exec("INSERT INTO items SELECT g, 'second ' || g FROM generate_series(101, 200) g");
  {
    Tidemark tm({"run", "-c", config});
    ASSERT_TRUE(Eventually([&] { return CountLines(out) >= 200; }, 60));
    EXPECT_EQ(tm.Stop(), 0);
  }
  auto lines = ReadJsonLines(out);
  ASSERT_EQ(lines.size(), 200u) << "a graceful stop must not repeat lines";
  std::set<int> ids;
  for (const auto& l : lines) ids.insert(l["after"]["id"].get<int>());
  EXPECT_EQ(ids.size(), 200u);
  EXPECT_EQ(*ids.begin(), 1);
  EXPECT_EQ(*ids.rbegin(), 200);
}

TEST(PgPipeline, KillNineAtRandomPointsLosesNothing) {
  TestDb db("it_kill9");
  db.Exec("CREATE TABLE acct (id int PRIMARY KEY, balance bigint, note text)");
  std::string dir = TempDir("kill9");
  std::string out = dir + "/events.jsonl";
  std::string config = WriteConfig(dir, db, {"public.acct"}, out,
                                   "journal: {group_commit_ms: 20}\n");
  std::atomic<bool> done{false};
  std::atomic<int> committed{0};
  std::thread workload([&] {
    auto c = db.Connect();
    std::mt19937 rng(42);
    int next_id = 1;
    while (!done) {
      int op = static_cast<int>(rng() % 10);
      std::string sql;
      if (op < 6 || next_id < 10) {
        sql = fmt::format("BEGIN; INSERT INTO acct VALUES ({0}, {0}, 'n{0}'), ({1}, 0, NULL); COMMIT;",
                          next_id, next_id + 1);
        next_id += 2;
      } else if (op < 9) {
        sql = fmt::format("UPDATE acct SET balance = balance + 1 WHERE id % 7 = {}", rng() % 7);
      } else {
        sql = fmt::format("DELETE FROM acct WHERE id = {}", 1 + rng() % next_id);
      }
      auto r = c->Exec(sql, "workload");
      ASSERT_TRUE(r.ok()) << r.status();
      ++committed;
    }
  });
  std::mt19937 rng(7);
  constexpr int kKills = 6;
  for (int k = 0; k < kKills; ++k) {
    Tidemark tm({"run", "-c", config});
    size_t before = CountLines(out);
    size_t target = before + 20 + rng() % 400;  // a random point in the stream
    ASSERT_TRUE(Eventually([&] { return CountLines(out) >= target; }, 60))
        << "run " << k << " made no progress; log " << tm.log_path();
    tm.Kill9();
  }
  done = true;
  workload.join();
  // A final run drains everything committed, then stops cleanly. The marker commits
  // last: once the sink wrote it, it wrote everything before it (commit order).
  db.Exec("INSERT INTO acct VALUES (-1, 0, 'marker')");
  std::string final_lsn = db.Value("SELECT pg_current_wal_lsn()");
  Tidemark tm({"run", "-c", config});
  ASSERT_TRUE(Eventually(
      [&] {
        return db.Value(fmt::format("SELECT confirmed_flush_lsn >= '{}' FROM pg_replication_slots "
                                    "WHERE slot_name = 'tidemark_{}'", final_lsn, db.name())) == "t";
      },
      60));
  ASSERT_TRUE(Eventually(
      [&] {
        std::ifstream in(out);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        return text.find("\"note\":\"marker\"") != std::string::npos;
      },
      120))
      << "the sink never wrote the last transaction; log " << tm.log_path();
  EXPECT_EQ(tm.Stop(), 0);

  // Replay the file (dropping duplicate offsets) and compare with the table.
  auto events = ByOffset(ReadJsonLines(out));
  std::map<int, std::pair<std::string, std::string>> state;  // id -> (balance, note)
  for (const auto& [off, e] : events) {
    std::string op = e["op"];
    if (op == "d") {
      state.erase(e["before"]["id"].get<int>());
    } else {
      const auto& a = e["after"];
      state[a["id"].get<int>()] = {a["balance"].dump(), a["note"].is_null() ? "null" : a["note"].get<std::string>()};
    }
  }
  auto rows = db.Query("SELECT id, balance, coalesce(note, 'null') FROM acct ORDER BY id");
  ASSERT_EQ(state.size(), rows.size()) << committed << " transactions committed";
  size_t i = 0;
  for (const auto& [id, v] : state) {
    ASSERT_EQ(std::to_string(id), rows[i][0]);
    EXPECT_EQ(v.first, rows[i][1]) << "id " << id;
    EXPECT_EQ(v.second, rows[i][2]) << "id " << id;
    ++i;
  }
}

// A slot still held by someone else (typically the walsender of a tidemark that was just
// kill -9'd) is waited for, not a fatal error: tidemark retries and proceeds once it is free.
TEST(PgPipeline, SlotHeldByAnotherConsumerIsWaitedFor) {
  TestDb db("it_slot_busy");
  db.Exec("CREATE TABLE t (id int PRIMARY KEY)");
  std::string dir = TempDir("slot_busy");
  std::string out = dir + "/events.jsonl";
  std::string config = WriteConfig(dir, db, {"public.t"}, out);
  {
    Tidemark first({"run", "-c", config});  // creates the slot and the publication
    ASSERT_TRUE(Eventually([&] { return SlotExists(db); }, 30));
    ASSERT_EQ(first.Stop(), 0);
  }
  ASSERT_TRUE(Eventually([&] { return !SlotExists(db); }, 30));
  auto holder = PgConn::Connect(db.dsn(), "", {{"replication", "database"}});
  ASSERT_TRUE(holder.ok()) << holder.status();
  PGresult* r = PQexec((*holder)->raw(), fmt::format("START_REPLICATION SLOT tidemark_{} LOGICAL 0/0 "
                                                     "(proto_version '1', publication_names 'tidemark_{}')",
                                                     db.name(), db.name()).c_str());
  ASSERT_EQ(PQresultStatus(r), PGRES_COPY_BOTH) << PQresultErrorMessage(r);
  PQclear(r);
  ASSERT_TRUE(SlotExists(db));

  Tidemark tm({"run", "-c", config});
  auto log_says = [&](const std::string& what) {
    std::ifstream in(tm.log_path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.find(what) != std::string::npos;
  };
  ASSERT_TRUE(Eventually([&] { return log_says("waiting for it to be released"); }, 30)) << tm.log_path();
  EXPECT_TRUE(tm.Running()) << "a busy slot must not end the pipeline";
  db.Exec("INSERT INTO t VALUES (1), (2)");
  holder->reset();  // the other consumer goes away
  ASSERT_TRUE(Eventually([&] { return CountLines(out) == 2; }, 60)) << "the inserts never arrived";
  EXPECT_EQ(tm.Stop(), 0);
}

TEST(PgPipeline, IdleSlotConfirmedFlushAdvances) {
  TestDb db("it_idle");
  db.Exec("CREATE TABLE quiet (id int PRIMARY KEY)");
  std::string dir = TempDir("idle");
  std::string config = WriteConfig(dir, db, {"public.quiet"}, dir + "/events.jsonl");
  Tidemark tm({"run", "-c", config});
  ASSERT_TRUE(Eventually([&] { return SlotExists(db); }, 30));
  // WAL that the pipeline does not carry: another table in another database.
  TestDb other("it_idle_other");
  other.Exec("CREATE TABLE noise (id int, pad text)");
  other.Exec("INSERT INTO noise SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g");
  std::string target = other.Value("SELECT pg_current_wal_lsn()");
  auto flushed = [&] {
    return db.Value(fmt::format("SELECT coalesce(confirmed_flush_lsn >= '{}', false) FROM "
                                "pg_replication_slots WHERE slot_name = 'tidemark_{}'",
                                target, db.name())) == "t";
  };
  EXPECT_TRUE(Eventually(flushed, 60)) << "confirmed_flush_lsn stayed behind " << target
                                       << " while the source was otherwise idle";
  EXPECT_EQ(tm.Stop(), 0);
}

TEST(PgPipeline, MillionRowTransactionStreamsInBoundedMemory) {
  // The bound documented in README.md ("Memory"): capture streams a transaction in
  // chunks into the journal and the sink reads it back in batches, so peak RSS does
  // not grow with transaction size.
  constexpr long kPeakRssBoundKib = 256 * 1024;
  TestDb db("it_big_txn");
  db.Exec("CREATE TABLE big (id int PRIMARY KEY, payload text)");
  std::string dir = TempDir("big_txn");
  std::string out = dir + "/events.jsonl";
  Tidemark tm({"run", "-c", WriteConfig(dir, db, {"public.big"}, out)});
  ASSERT_TRUE(Eventually([&] { return SlotExists(db); }, 30));
  db.Exec("INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 1000000) g");
  std::string target = db.Value("SELECT pg_current_wal_lsn()");
  ASSERT_TRUE(Eventually(
      [&] {
        return db.Value(fmt::format("SELECT coalesce(confirmed_flush_lsn >= '{}', false) FROM "
                                    "pg_replication_slots WHERE slot_name = 'tidemark_{}'",
                                    target, db.name())) == "t";
      },
      600));
  ASSERT_TRUE(Eventually([&] { return CountNewlines(out) >= 1000000; }, 600))
      << "file sink has " << CountNewlines(out) << " lines";
  EXPECT_EQ(tm.Stop(), 0);
  EXPECT_EQ(CountNewlines(out), 1000000u);
  EXPECT_LT(tm.peak_rss_kib(), kPeakRssBoundKib) << "peak RSS " << tm.peak_rss_kib() << " KiB";
  RecordProperty("peak_rss_kib", std::to_string(tm.peak_rss_kib()));
}

// `unix_socket`: tidemark connects through the server's Unix-domain socket, whose poll
// ignores low-water marks; there a chunk keeps reading for the linger instead.
void BacklogIsReadInLargeChunks(bool unix_socket) {
  // source.catchup_linger_ms (default 20): while the newest commit received is more than
  // 1 s old, capture lets data gather before it reads; over TCP (these tests' connections)
  // a chunk waits until the socket holds receive_buffer_bytes or its window has closed,
  // then drains it. A backlog of small transactions then reaches the journal in few
  // records instead of one or a few transactions per record. The last bytes of the
  // backlog (below the low-water mark) must still arrive.
  constexpr int kTxns = 3000;
  TestDb db(unix_socket ? "it_backlog_unix" : "it_backlog");
  if (unix_socket) db.ConnectThroughUnixSocket();
  db.Exec("CREATE TABLE ticks (id int PRIMARY KEY, note text)");
  std::string dir = TempDir("backlog");
  std::string out = dir + "/events.jsonl";
  std::string config = WriteConfig(dir, db, {"public.ticks"}, out);
  {
    Tidemark tm({"run", "-c", config});
    ASSERT_TRUE(Eventually([&] { return SlotExists(db); }, 30));
    db.Exec("INSERT INTO ticks VALUES (0, 'first')");
    ASSERT_TRUE(Eventually([&] { return CountLines(out) >= 1; }, 60));
    ASSERT_EQ(tm.Stop(), 0);
  }
  // One transaction per row, committed while tidemark is stopped.
  db.Exec(fmt::format("DO $$ BEGIN FOR i IN 1..{} LOOP INSERT INTO ticks VALUES (i, 'tick ' || i); "
                      "COMMIT; END LOOP; END $$",
                      kTxns));
  // The backlog must be older than the catch-up lag (1 s) when tidemark reads it: a
  // condition on the server's clock, re-checked until it holds.
  std::string committed = db.Value("SELECT clock_timestamp()");
  ASSERT_TRUE(Eventually(
      [&] {
        return db.Value(fmt::format("SELECT clock_timestamp() > '{}'::timestamptz + interval '1500 ms'",
                                    committed)) == "t";
      },
      10));
  Tidemark tm({"run", "-c", config});
  ASSERT_TRUE(Eventually([&] { return CountLines(out) >= kTxns + 1; }, 60))
      << "file sink has " << CountLines(out) << " of " << kTxns + 1 << " lines";
  ASSERT_EQ(tm.Stop(), 0);
  auto lines = ReadJsonLines(out);
  ASSERT_EQ(lines.size(), static_cast<size_t>(kTxns + 1));
  for (int i = 0; i <= kTxns; ++i) ASSERT_EQ(lines[i]["after"]["id"].get<int>(), i) << "line " << i;
  // The journal's one reader (the file sink) says how many records it read.
  std::smatch m;
  std::string log = tm.LogText();
  EXPECT_NE(log.find(unix_socket ? "over a Unix-domain socket (catching up lingers)"
                                 : "over TCP (catching up waits for a full receive buffer)"),
            std::string::npos)
      << log;
  ASSERT_TRUE(std::regex_search(log, m, std::regex(R"(readers took (\d+) records from memory and read (\d+) from disk)")))
      << log;
  const int records = std::stoi(m[1]) + std::stoi(m[2]);
  ::testing::Test::RecordProperty("journal_records", std::to_string(records));
  EXPECT_LE(records, kTxns / 20) << "the backlog's " << kTxns << " transactions came in " << records
                                 << " journal records: capture did not linger while catching up";
}

TEST(PgPipeline, BacklogIsReadInLargeChunksAndItsTailArrives) { BacklogIsReadInLargeChunks(false); }

TEST(PgPipeline, BacklogOverAUnixSocketIsReadInLargeChunksToo) { BacklogIsReadInLargeChunks(true); }

}  // namespace
}  // namespace tidemark::itest
