// Journal recovery and corruption: torn tails, bad CRCs, TruncateTo.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "offsets/journal.h"
#include "offsets/journal_format.h"
#include "offsets/segment.h"
#include "tests/unit/offsets/journal_test_util.h"

namespace tidemark {
namespace {

using ::tidemark::testing::Begin;
using ::tidemark::testing::Commit;
using ::tidemark::testing::Event;
using ::tidemark::testing::NewTempDir;
using ::tidemark::testing::ReadN;
using ::tidemark::testing::SegmentBases;
using ::tidemark::testing::Tags;
using ::tidemark::testing::TestOptions;
using ::tidemark::testing::Txn;

std::string SegPath(const std::string& dir, uint64_t base) {
  return dir + "/" + journal_format::SegmentFileName(base);
}

// The records of a segment, as the journal indexes them.
std::vector<RecordInfo> Records(const std::string& dir, uint64_t base) {
  auto f = SegmentFile::Open(dir, base);
  EXPECT_TRUE(f.ok()) << f.status();
  auto scan = (*f)->Scan(/*verify=*/true);
  EXPECT_TRUE(scan.ok()) << scan.status();
  EXPECT_FALSE(scan->bad.has_value());
  return scan->records;
}

void FlipByte(const std::string& path, uint64_t pos) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(pos));
  char c;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(pos));
  f.put(static_cast<char>(c ^ 0x5A));
}

void AppendBytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::app | std::ios::binary);
  f << bytes;
}

// Five one-record transactions of 4 entries: offsets 0..19.
void WriteFiveTxns(const JournalOptions& o) {
  auto j = Journal::Open(o);
  ASSERT_TRUE(j.ok()) << j.status();
  for (int t = 0; t < 5; ++t) ASSERT_TRUE((*j)->Append(Txn(fmt::format("t{}", t), 2)).ok());
  ASSERT_TRUE((*j)->Sync().ok());
}

TEST(JournalCorruptionTest, TornTailIsCutAndAppendsContinue) {
  const std::string dir = NewTempDir();
  const JournalOptions o = TestOptions(dir);
  WriteFiveTxns(o);
  const std::vector<RecordInfo> recs = Records(dir, 0);
  ASSERT_EQ(recs.size(), 5u);
  // A crash mid-write of the last record, and garbage after it.
  std::filesystem::resize_file(SegPath(dir, 0), recs[4].pos + recs[4].size / 2);
  AppendBytes(SegPath(dir, 0), std::string(37, '\xAB'));
  {
    auto j = Journal::Open(o);
    ASSERT_TRUE(j.ok()) << j.status();
    EXPECT_EQ((*j)->next_offset(), 16u);
    EXPECT_EQ((*j)->visible_offset(), 16u);
    EXPECT_EQ(std::filesystem::file_size(SegPath(dir, 0)), recs[4].pos);
    EXPECT_EQ((*j)->disk_bytes(), recs[4].pos);
    auto off = (*j)->Append(Txn("again", 2));
    ASSERT_TRUE(off.ok());
    EXPECT_EQ(*off, 16u);
    ASSERT_TRUE((*j)->Sync().ok());
  }
  auto j = Journal::Open(o);
  ASSERT_TRUE(j.ok()) << j.status();
  auto r = (*j)->NewReader(12);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Tags(ReadN(**r, 8)),
            (std::vector<std::string>{"b:t3", "e:t3#0", "e:t3#1", "c:t3", "b:again",
                                      "e:again#0", "e:again#1", "c:again"}));
}

TEST(JournalCorruptionTest, ShortHeaderAtTailIsCut) {
  const std::string dir = NewTempDir();
  WriteFiveTxns(TestOptions(dir));
  const uint64_t size = std::filesystem::file_size(SegPath(dir, 0));
  AppendBytes(SegPath(dir, 0), "TMJR\x01\x02");
  auto j = Journal::Open(TestOptions(dir));
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ((*j)->next_offset(), 20u);
  EXPECT_EQ(std::filesystem::file_size(SegPath(dir, 0)), size);
}

