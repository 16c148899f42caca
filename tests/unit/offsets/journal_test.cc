// Journal: write, read, reopen, group commit, tailing readers, visibility.
#include "offsets/journal.h"

#include <gtest/gtest.h>
#include <lz4.h>

#include <thread>

#include "absl/synchronization/mutex.h"
#include "tests/unit/offsets/journal_test_util.h"

namespace tidemark {
namespace {

using ::tidemark::testing::Begin;
using ::tidemark::testing::Commit;
using ::tidemark::testing::Event;
using ::tidemark::testing::Heartbeat;
using ::tidemark::testing::NewTempDir;
using ::tidemark::testing::ReadN;
using ::tidemark::testing::Tags;
using ::tidemark::testing::TestOptions;
using ::tidemark::testing::Txn;

std::vector<std::string> ExpectedTags(int txns, uint32_t events, int first = 0) {
  std::vector<std::string> v;
  for (int t = first; t < first + txns; ++t) {
    for (const auto& e : Txn(fmt::format("t{}", t), events)) v.push_back(testing::Tag(e));
  }
  return v;
}

TEST(JournalTest, WriteReadReopen) {
  const std::string dir = NewTempDir();
  {
    auto j = Journal::Open(TestOptions(dir));
    ASSERT_TRUE(j.ok()) << j.status();
    EXPECT_EQ((*j)->next_offset(), 0u);
    EXPECT_EQ((*j)->first_offset(), 0u);
    for (int t = 0; t < 3; ++t) {
      auto off = (*j)->Append(Txn(fmt::format("t{}", t), 2));
      ASSERT_TRUE(off.ok()) << off.status();
      EXPECT_EQ(*off, static_cast<uint64_t>(t) * 4);
    }
    ASSERT_TRUE((*j)->Sync().ok());
    EXPECT_EQ((*j)->durable_offset(), 12u);
    EXPECT_EQ((*j)->visible_offset(), 12u);
    auto r = (*j)->NewReader(0);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(Tags(ReadN(**r, 12)), ExpectedTags(3, 2));
  }
  auto j = Journal::Open(TestOptions(dir));
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ((*j)->next_offset(), 12u);
  EXPECT_EQ((*j)->durable_offset(), 12u);
  EXPECT_EQ((*j)->visible_offset(), 12u);
  EXPECT_GT((*j)->disk_bytes(), 0u);
  auto last = (*j)->LastCommit();
  ASSERT_TRUE(last.ok()) << last.status();
  ASSERT_TRUE(last->has_value());
  EXPECT_EQ((*last)->first, 11u);
  EXPECT_EQ((*last)->second.transaction_id(), "t2");

  auto off = (*j)->Append(Txn("t3", 2));
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(*off, 12u);
  ASSERT_TRUE((*j)->Sync().ok());
  auto r = (*j)->NewReader(0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Tags(ReadN(**r, 16)), ExpectedTags(4, 2));
}

TEST(JournalTest, OneProcessPerJournal) {
  const std::string dir = NewTempDir();
  auto j = Journal::Open(TestOptions(dir));
  ASSERT_TRUE(j.ok());
  auto second = Journal::Open(TestOptions(dir));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition) << second.status();
  j->reset();
  EXPECT_TRUE(Journal::Open(TestOptions(dir)).ok());
}

TEST(JournalTest, EmptyJournalHasNoCommitAndEmptyAppendIsANoop) {
  auto j = Journal::Open(TestOptions(NewTempDir()));
  ASSERT_TRUE(j.ok());
  auto last = (*j)->LastCommit();
  ASSERT_TRUE(last.ok());
  EXPECT_FALSE(last->has_value());
  auto off = (*j)->Append({});
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(*off, 0u);
  EXPECT_EQ((*j)->next_offset(), 0u);
}

TEST(JournalTest, GroupCommitSyncsOncePerBatchOfRecords) {
  JournalOptions o = TestOptions(NewTempDir());
  o.group_commit_bytes = 16 << 10;
  o.group_commit_delay = absl::Hours(1);  // only the byte threshold and Sync() trigger
  auto j = Journal::Open(o);
  ASSERT_TRUE(j.ok());

  absl::Mutex mu;
  absl::CondVar cb_cv;
  uint64_t last_cb = 0;
  (*j)->SetDurableCallback([&](uint64_t d) {
    absl::MutexLock l(&mu);
    EXPECT_GE(d, last_cb);
    last_cb = d;
    cb_cv.SignalAll();
  });
  constexpr int kRecords = 2000;
  for (int i = 0; i < kRecords; ++i) {
    ASSERT_TRUE((*j)->Append(Txn(fmt::format("t{}", i), 1)).ok());
  }
  ASSERT_TRUE((*j)->Sync().ok());
  EXPECT_EQ((*j)->durable_offset(), (*j)->next_offset());
  // Every round but the last syncs at least group_commit_bytes.
  const uint64_t max_rounds = (*j)->disk_bytes() / o.group_commit_bytes + 1;
  EXPECT_GE((*j)->sync_count(), 1u);
  EXPECT_LE((*j)->sync_count(), max_rounds);
  EXPECT_LT((*j)->sync_count(), static_cast<uint64_t>(kRecords) / 10);

  // The callback runs after each fsync, outside the journal's lock: wait for the last.
  const uint64_t next = (*j)->next_offset();
  absl::MutexLock l(&mu);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (last_cb != next && absl::Now() < deadline) cb_cv.WaitWithDeadline(&mu, deadline);
  EXPECT_EQ(last_cb, next);
}

TEST(JournalTest, DelayAloneMakesARecordDurable) {
  JournalOptions o = TestOptions(NewTempDir());
  o.group_commit_bytes = 1ull << 30;
  o.group_commit_delay = absl::Milliseconds(1);
  auto j = Journal::Open(o);
  ASSERT_TRUE(j.ok());
  auto off = (*j)->Append(Txn("t0", 1));
  ASSERT_TRUE(off.ok());
  EXPECT_EQ((*j)->WaitDurable(*off, absl::Seconds(10)), 3u);
  EXPECT_EQ((*j)->sync_count(), 1u);
}

TEST(JournalTest, ReaderTailsAWriterAcrossSegmentRolls) {
  JournalOptions o = TestOptions(NewTempDir());
  o.segment_bytes = 2048;
  auto j = Journal::Open(o);
  ASSERT_TRUE(j.ok());
  auto r = (*j)->NewReader(0);
  ASSERT_TRUE(r.ok());
  constexpr int kTxns = 300;
  std::thread writer([&] {
    for (int t = 0; t < kTxns; ++t) {
      auto off = (*j)->Append(Txn(fmt::format("t{}", t), 3));
      ASSERT_TRUE(off.ok()) << off.status();
    }
  });
  // 7 entries per call cuts most 5-entry records in the middle.
  std::vector<v1::JournalEntry> got = ReadN(**r, kTxns * 5, 7);
  writer.join();
  EXPECT_EQ(Tags(got), ExpectedTags(kTxns, 3));
  EXPECT_GT((*j)->segment_count(), 3u);
  // Nothing more: a short wait times out with an empty batch at the position.
  auto b = (*r)->Next(10, absl::Milliseconds(1));
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->entries.empty());
  EXPECT_EQ(b->first_offset, kTxns * 5u);
}

