// Journal retention (checkpoint, time and byte windows) and the disk cap.
#include <gtest/gtest.h>
#include <sys/time.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "offsets/journal.h"
#include "offsets/journal_format.h"
#include "tests/unit/offsets/journal_test_util.h"

namespace tidemark {
namespace {

using ::tidemark::testing::NewTempDir;
using ::tidemark::testing::ReadN;
using ::tidemark::testing::SegmentBases;
using ::tidemark::testing::TestOptions;
using ::tidemark::testing::Txn;

std::unique_ptr<Journal> OpenWithTxns(const JournalOptions& o, int txns) {
  auto j = Journal::Open(o);
  EXPECT_TRUE(j.ok()) << j.status();
  for (int t = 0; t < txns; ++t) EXPECT_TRUE((*j)->Append(Txn(fmt::format("t{}", t), 2)).ok());
  EXPECT_TRUE((*j)->Sync().ok());
  return std::move(*j);
}

void MakeOld(const std::string& path, absl::Duration age) {
  const absl::Time t = absl::Now() - age;
  struct timeval tv[2];
  tv[0] = tv[1] = absl::ToTimeval(t);
  ASSERT_EQ(::utimes(path.c_str(), tv), 0);
}

TEST(JournalRetentionTest, DeletesSegmentsAllSinksApplied) {
  const std::string dir = NewTempDir();
  JournalOptions o = TestOptions(dir);
  o.segment_bytes = 600;
  auto j = OpenWithTxns(o, 30);
  const std::vector<uint64_t> bases = SegmentBases(dir);
  ASSERT_GE(bases.size(), 5u);
  const uint64_t bytes = j->disk_bytes();

  // Nothing applied: nothing deleted.
  ASSERT_TRUE(j->ApplyRetention(0).ok());
  EXPECT_EQ(SegmentBases(dir), bases);
  // Applied up to inside the third segment: the first two go.
  ASSERT_TRUE(j->ApplyRetention(bases[2] + 1).ok());
  EXPECT_EQ(SegmentBases(dir), std::vector<uint64_t>(bases.begin() + 2, bases.end()));
  EXPECT_EQ(j->first_offset(), bases[2]);
  EXPECT_LT(j->disk_bytes(), bytes);

  // A reader at a deleted offset is told the oldest retained one.
  auto gone = j->NewReader(0);
  ASSERT_EQ(gone.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_NE(std::string(gone.status().message()).find(fmt::format("{}", bases[2])),
            std::string::npos);

  // Everything applied: all but the newest segment go; the newest always stays.
  ASSERT_TRUE(j->ApplyRetention(j->next_offset()).ok());
  EXPECT_EQ(SegmentBases(dir), std::vector<uint64_t>{bases.back()});
  ASSERT_TRUE(j->ApplyRetention(UINT64_MAX).ok());
  EXPECT_EQ(SegmentBases(dir), std::vector<uint64_t>{bases.back()});
  EXPECT_EQ(j->disk_bytes(), std::filesystem::file_size(
                                 dir + "/" + journal_format::SegmentFileName(bases.back())));

  // Offsets continue; a reopened journal starts at the newest segment.
  const uint64_t next = j->next_offset();
  j.reset();
  auto reopened = Journal::Open(o);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ((*reopened)->first_offset(), bases.back());
  EXPECT_EQ((*reopened)->next_offset(), next);
  EXPECT_EQ((*reopened)->visible_offset(), next);
  auto r = (*reopened)->NewReader(bases.back());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ReadN(**r, next - bases.back()).size(), next - bases.back());
}

TEST(JournalRetentionTest, ReaderBehindRetentionGetsOutOfRange) {
  const std::string dir = NewTempDir();
  JournalOptions o = TestOptions(dir);
  o.segment_bytes = 600;
  auto j = OpenWithTxns(o, 10);
  auto r = j->NewReader(0);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(ReadN(**r, 2, 2).size(), 2u);
  ASSERT_TRUE(j->ApplyRetention(j->next_offset()).ok());
  auto b = (*r)->Next(10, absl::Seconds(1));
  ASSERT_EQ(b.status().code(), absl::StatusCode::kOutOfRange) << b.status();
  EXPECT_NE(std::string(b.status().message()).find(fmt::format("{}", j->first_offset())),
            std::string::npos)
      << b.status();
}

TEST(JournalRetentionTest, TimeWindowKeepsYoungSegments) {
  const std::string dir = NewTempDir();
  JournalOptions o = TestOptions(dir);
  o.segment_bytes = 600;
  o.retain = absl::Hours(1);
  auto j = OpenWithTxns(o, 20);
  const std::vector<uint64_t> bases = SegmentBases(dir);
  ASSERT_GE(bases.size(), 4u);
  ASSERT_TRUE(j->ApplyRetention(j->next_offset()).ok());
  EXPECT_EQ(SegmentBases(dir), bases);  // all applied, but inside the rewind window

  // Age the two oldest segments past the window.
  for (int i = 0; i < 2; ++i) {
    MakeOld(dir + "/" + journal_format::SegmentFileName(bases[i]), absl::Hours(2));
  }
  ASSERT_TRUE(j->ApplyRetention(j->next_offset()).ok());
  EXPECT_EQ(SegmentBases(dir), std::vector<uint64_t>(bases.begin() + 2, bases.end()));
}

TEST(JournalRetentionTest, ByteWindowKeepsNewestBytes) {
  const std::string dir = NewTempDir();
  JournalOptions o = TestOptions(dir);
  o.segment_bytes = 600;
  auto j = OpenWithTxns(o, 30);
  const std::vector<uint64_t> bases = SegmentBases(dir);
  ASSERT_GE(bases.size(), 5u);
  j.reset();
  // Keep at least the bytes of the three newest segments.
  uint64_t newest3 = 0;
  for (size_t i = bases.size() - 3; i < bases.size(); ++i) {
    newest3 += std::filesystem::file_size(dir + "/" + journal_format::SegmentFileName(bases[i]));
  }
  o.retain_bytes = newest3;
  auto reopened = Journal::Open(o);
  ASSERT_TRUE(reopened.ok());
  ASSERT_TRUE((*reopened)->ApplyRetention((*reopened)->next_offset()).ok());
  EXPECT_EQ(SegmentBases(dir), std::vector<uint64_t>(bases.end() - 3, bases.end()));
}

TEST(JournalRetentionTest, DiskCapPausesAppendUntilRetentionFreesSpace) {
  const std::string dir = NewTempDir();
  JournalOptions o = TestOptions(dir);
  o.segment_bytes = 1024;
  o.max_bytes = 4096;
  auto j = Journal::Open(o);
  ASSERT_TRUE(j.ok());
  int t = 0;
  // Appends below the cap return at once.
  while ((*j)->disk_bytes() < o.max_bytes) {
    ASSERT_TRUE((*j)->Append(Txn(fmt::format("t{}", t++), 2)).ok());
  }
  EXPECT_FALSE((*j)->paused());
  const uint64_t next = (*j)->next_offset();

  std::atomic<bool> appended{false};
  absl::StatusOr<uint64_t> result;
  std::thread writer([&] {
    result = (*j)->Append(Txn("blocked", 2));
    appended = true;
  });
  ASSERT_TRUE((*j)->WaitUntilPaused(absl::Seconds(10)));
  EXPECT_FALSE(appended.load());  // blocked until retention frees space
  EXPECT_EQ((*j)->next_offset(), next);

  // The sinks catch up; retention frees every segment but the (new, empty) newest.
  ASSERT_TRUE((*j)->Sync().ok());
  ASSERT_TRUE((*j)->ApplyRetention((*j)->next_offset()).ok());
  writer.join();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, next);
  EXPECT_FALSE((*j)->paused());
  EXPECT_LT((*j)->disk_bytes(), o.max_bytes);

  // At the cap again, Close() releases the blocked Append with kCancelled.
  while ((*j)->disk_bytes() < o.max_bytes) {
    ASSERT_TRUE((*j)->Append(Txn(fmt::format("t{}", t++), 2)).ok());
  }
  std::thread writer2([&] { result = (*j)->Append(Txn("cancelled", 2)); });
  ASSERT_TRUE((*j)->WaitUntilPaused(absl::Seconds(10)));
  (*j)->Close();
  writer2.join();
  EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled);
}

}  // namespace
}  // namespace tidemark
