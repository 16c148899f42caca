// Helpers for the journal tests: unique temp dirs, entry builders, readers.
#ifndef TIDEMARK_TESTS_UNIT_OFFSETS_JOURNAL_TEST_UTIL_H_
#define TIDEMARK_TESTS_UNIT_OFFSETS_JOURNAL_TEST_UTIL_H_

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "offsets/journal.h"
#include "offsets/journal_format.h"
#include "tidemark/v1/journal.pb.h"

namespace tidemark::testing {

// A fresh, empty directory under the gtest temp dir, unique per call and process.
inline std::string NewTempDir() {
  static std::atomic<int> n{0};
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string dir = fmt::format("{}/tm_offsets_{}_{}_{}_{}", ::testing::TempDir(), ::getpid(),
                                info->test_suite_name(), info->name(), n++);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// The first offsets of the segment files in `dir`, ascending.
inline std::vector<uint64_t> SegmentBases(const std::string& dir) {
  std::vector<uint64_t> bases;
  for (const auto& de : std::filesystem::directory_iterator(dir)) {
    if (auto b = journal_format::ParseSegmentFileName(de.path().filename().string())) {
      bases.push_back(*b);
    }
  }
  std::sort(bases.begin(), bases.end());
  return bases;
}

// Options for tests: quick group commit, no time window.
inline JournalOptions TestOptions(const std::string& dir) {
  JournalOptions o;
  o.dir = dir;
  o.group_commit_delay = absl::Milliseconds(1);
  o.retain = absl::ZeroDuration();
  return o;
}

inline v1::JournalEntry Event(const std::string& tx, uint32_t seq) {
  v1::JournalEntry e;
  auto* ev = e.mutable_event();
  ev->set_transaction_id(tx);
  ev->set_sequence(seq);
  ev->set_ddl(fmt::format("payload of {} #{}: some bytes to compress", tx, seq));
  return e;
}
inline v1::JournalEntry Begin(const std::string& tx) {
  v1::JournalEntry e;
  e.mutable_begin()->set_transaction_id(tx);
  return e;
}
inline v1::JournalEntry Commit(const std::string& tx, uint32_t events = 0) {
  v1::JournalEntry e;
  e.mutable_commit()->set_transaction_id(tx);
  e.mutable_commit()->set_event_count(events);
  return e;
}
inline v1::JournalEntry Heartbeat(int64_t t) {
  v1::JournalEntry e;
  e.mutable_heartbeat()->set_time_micros(t);
  return e;
}

// begin, n events, commit.
inline std::vector<v1::JournalEntry> Txn(const std::string& tx, uint32_t n) {
  std::vector<v1::JournalEntry> v{Begin(tx)};
  for (uint32_t i = 0; i < n; ++i) v.push_back(Event(tx, i));
  v.push_back(Commit(tx, n));
  return v;
}

// A short, comparable name for an entry: "b:tx", "e:tx#3", "c:tx", "h:7".
inline std::string Tag(const v1::JournalEntry& e) {
  if (e.has_begin()) return "b:" + e.begin().transaction_id();
  if (e.has_commit()) return "c:" + e.commit().transaction_id();
  if (e.has_event()) return fmt::format("e:{}#{}", e.event().transaction_id(), e.event().sequence());
  if (e.has_heartbeat()) return fmt::format("h:{}", e.heartbeat().time_micros());
  return "?";
}
inline std::vector<std::string> Tags(const std::vector<v1::JournalEntry>& v) {
  std::vector<std::string> out;
  for (const auto& e : v) out.push_back(Tag(e));
  return out;
}

// Reads exactly `n` entries (max `per_call` per Next), checking that batches are
// contiguous. Fails the test if they do not arrive within 10 s.
inline std::vector<v1::JournalEntry> ReadN(JournalReader& r, size_t n, size_t per_call = 1000) {
  std::vector<v1::JournalEntry> out;
  while (out.size() < n) {
    const uint64_t pos = r.position();
    absl::StatusOr<JournalBatch> b = r.Next(per_call, absl::Seconds(10));
    EXPECT_TRUE(b.ok()) << b.status();
    if (!b.ok()) break;
    EXPECT_EQ(b->first_offset, pos);
    EXPECT_LE(b->entries.size(), per_call);
    EXPECT_FALSE(b->entries.empty()) << "timed out waiting for entries at offset " << pos;
    if (b->entries.empty()) break;
    EXPECT_EQ(r.position(), b->end_offset());
    for (auto& e : b->entries) out.push_back(std::move(e));
  }
  return out;
}

}  // namespace tidemark::testing

#endif  // TIDEMARK_TESTS_UNIT_OFFSETS_JOURNAL_TEST_UTIL_H_