TEST(JournalCorruptionTest, CrcErrorBeforeValidRecordsIsDataLossAndKeepsBytes) {
  const std::string dir = NewTempDir();
  WriteFiveTxns(TestOptions(dir));
  const std::vector<RecordInfo> recs = Records(dir, 0);
  const uint64_t size = std::filesystem::file_size(SegPath(dir, 0));
  FlipByte(SegPath(dir, 0), recs[1].pos + journal_format::kHeaderSize + 3);
  auto j = Journal::Open(TestOptions(dir));
  ASSERT_EQ(j.status().code(), absl::StatusCode::kDataLoss) << j.status();
  const std::string msg(j.status().message());
  EXPECT_NE(msg.find("00000000000000000000.seg"), std::string::npos) << msg;
  EXPECT_NE(msg.find(fmt::format("at byte {}", recs[1].pos)), std::string::npos) << msg;
  EXPECT_NE(msg.find("CRC mismatch"), std::string::npos) << msg;
  EXPECT_EQ(std::filesystem::file_size(SegPath(dir, 0)), size);
}

TEST(JournalCorruptionTest, CorruptHeaderBeforeValidRecordsIsDataLoss) {
  const std::string dir = NewTempDir();
  WriteFiveTxns(TestOptions(dir));
  const std::vector<RecordInfo> recs = Records(dir, 0);
  FlipByte(SegPath(dir, 0), recs[2].pos + 13);  // payload_len
  auto j = Journal::Open(TestOptions(dir));
  ASSERT_EQ(j.status().code(), absl::StatusCode::kDataLoss) << j.status();
  EXPECT_NE(std::string(j.status().message()).find(fmt::format("at byte {}", recs[2].pos)),
            std::string::npos)
      << j.status();
}

TEST(JournalCorruptionTest, CrcErrorInOlderSegmentIsDataLossWhenRead) {
  const std::string dir = NewTempDir();
  JournalOptions o = TestOptions(dir);
  o.segment_bytes = 300;  // about one record per segment
  WriteFiveTxns(o);
  const std::vector<uint64_t> bases = SegmentBases(dir);
  ASSERT_GE(bases.size(), 3u);
  const std::vector<RecordInfo> recs = Records(dir, bases[1]);
  ASSERT_FALSE(recs.empty());
  FlipByte(SegPath(dir, bases[1]), recs[0].pos + recs[0].size - 1);

  // Older segments are verified when read, not at open.
  auto j = Journal::Open(o);
  ASSERT_TRUE(j.ok()) << j.status();
  auto r = (*j)->NewReader(0);
  ASSERT_TRUE(r.ok());
  // Entries before the damage come out; then the reader reports the bad record.
  ASSERT_EQ(ReadN(**r, bases[1]).size(), bases[1]);
  auto b = (*r)->Next(100, absl::Seconds(1));
  ASSERT_EQ(b.status().code(), absl::StatusCode::kDataLoss) << b.status();
  const std::string msg(b.status().message());
  EXPECT_NE(msg.find(journal_format::SegmentFileName(bases[1])), std::string::npos) << msg;
  EXPECT_NE(msg.find(fmt::format("at byte {}", recs[0].pos)), std::string::npos) << msg;
  EXPECT_EQ((*r)->position(), bases[1]);
}

TEST(JournalCorruptionTest, CrcErrorInTheLastRecordIsATornTail) {
  const std::string dir = NewTempDir();
  WriteFiveTxns(TestOptions(dir));
  const std::vector<RecordInfo> recs = Records(dir, 0);
  FlipByte(SegPath(dir, 0), recs[4].pos + recs[4].size - 1);
  auto j = Journal::Open(TestOptions(dir));
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ((*j)->next_offset(), 16u);
  EXPECT_EQ(std::filesystem::file_size(SegPath(dir, 0)), recs[4].pos);
}

TEST(JournalCorruptionTest, EmptyNewestSegmentAfterACrashedRoll) {
  const std::string dir = NewTempDir();
  JournalOptions o = TestOptions(dir);
  o.segment_bytes = 300;
  WriteFiveTxns(o);
  // A crash right after creating the next segment file.
  AppendBytes(SegPath(dir, 20), "");
  {
    auto j = Journal::Open(o);
    ASSERT_TRUE(j.ok()) << j.status();
    EXPECT_EQ((*j)->next_offset(), 20u);
    EXPECT_EQ((*j)->visible_offset(), 20u);
    auto last = (*j)->LastCommit();
    ASSERT_TRUE(last.ok() && last->has_value()) << last.status();
    EXPECT_EQ((*last)->first, 19u);
    EXPECT_EQ((*last)->second.transaction_id(), "t4");
    auto off = (*j)->Append(Txn("t5", 2));
    ASSERT_TRUE(off.ok());
    EXPECT_EQ(*off, 20u);
  }
  // A segment whose name does not follow its predecessor: entries are missing.
  std::filesystem::rename(SegPath(dir, 20), SegPath(dir, 25));
  auto j = Journal::Open(o);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), absl::StatusCode::kDataLoss) << j.status();
  const std::string msg(j.status().message());
  EXPECT_NE(msg.find("record holds offsets from 20 but 25 was expected"), std::string::npos)
      << msg;
}