TEST(JournalTest, ReaderFromEveryOffsetAcrossSegments) {
  JournalOptions o = TestOptions(NewTempDir());
  o.segment_bytes = 1024;
  const std::vector<std::string> all = ExpectedTags(40, 2);
  {
    auto j = Journal::Open(o);
    ASSERT_TRUE(j.ok());
    for (int t = 0; t < 40; ++t) ASSERT_TRUE((*j)->Append(Txn(fmt::format("t{}", t), 2)).ok());
    ASSERT_TRUE((*j)->Sync().ok());
  }
  // After reopening, older segments are indexed lazily by the readers.
  auto j = Journal::Open(o);
  ASSERT_TRUE(j.ok());
  ASSERT_GT((*j)->segment_count(), 3u);
  for (uint64_t from = 0; from <= all.size(); ++from) {
    auto r = (*j)->NewReader(from);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ((*r)->position(), from);
    const size_t n = all.size() - from;
    std::vector<std::string> got = Tags(ReadN(**r, n, 3));
    EXPECT_EQ(got, std::vector<std::string>(all.begin() + static_cast<std::ptrdiff_t>(from),
                                            all.end()))
        << "from " << from;
  }
  auto past = (*j)->NewReader(all.size() + 1);
  EXPECT_EQ(past.status().code(), absl::StatusCode::kOutOfRange);
}

