// JournalAppender (capture/journal_appender.h): the capture → journal pipeline stage.
#include "capture/journal_appender.h"

#include <gtest/gtest.h>

#include <deque>

#include "tests/unit/offsets/journal_test_util.h"

namespace tidemark {
namespace {

using ::tidemark::testing::NewTempDir;
using ::tidemark::testing::ReadN;
using ::tidemark::testing::Tags;
using ::tidemark::testing::TestOptions;
using ::tidemark::testing::Txn;

// Txn() with the commit's source position set to `pos`.
std::vector<v1::JournalEntry> TxnAt(const std::string& tx, uint32_t n, uint64_t pos) {
  std::vector<v1::JournalEntry> v = Txn(tx, n);
  v.back().mutable_commit()->mutable_position()->mutable_mysql()->set_pos(pos);
  return v;
}

TEST(JournalAppenderTest, AppendsInOrderAndReportsCommitOffsets) {
  auto j = Journal::Open(TestOptions(NewTempDir()));
  ASSERT_TRUE(j.ok()) << j.status();
  std::vector<v1::JournalEntry> all;
  {
    JournalAppender appender(j->get(), /*max_queued=*/1);
    for (int c = 0; c < 20; ++c) {
      // Two transactions per chunk, the second cut by the chunk boundary.
      std::vector<v1::JournalEntry> chunk = TxnAt(fmt::format("a{}", c), 3, 100 + c);
      std::vector<v1::JournalEntry> second = TxnAt(fmt::format("b{}", c), 2, 200 + c);
      chunk.insert(chunk.end(), second.begin(), second.end());
      for (const auto& e : chunk) all.push_back(e);
      bool queued = false;
      while (!queued) {
        absl::StatusOr<bool> r = appender.Push(&chunk, absl::Seconds(1));
        ASSERT_TRUE(r.ok()) << r.status();
        queued = *r;
      }
      EXPECT_TRUE(chunk.empty());
    }
    ASSERT_TRUE(appender.Drained(absl::Seconds(10)));
    ASSERT_TRUE(appender.Finish().ok());
    std::deque<JournalAppender::Commit> commits;
    ASSERT_TRUE(appender.TakeAppended(&commits).ok());
    ASSERT_EQ(commits.size(), 40u);
    // Each commit's offset is where its TxnCommit entry landed, in journal order.
    for (size_t k = 0; k < commits.size(); ++k) {
      const uint64_t at = commits[k].first;
      ASSERT_LT(at, all.size());
      ASSERT_TRUE(all[at].has_commit());
      EXPECT_EQ(commits[k].second.mysql().pos(), all[at].commit().position().mysql().pos());
      if (k > 0) {
        EXPECT_GT(at, commits[k - 1].first);
      }
    }
    EXPECT_EQ(commits.back().first, all.size() - 1);
  }
  ASSERT_TRUE((*j)->Sync().ok());
  EXPECT_EQ((*j)->next_offset(), all.size());
  auto reader = (*j)->NewReader(0);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(Tags(ReadN(**reader, all.size())), Tags(all));
}

TEST(JournalAppenderTest, PushReturnsWhileTheJournalIsAtItsDiskCap) {
  JournalOptions o = TestOptions(NewTempDir());
  o.segment_bytes = 1024;
  o.max_bytes = 4096;
  auto j = Journal::Open(o);
  ASSERT_TRUE(j.ok()) << j.status();
  int t = 0;
  while ((*j)->disk_bytes() < o.max_bytes) {
    ASSERT_TRUE((*j)->Append(Txn(fmt::format("t{}", t++), 2)).ok());
  }
  const uint64_t next = (*j)->next_offset();
  JournalAppender appender(j->get(), /*max_queued=*/1);
  // The first chunk blocks inside Journal::Append, the second fills the queue: the third
  // is refused after the wait instead of blocking the caller, who can run retention.
  std::vector<v1::JournalEntry> c1 = Txn("blocked1", 2), c2 = Txn("blocked2", 2),
                                c3 = Txn("blocked3", 2);
  ASSERT_TRUE(*appender.Push(&c1, absl::Seconds(1)));
  ASSERT_TRUE((*j)->WaitUntilPaused(absl::Seconds(10)));
  ASSERT_TRUE(*appender.Push(&c2, absl::Seconds(1)));
  absl::StatusOr<bool> third = appender.Push(&c3, absl::Milliseconds(50));
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_FALSE(*third);
  EXPECT_EQ(c3.size(), 4u);  // left with the caller
  EXPECT_FALSE(appender.Drained(absl::Milliseconds(10)));

  ASSERT_TRUE((*j)->Sync().ok());
  ASSERT_TRUE((*j)->ApplyRetention((*j)->next_offset()).ok());
  ASSERT_TRUE(appender.Drained(absl::Seconds(10)));
  ASSERT_TRUE(appender.Finish().ok());
  std::deque<JournalAppender::Commit> commits;
  ASSERT_TRUE(appender.TakeAppended(&commits).ok());
  ASSERT_EQ(commits.size(), 2u);
  EXPECT_EQ(commits[0].first, next + 3);
  EXPECT_EQ(commits[1].first, next + 7);
}

TEST(JournalAppenderTest, AnAppendErrorIsReturnedFromThenOn) {
  JournalOptions o = TestOptions(NewTempDir());
  o.segment_bytes = 1024;
  o.max_bytes = 1;  // at the cap from the first record on
  auto j = Journal::Open(o);
  ASSERT_TRUE(j.ok()) << j.status();
  ASSERT_TRUE((*j)->Append(Txn("t", 1)).ok());
  JournalAppender appender(j->get());
  std::vector<v1::JournalEntry> c = Txn("blocked", 1);
  ASSERT_TRUE(*appender.Push(&c, absl::Seconds(1)));
  ASSERT_TRUE((*j)->WaitUntilPaused(absl::Seconds(10)));
  (*j)->Close();  // the blocked Append returns kCancelled
  ASSERT_TRUE(appender.Drained(absl::Seconds(10)));
  std::deque<JournalAppender::Commit> commits;
  EXPECT_EQ(appender.TakeAppended(&commits).code(), absl::StatusCode::kCancelled);
  std::vector<v1::JournalEntry> more = Txn("more", 1);
  EXPECT_EQ(appender.Push(&more, absl::Seconds(1)).status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(appender.Finish().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(commits.empty());
}

}  // namespace
}  // namespace tidemark
