// CheckpointStore: save/load, bounded history, history write policy, atomicity.
#include "offsets/checkpoint_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/unit/offsets/journal_test_util.h"

namespace tidemark {
namespace {

using ::tidemark::testing::NewTempDir;

v1::Checkpoint Cp(const std::string& sink, uint64_t offset, const std::string& reason = "apply") {
  v1::Checkpoint cp;
  cp.set_sink(sink);
  cp.set_offset(offset);
  cp.set_has_applied(true);
  cp.set_time_micros(static_cast<int64_t>(offset) * 1000);
  cp.set_reason(reason);
  return cp;
}

std::vector<uint64_t> Offsets(const std::vector<v1::Checkpoint>& h) {
  std::vector<uint64_t> v;
  for (const auto& cp : h) v.push_back(cp.offset());
  return v;
}

void WriteRaw(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << bytes;
}

TEST(CheckpointStoreTest, SaveAndLoad) {
  const std::string dir = NewTempDir() + "/checkpoints";  // created by the store
  CheckpointStore store(dir);
  auto none = store.Load("audit");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());

  ASSERT_TRUE(store.Save(Cp("audit", 41)).ok());
  ASSERT_TRUE(store.Save(Cp("audit", 42)).ok());
  ASSERT_TRUE(store.Save(Cp("events", 7)).ok());
  auto cp = store.Load("audit");
  ASSERT_TRUE(cp.ok() && cp->has_value());
  EXPECT_EQ((*cp)->offset(), 42u);
  EXPECT_TRUE((*cp)->has_applied());

  // Another store over the same directory (a restart) sees the same.
  CheckpointStore again(dir);
  cp = again.Load("events");
  ASSERT_TRUE(cp.ok() && cp->has_value());
  EXPECT_EQ((*cp)->offset(), 7u);
  EXPECT_EQ((*cp)->sink(), "events");
}

TEST(CheckpointStoreTest, HistoryIsBoundedOldestDropped) {
  const std::string dir = NewTempDir();
  {
    CheckpointStore store(dir, /*history_limit=*/3);
    store.set_history_interval(absl::ZeroDuration());
    for (uint64_t o = 0; o < 5; ++o) ASSERT_TRUE(store.Save(Cp("s", o)).ok());
    auto h = store.History("s");
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(Offsets(*h), (std::vector<uint64_t>{2, 3, 4}));
  }
  CheckpointStore reread(dir, 3);
  auto h = reread.History("s");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(Offsets(*h), (std::vector<uint64_t>{2, 3, 4}));
  auto empty = reread.History("other");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(CheckpointStoreTest, RoutineHistoryIsThrottledRewindsAreWrittenAtOnce) {
  const std::string dir = NewTempDir();
  CheckpointStore store(dir);
  store.set_history_interval(absl::InfiniteDuration());
  for (uint64_t o = 0; o < 10; ++o) ASSERT_TRUE(store.Save(Cp("s", o)).ok());
  // In memory: all ten. On disk: only the first (no history had been written yet).
  EXPECT_EQ(store.History("s")->size(), 10u);
  EXPECT_EQ(CheckpointStore(dir).History("s")->size(), 1u);
  // The current checkpoint is never behind.
  EXPECT_EQ((*CheckpointStore(dir).Load("s"))->offset(), 9u);

  ASSERT_TRUE(store.Save(Cp("s", 3, "rewind: to offset 3")).ok());
  auto on_disk = CheckpointStore(dir).History("s");
  ASSERT_TRUE(on_disk.ok());
  ASSERT_EQ(on_disk->size(), 11u);
  EXPECT_EQ(on_disk->back().reason(), "rewind: to offset 3");

  ASSERT_TRUE(store.Save(Cp("s", 4)).ok());
  EXPECT_EQ(CheckpointStore(dir).History("s")->size(), 11u);
  ASSERT_TRUE(store.FlushHistory().ok());
  EXPECT_EQ(CheckpointStore(dir).History("s")->size(), 12u);
}

TEST(CheckpointStoreTest, DestructorWritesPendingHistory) {
  const std::string dir = NewTempDir();
  {
    CheckpointStore store(dir);
    store.set_history_interval(absl::InfiniteDuration());
    for (uint64_t o = 0; o < 4; ++o) ASSERT_TRUE(store.Save(Cp("s", o)).ok());
  }
  EXPECT_EQ(Offsets(*CheckpointStore(dir).History("s")), (std::vector<uint64_t>{0, 1, 2, 3}));
}

TEST(CheckpointStoreTest, LeftoverTempFileIsIgnored) {
  const std::string dir = NewTempDir();
  CheckpointStore store(dir);
  // A crash mid-write of the first checkpoint leaves only the temp file.
  WriteRaw(dir + "/s.pb.tmp", "half a checkp");
  WriteRaw(dir + "/s.history.pb.tmp", "\xff\xff garbage");
  auto none = store.Load("s");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());
  EXPECT_TRUE(store.History("s")->empty());

  ASSERT_TRUE(store.Save(Cp("s", 5)).ok());
  // A crash mid-write of the next one: the old checkpoint stays whole.
  WriteRaw(dir + "/s.pb.tmp", "\x10\x09 torn");
  auto cp = CheckpointStore(dir).Load("s");
  ASSERT_TRUE(cp.ok() && cp->has_value()) << cp.status();
  EXPECT_EQ((*cp)->offset(), 5u);
  ASSERT_TRUE(store.Save(Cp("s", 6)).ok());
  EXPECT_EQ((*CheckpointStore(dir).Load("s"))->offset(), 6u);
}

TEST(CheckpointStoreTest, CorruptFilesAreDataLossNamingTheFile) {
  const std::string dir = NewTempDir();
  WriteRaw(dir + "/s.pb", "\xff\xff\xff not a checkpoint");
  WriteRaw(dir + "/s.history.pb", "\xff\xff\xff not a history");
  CheckpointStore store(dir);
  auto cp = store.Load("s");
  ASSERT_EQ(cp.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(std::string(cp.status().message()).find(dir + "/s.pb"), std::string::npos);
  auto h = store.History("s");
  ASSERT_EQ(h.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(std::string(h.status().message()).find("s.history.pb"), std::string::npos);
}

TEST(CheckpointStoreTest, RejectsSinkNamesThatAreNotFileNames) {
  CheckpointStore store(NewTempDir());
  for (const std::string name : {"", "..", "a/b", "x.history", "x.tmp"}) {
    EXPECT_EQ(store.Save(Cp(name, 1)).code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_EQ(store.Load(name).status().code(), absl::StatusCode::kInvalidArgument) << name;
  }
}

}  // namespace
}  // namespace tidemark