TEST(JournalTest, UncommittedTransactionIsInvisibleUntilItsCommitIsDurable) {
  auto j = Journal::Open(TestOptions(NewTempDir()));
  ASSERT_TRUE(j.ok());
  // A transaction streamed in three records; its commit comes last.
  ASSERT_TRUE((*j)->Append({Begin("big"), Event("big", 0), Event("big", 1)}).ok());
  ASSERT_TRUE((*j)->Append({Event("big", 2), Event("big", 3)}).ok());
  ASSERT_TRUE((*j)->Sync().ok());
  EXPECT_EQ((*j)->durable_offset(), 5u);
  EXPECT_EQ((*j)->visible_offset(), 0u);
  auto r = (*j)->NewReader(0);
  ASSERT_TRUE(r.ok());
  auto b = (*r)->Next(100, absl::ZeroDuration());
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->entries.empty());
  EXPECT_EQ(b->first_offset, 0u);

  // The commit and a heartbeat after it: the heartbeat waits for the next commit.
  ASSERT_TRUE((*j)->Append({Event("big", 4), Commit("big", 5), Heartbeat(1)}).ok());
  ASSERT_TRUE((*j)->Sync().ok());
  EXPECT_EQ((*j)->durable_offset(), 8u);
  EXPECT_EQ((*j)->visible_offset(), 7u);
  EXPECT_EQ(Tags(ReadN(**r, 7, 100)),
            (std::vector<std::string>{"b:big", "e:big#0", "e:big#1", "e:big#2", "e:big#3",
                                      "e:big#4", "c:big"}));
  b = (*r)->Next(100, absl::ZeroDuration());
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->entries.empty());
  EXPECT_EQ(b->first_offset, 7u);

  ASSERT_TRUE((*j)->Append(Txn("t2", 0)).ok());
  ASSERT_TRUE((*j)->Sync().ok());
  EXPECT_EQ(Tags(ReadN(**r, 3, 100)), (std::vector<std::string>{"h:1", "b:t2", "c:t2"}));
}

TEST(JournalTest, WrittenButNotDurableIsInvisible) {
  JournalOptions o = TestOptions(NewTempDir());
  o.group_commit_bytes = 1ull << 30;
  o.group_commit_delay = absl::Hours(1);  // nothing syncs until Sync()
  auto j = Journal::Open(o);
  ASSERT_TRUE(j.ok());
  ASSERT_TRUE((*j)->Append(Txn("t0", 1)).ok());
  EXPECT_EQ((*j)->next_offset(), 3u);
  EXPECT_EQ((*j)->durable_offset(), 0u);
  EXPECT_EQ((*j)->visible_offset(), 0u);
  EXPECT_EQ((*j)->WaitDurable(0, absl::Milliseconds(1)), 0u);
  auto r = (*j)->NewReader(0);
  ASSERT_TRUE(r.ok());
  auto b = (*r)->Next(100, absl::ZeroDuration());
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->entries.empty());
  ASSERT_TRUE((*j)->Sync().ok());
  EXPECT_EQ((*j)->sync_count(), 1u);
  EXPECT_EQ(ReadN(**r, 3).size(), 3u);
}