TEST(JournalCorruptionTest, MissingMiddleSegmentIsDataLossWhenRead) {
  const std::string dir = NewTempDir();
  JournalOptions o = TestOptions(dir);
  o.segment_bytes = 300;
  WriteFiveTxns(o);
  const std::vector<uint64_t> bases = SegmentBases(dir);
  ASSERT_GE(bases.size(), 3u);
  std::filesystem::remove(SegPath(dir, bases[1]));
  auto j = Journal::Open(o);
  ASSERT_TRUE(j.ok()) << j.status();
  auto r = (*j)->NewReader(0);
  ASSERT_TRUE(r.ok());
  auto b = (*r)->Next(100, absl::Seconds(1));
  ASSERT_EQ(b.status().code(), absl::StatusCode::kDataLoss) << b.status();
  const std::string msg(b.status().message());
  EXPECT_NE(msg.find(fmt::format("but the next segment starts at {}", bases[2])),
            std::string::npos)
      << msg;
}

TEST(JournalCorruptionTest, TruncateToMidRecordKeepsThePrefix) {
  const std::string dir = NewTempDir();
  const JournalOptions o = TestOptions(dir);
  {
    auto j = Journal::Open(o);
    ASSERT_TRUE(j.ok());
    // A committed transaction, then the start of another in the same record.
    ASSERT_TRUE((*j)->Append({Begin("a"), Event("a", 0), Commit("a", 1), Begin("b"),
                              Event("b", 0)})
                    .ok());
    ASSERT_TRUE((*j)->Append({Event("b", 1), Event("b", 2)}).ok());
    ASSERT_TRUE((*j)->Sync().ok());
  }
  auto j = Journal::Open(o);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)->next_offset(), 7u);
  EXPECT_EQ((*j)->visible_offset(), 3u);
  auto last = (*j)->LastCommit();
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->first, 2u);
  EXPECT_EQ((*last)->second.transaction_id(), "a");
  // Start-up drops the incomplete transaction "b".
  ASSERT_TRUE((*j)->TruncateTo((*last)->first + 1).ok());
  EXPECT_EQ((*j)->next_offset(), 3u);
  EXPECT_EQ((*j)->durable_offset(), 3u);
  EXPECT_EQ((*j)->visible_offset(), 3u);
  auto off = (*j)->Append(Txn("c", 1));
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(*off, 3u);
  ASSERT_TRUE((*j)->Sync().ok());
  j->reset();

  j = Journal::Open(o);
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ((*j)->next_offset(), 6u);
  auto r = (*j)->NewReader(0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Tags(ReadN(**r, 6)),
            (std::vector<std::string>{"b:a", "e:a#0", "c:a", "b:c", "e:c#0", "c:c"}));
}

TEST(JournalCorruptionTest, TruncateToDeletesLaterSegments) {
  const std::string dir = NewTempDir();
  JournalOptions o = TestOptions(dir);
  o.segment_bytes = 500;
  auto j = Journal::Open(o);
  ASSERT_TRUE(j.ok());
  for (int t = 0; t < 20; ++t) ASSERT_TRUE((*j)->Append(Txn(fmt::format("t{}", t), 2)).ok());
  ASSERT_TRUE((*j)->Sync().ok());
  ASSERT_GT((*j)->segment_count(), 3u);
  const uint64_t bytes_before = (*j)->disk_bytes();
  ASSERT_TRUE((*j)->TruncateTo(6).ok());  // inside the second transaction
  EXPECT_EQ((*j)->segment_count(), 1u);
  EXPECT_EQ((*j)->next_offset(), 6u);
  EXPECT_EQ((*j)->visible_offset(), 4u);
  EXPECT_LT((*j)->disk_bytes(), bytes_before);
  EXPECT_EQ(SegmentBases(dir), std::vector<uint64_t>{0});
  ASSERT_TRUE((*j)->Append({Commit("t1", 2)}).ok());
  ASSERT_TRUE((*j)->Sync().ok());
  auto r = (*j)->NewReader(4);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Tags(ReadN(**r, 3)), (std::vector<std::string>{"b:t1", "e:t1#0", "c:t1"}));
  EXPECT_EQ((*j)->TruncateTo(100).code(), absl::StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace tidemark