TEST(JournalTest, HugeMaxEntriesReturnsWhatIsVisible) {
  auto j = Journal::Open(TestOptions(NewTempDir()));
  ASSERT_TRUE(j.ok());
  ASSERT_TRUE((*j)->Append(Txn("t0", 3)).ok());
  ASSERT_TRUE((*j)->Sync().ok());
  auto r = (*j)->NewReader(1);
  ASSERT_TRUE(r.ok());
  auto b = (*r)->Next(SIZE_MAX, absl::Seconds(10));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->first_offset, 1u);
  EXPECT_EQ(b->entries.size(), 4u);
  EXPECT_EQ((*r)->position(), 5u);
}

TEST(JournalTest, CloseStopsReadersAndAppends) {
  auto j = Journal::Open(TestOptions(NewTempDir()));
  ASSERT_TRUE(j.ok());
  ASSERT_TRUE((*j)->Append(Txn("t0", 1)).ok());
  auto r = (*j)->NewReader(0);
  ASSERT_TRUE(r.ok());
  std::thread closer([&] {
    (*j)->WaitDurable(0, absl::Seconds(10));
    (*j)->Close();
  });
  // Entries visible before Close are still returned, then kCancelled.
  EXPECT_EQ(ReadN(**r, 3).size(), 3u);
  closer.join();
  auto b = (*r)->Next(10, absl::Seconds(10));
  EXPECT_EQ(b.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ((*j)->Append(Txn("t1", 1)).status().code(), absl::StatusCode::kCancelled);
  (*j)->Close();  // idempotent
}

TEST(JournalFormatTest, EncodingFromEntriesEqualsEncodingTheBatch) {
  // Entries of every size class (1- and 2-byte length varints, a 3-byte one) and kind.
  std::vector<v1::JournalEntry> entries = Txn("tx", 3);
  entries.push_back(Heartbeat(7));
  v1::JournalEntry big = Event("big", 1);
  big.mutable_event()->set_ddl(std::string(20000, 'x'));
  entries.push_back(big);
  entries.push_back(v1::JournalEntry());  // empty entry: zero-length message
  entries.push_back(Commit("tx2", 1));
  entries.push_back(Event("after-commit", 0));
  v1::JournalBatch batch;
  for (const auto& e : entries) *batch.add_entries() = e;
  std::string from_batch, from_entries;
  ASSERT_TRUE(journal_format::EncodeRecord(42, batch, &from_batch).ok());
  ASSERT_TRUE(journal_format::EncodeRecord(42, entries, &from_entries).ok());
  EXPECT_EQ(from_entries, from_batch);
  EXPECT_EQ(journal_format::CommitEnd(entries), journal_format::CommitEnd(batch));
  EXPECT_EQ(journal_format::CommitEnd(entries), entries.size() - 1);
  // And it decodes to the same entries.
  auto h = journal_format::DecodeHeader(from_entries);
  ASSERT_TRUE(h.ok()) << h.status();
  auto decoded = journal_format::DecodePayload(
      *h, std::string_view(from_entries).substr(journal_format::kHeaderSize));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->entries_size(), static_cast<int>(entries.size()));
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(decoded->entries(static_cast<int>(i)).SerializeAsString(), entries[i].SerializeAsString());
  }
  std::string empty;
  EXPECT_EQ(journal_format::EncodeRecord(0, std::span<const v1::JournalEntry>(), &empty).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(JournalFormatTest, EntryKindsDecodeKeepsEveryEntryButEventBodies) {
  std::vector<v1::JournalEntry> entries = Txn("tx", 2);
  entries.push_back(Heartbeat(7));
  v1::JournalEntry big = Event("big", 1);
  big.mutable_event()->set_ddl(std::string(20000, 'x'));  // a 3-byte length varint
  entries.push_back(big);
  entries.push_back(v1::JournalEntry());  // an empty entry stays an empty entry
  v1::JournalEntry schema;
  schema.mutable_schema()->mutable_table()->set_table("t");
  entries.push_back(schema);
  entries.push_back(Commit("tx2", 1));
  std::string rec;
  ASSERT_TRUE(journal_format::EncodeRecord(0, entries, &rec).ok());
  auto h = journal_format::DecodeHeader(rec);
  ASSERT_TRUE(h.ok()) << h.status();
  const std::string_view payload = std::string_view(rec).substr(journal_format::kHeaderSize);
  v1::JournalBatch kinds;
  ASSERT_TRUE(journal_format::DecodePayload(*h, payload, &kinds, journal_format::EntryBodies::kEntryKinds).ok());
  ASSERT_EQ(kinds.entries_size(), static_cast<int>(entries.size()));
  for (size_t i = 0; i < entries.size(); ++i) {
    const v1::JournalEntry& got = kinds.entries(static_cast<int>(i));
    EXPECT_EQ(got.kind_case(), entries[i].kind_case()) << i;
    if (entries[i].has_event()) {
      EXPECT_EQ(got.event().ByteSizeLong(), 0u) << "an event body was parsed at " << i;
    } else {
      EXPECT_EQ(got.SerializeAsString(), entries[i].SerializeAsString()) << i;
    }
  }
}

TEST(JournalFormatTest, EntryKindsDecodeRejectsMalformedPayloads) {
  std::string rec;
  ASSERT_TRUE(journal_format::EncodeRecord(0, Txn("tx", 2), &rec).ok());
  auto h = journal_format::DecodeHeader(rec);
  ASSERT_TRUE(h.ok());
  // Well-compressed bytes that are not a JournalBatch: field 2 (not entries); an entry
  // whose length runs past the end; an event entry cut inside its body.
  for (const std::string& raw : {std::string("\x12\x00", 2), std::string("\x0a\x05\x0a", 3),
                                 std::string("\x0a\x04\x0a\x05\x08\x01", 6)}) {
    std::string compressed(static_cast<size_t>(LZ4_compressBound(static_cast<int>(raw.size()))), '\0');
    const int n = LZ4_compress_default(raw.data(), compressed.data(), static_cast<int>(raw.size()),
                                       static_cast<int>(compressed.size()));
    ASSERT_GT(n, 0);
    compressed.resize(static_cast<size_t>(n));
    journal_format::RecordHeader bad = *h;
    bad.raw_len = static_cast<uint32_t>(raw.size());
    bad.entry_count = 1;
    v1::JournalBatch out;
    absl::Status st = journal_format::DecodePayload(bad, compressed, &out, journal_format::EntryBodies::kEntryKinds);
    EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
  }
}

TEST(JournalCacheTest, ReaderWithoutEventBodiesReturnsEveryEntryInOrder) {
  JournalOptions o = TestOptions(NewTempDir());
  o.cache_bytes = 0;  // everything is read back from disk
  auto j = Journal::Open(o);
  ASSERT_TRUE(j.ok());
  ASSERT_TRUE((*j)->Append(Txn("a", 2)).ok());
  ASSERT_TRUE((*j)->Append(Txn("b", 3)).ok());
  auto r = (*j)->NewReader(0, {.event_bodies = false});
  ASSERT_TRUE(r.ok());
  std::vector<v1::JournalEntry> got = ReadN(**r, 9);
  std::vector<std::string> kinds;
  for (const auto& e : got) kinds.push_back(e.has_event() ? "e" : testing::Tag(e));
  EXPECT_EQ(kinds, (std::vector<std::string>{"b:a", "e", "e", "c:a", "b:b", "e", "e", "e", "c:b"}));
  EXPECT_EQ(got[8].commit().event_count(), 3u);
  EXPECT_EQ((*j)->records_read_from_disk(), 2u);
}

// Options whose cache holds exactly two records of Txn(name, 3) (their serialized size).
JournalOptions TwoTxnCache() {
  JournalOptions o = TestOptions(NewTempDir());
  std::string one;
  EXPECT_TRUE(journal_format::EncodeRecord(0, Txn("t0", 3), &one).ok());
  o.cache_bytes = 2 * journal_format::DecodeHeader(one)->raw_len;
  return o;
}

TEST(JournalCacheTest, ReadersTakeRecentRecordsFromMemoryAndOlderOnesFromDisk) {
  JournalOptions o = TwoTxnCache();  // the two newest records (all five are the same size)
  std::vector<std::vector<v1::JournalEntry>> txns;
  for (int t = 0; t < 5; ++t) txns.push_back(Txn(fmt::format("t{}", t), 3));
  auto j = Journal::Open(o);
  ASSERT_TRUE(j.ok());
  std::vector<std::string> all;
  for (const auto& t : txns) {
    for (const auto& tag : Tags(t)) all.push_back(tag);
    ASSERT_TRUE((*j)->Append(t).ok());
  }
  ASSERT_TRUE((*j)->Sync().ok());
  auto r = (*j)->NewReader(0);
  ASSERT_TRUE(r.ok());
  std::vector<v1::JournalEntry> got = ReadN(**r, all.size(), 1000);
  EXPECT_EQ(Tags(got), all);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].SerializeAsString(), txns[i / 5][i % 5].SerializeAsString()) << i;
  }
  EXPECT_EQ((*j)->records_read_from_disk(), 3u);
  EXPECT_EQ((*j)->records_read_from_memory(), 2u);
}

TEST(JournalCacheTest, NoCacheReadsEverythingFromDisk) {
  JournalOptions o = TestOptions(NewTempDir());
  o.cache_bytes = 0;
  auto j = Journal::Open(o);
  ASSERT_TRUE(j.ok());
  ASSERT_TRUE((*j)->Append(Txn("a", 2)).ok());
  ASSERT_TRUE((*j)->Append(Txn("b", 2)).ok());
  auto r = (*j)->NewReader(0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Tags(ReadN(**r, 8)), (std::vector<std::string>{"b:a", "e:a#0", "e:a#1", "c:a", "b:b",
                                                             "e:b#0", "e:b#1", "c:b"}));
  EXPECT_EQ((*j)->records_read_from_memory(), 0u);
  EXPECT_EQ((*j)->records_read_from_disk(), 2u);
}

TEST(JournalCacheTest, ReadAheadDecodesEachRecordOnceAndInOrder) {
  JournalOptions o = TestOptions(NewTempDir());
  o.cache_bytes = 0;  // every record comes from disk, through the read ahead
  auto j = Journal::Open(o);
  ASSERT_TRUE(j.ok());
  std::vector<std::string> all;
  for (int t = 0; t < 40; ++t) {
    const auto txn = Txn(fmt::format("t{}", t), 3);
    for (const auto& tag : Tags(txn)) all.push_back(tag);
    ASSERT_TRUE((*j)->Append(txn).ok());
  }
  ASSERT_TRUE((*j)->Sync().ok());
  // Batches of several records each.
  auto r = (*j)->NewReader(0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Tags(ReadN(**r, all.size(), 1000)), all);
  EXPECT_EQ((*j)->records_read_from_disk(), 40u) << "a record was decoded more than once";
  // Batches that cut records, from inside a record.
  auto r2 = (*j)->NewReader(7);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(Tags(ReadN(**r2, all.size() - 7, 3)), std::vector<std::string>(all.begin() + 7, all.end()));
  EXPECT_EQ((*j)->records_read_from_disk(), 40u + 39u);  // records 1..39 again
}

TEST(JournalCacheTest, TruncationDropsCachedEntriesItCut) {
  JournalOptions o = TestOptions(NewTempDir());
  auto j = Journal::Open(o);
  ASSERT_TRUE(j.ok());
  ASSERT_TRUE((*j)->Append(Txn("a", 1)).ok());
  std::vector<v1::JournalEntry> open_txn{Begin("x"), Event("x", 0)};
  ASSERT_TRUE((*j)->Append(open_txn).ok());
  ASSERT_TRUE((*j)->TruncateTo(3).ok());  // cuts the unfinished transaction x
  ASSERT_TRUE((*j)->Append(Txn("b", 1)).ok());
  auto r = (*j)->NewReader(0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Tags(ReadN(**r, 6)),
            (std::vector<std::string>{"b:a", "e:a#0", "c:a", "b:b", "e:b#0", "c:b"}));
}

TEST(JournalCacheTest, WriterWaitsForAnActiveReaderBeforeDroppingWhatItHasNotRead) {
  JournalOptions o = TwoTxnCache();
  o.cache_reader_wait = absl::Minutes(5);  // longer than any pause of this test's reader
  auto j = Journal::Open(o);
  ASSERT_TRUE(j.ok());
  ASSERT_TRUE((*j)->Append(Txn("t0", 3)).ok());
  ASSERT_TRUE((*j)->Append(Txn("t1", 3)).ok());
  ASSERT_TRUE((*j)->Sync().ok());
  auto r = (*j)->NewReader(0);
  ASSERT_TRUE(r.ok());
  std::vector<v1::JournalEntry> got = ReadN(**r, 5, 5);  // t0; t1 is visible and unread
  std::thread writer([&] {
    for (int t = 2; t < 8; ++t) EXPECT_TRUE((*j)->Append(Txn(fmt::format("t{}", t), 3)).ok());
    EXPECT_TRUE((*j)->Sync().ok());
  });
  for (auto& e : ReadN(**r, 35, 5)) got.push_back(e);
  writer.join();
  std::vector<std::string> want;
  for (int t = 0; t < 8; ++t) {
    for (const auto& tag : Tags(Txn(fmt::format("t{}", t), 3))) want.push_back(tag);
  }
  EXPECT_EQ(Tags(got), want);
  EXPECT_EQ((*j)->records_read_from_disk(), 0u) << "each record was read before it was dropped";
  EXPECT_EQ((*j)->records_read_from_memory(), 8u);
}

TEST(JournalCacheTest, ReaderThatHasNotReadYetHoldsNothingBack) {
  JournalOptions o = TwoTxnCache();
  o.cache_reader_wait = absl::Minutes(5);
  auto j = Journal::Open(o);
  ASSERT_TRUE(j.ok());
  auto r = (*j)->NewReader(0);  // never reads while the writer appends
  ASSERT_TRUE(r.ok());
  for (int t = 0; t < 6; ++t) ASSERT_TRUE((*j)->Append(Txn(fmt::format("t{}", t), 3)).ok());
  ASSERT_TRUE((*j)->Sync().ok());
  EXPECT_EQ(ReadN(**r, 30, 1000).size(), 30u);
  EXPECT_EQ((*j)->records_read_from_disk(), 4u);
  EXPECT_EQ((*j)->records_read_from_memory(), 2u);
}

TEST(JournalCacheTest, RecordsEveryReaderHasReadPastAreDropped) {
  JournalOptions o = TestOptions(NewTempDir());
  auto j = Journal::Open(o);
  ASSERT_TRUE(j.ok());
  ASSERT_TRUE((*j)->Append(Txn("a", 1)).ok());
  ASSERT_TRUE((*j)->Append(Txn("b", 1)).ok());
  auto first = (*j)->NewReader(0);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(ReadN(**first, 6).size(), 6u);
  EXPECT_EQ((*j)->records_read_from_memory(), 2u);
  // The only reader is past both records: the cache let them go, so a later reader
  // (a rewind) reads them from disk.
  auto later = (*j)->NewReader(0);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(Tags(ReadN(**later, 6)),
            (std::vector<std::string>{"b:a", "e:a#0", "c:a", "b:b", "e:b#0", "c:b"}));
  EXPECT_EQ((*j)->records_read_from_disk(), 2u);
}

}  // namespace
}  // namespace tidemark
