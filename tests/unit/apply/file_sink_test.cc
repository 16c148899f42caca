// File and null sinks: lines, checkpoints, reopen/append, replay skipping, torn tails.
#include "apply/file/file_sink.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "apply/file/null_sink.h"
#include "offsets/checkpoint_store.h"

namespace tidemark {
namespace {

namespace fs = std::filesystem;

std::string TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "tm_file_sink_XXXXXX").string();
  char* d = ::mkdtemp(tmpl.data());
  EXPECT_NE(d, nullptr);
  return tmpl;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Lines(const std::string& path) {
  std::vector<std::string> out;
  std::istringstream in(Slurp(path));
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

v1::TableSchema Schema() {
  v1::TableSchema s;
  s.mutable_table()->set_database("demo");
  s.mutable_table()->set_schema("public");
  s.mutable_table()->set_table("t");
  s.set_version(1);
  auto* c = s.add_columns();
  c->set_name("id");
  c->mutable_type()->set_kind(v1::TYPE_INT64);
  c->set_part_of_key(true);
  s.add_key_columns("id");
  return s;
}

v1::JournalEntry Begin() {
  v1::JournalEntry e;
  e.mutable_begin()->set_transaction_id("700");
  e.mutable_begin()->set_commit_time_micros(1'000'000);
  return e;
}

v1::JournalEntry Insert(int64_t id, uint32_t seq) {
  v1::JournalEntry e;
  v1::ChangeEvent* ev = e.mutable_event();
  *ev->mutable_table() = Schema().table();
  ev->set_op(v1::OP_INSERT);
  ev->set_schema_version(1);
  ev->mutable_after()->add_values()->set_int_value(id);
  ev->mutable_position()->mutable_pg()->set_lsn(1000 + static_cast<uint64_t>(id));
  ev->set_transaction_id("700");
  ev->set_commit_time_micros(1'000'000);
  ev->set_sequence(seq);
  return e;
}

v1::JournalEntry Commit(uint64_t end_lsn) {
  v1::JournalEntry e;
  e.mutable_commit()->set_transaction_id("700");
  e.mutable_commit()->mutable_position()->mutable_pg()->set_end_lsn(end_lsn);
  return e;
}

// One transaction of `n` inserts starting at id `first_id`: begin, inserts, commit.
JournalBatch Txn(uint64_t first_offset, int64_t first_id, int n, uint64_t end_lsn) {
  JournalBatch b;
  b.first_offset = first_offset;
  b.entries.push_back(Begin());
  for (int i = 0; i < n; ++i) b.entries.push_back(Insert(first_id + i, static_cast<uint32_t>(i)));
  b.entries.push_back(Commit(end_lsn));
  return b;
}

class FileSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    path_ = dir_ + "/out/sub/events.jsonl";
    auto reg = SchemaRegistry::Open("");
    ASSERT_TRUE(reg.ok());
    registry_ = std::move(*reg);
    ASSERT_TRUE(registry_->Put(Schema()).ok());
    store_ = std::make_unique<CheckpointStore>(dir_ + "/checkpoints");
    ctx_.connector = "postgresql";
    ctx_.name = "demo";
  }
  void TearDown() override {
    store_.reset();  // it may write its history on destruction
    fs::remove_all(dir_);
  }

  std::unique_ptr<FileSink> Open() {
    auto sink = FileSink::Open("audit", path_, /*fsync=*/true, registry_.get(), store_.get(), ctx_);
    EXPECT_TRUE(sink.ok()) << sink.status();
    return sink.ok() ? std::move(*sink) : nullptr;
  }

  std::string dir_, path_;
  std::unique_ptr<SchemaRegistry> registry_;
  std::unique_ptr<CheckpointStore> store_;
  EnvelopeContext ctx_;
};

TEST_F(FileSinkTest, WriteFlushWritesLinesAndSavesCheckpoint) {
  auto sink = Open();
  ASSERT_NE(sink, nullptr);
  auto none = sink->LoadCheckpoint();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(sink->Write(Txn(10, 1, 2, 5000)).ok());
  EXPECT_EQ(Slurp(path_), "");  // buffered until Flush
  auto cp = sink->Flush();
  ASSERT_TRUE(cp.ok()) << cp.status();
  EXPECT_EQ(cp->sink(), "audit");
  EXPECT_TRUE(cp->has_applied());
  EXPECT_EQ(cp->offset(), 13u);  // begin 10, inserts 11-12, commit 13
  EXPECT_EQ(cp->position().pg().end_lsn(), 5000u);
  EXPECT_EQ(cp->reason(), "apply");
  EXPECT_GT(cp->time_micros(), 0);

  std::vector<std::string> lines = Lines(path_);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            R"({"before":null,"after":{"id":1},"source":{"version":"tidemark-0.1.0",)"
            R"("connector":"postgresql","name":"demo","ts_ms":1000,"ts_us":1000000,)"
            R"("snapshot":"false","db":"demo","schema":"public","table":"t","txId":700,)"
            R"("lsn":1001,"xmin":null},"op":"c","ts_ms":1000,"ts_us":1000000,)"
            R"("tidemark":{"offset":11,"seq":0}})");
  EXPECT_NE(lines[1].find(R"("tidemark":{"offset":12,"seq":1})"), std::string::npos);

  auto stored = store_->Load("audit");
  ASSERT_TRUE(stored.ok());
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ((*stored)->offset(), 13u);
  EXPECT_EQ((*stored)->position().pg().end_lsn(), 5000u);
}

TEST_F(FileSinkTest, ReopenAppendsAndResumesFromCheckpoint) {
  {
    auto sink = Open();
    ASSERT_TRUE(sink->LoadCheckpoint().ok());
    ASSERT_TRUE(sink->Write(Txn(0, 1, 3, 100)).ok());
    ASSERT_TRUE(sink->Flush().ok());
  }
  auto sink = Open();
  auto cp = sink->LoadCheckpoint();
  ASSERT_TRUE(cp.ok());
  ASSERT_TRUE(cp->has_value());
  EXPECT_EQ((*cp)->offset(), 4u);
  ASSERT_TRUE(sink->Write(Txn(5, 4, 1, 200)).ok());
  ASSERT_TRUE(sink->Flush().ok());
  std::vector<std::string> lines = Lines(path_);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_NE(lines[0].find(R"("after":{"id":1})"), std::string::npos);
  EXPECT_NE(lines[3].find(R"("after":{"id":4})"), std::string::npos);
  EXPECT_NE(lines[3].find(R"("offset":6,)"), std::string::npos);
}

TEST_F(FileSinkTest, EntriesAtOrBelowCheckpointAreSkipped) {
  auto sink = Open();
  ASSERT_TRUE(sink->LoadCheckpoint().ok());
  ASSERT_TRUE(sink->Write(Txn(0, 1, 2, 100)).ok());  // offsets 0..3
  ASSERT_TRUE(sink->Flush().ok());
  // A replay overlapping the checkpoint: offsets 2..5 (only 4, 5 are new).
  JournalBatch b;
  b.first_offset = 2;
  b.entries = {Insert(2, 1), Commit(100), Insert(9, 0), Commit(300)};
  ASSERT_TRUE(sink->Write(b).ok());
  auto cp = sink->Flush();
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->offset(), 5u);
  EXPECT_EQ(cp->position().pg().end_lsn(), 300u);
  std::vector<std::string> lines = Lines(path_);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[2].find(R"("after":{"id":9})"), std::string::npos);
}

TEST_F(FileSinkTest, LoadCheckpointDropsUnflushedLines) {
  auto sink = Open();
  ASSERT_TRUE(sink->LoadCheckpoint().ok());
  ASSERT_TRUE(sink->Write(Txn(0, 1, 1, 100)).ok());
  ASSERT_TRUE(sink->Flush().ok());
  ASSERT_TRUE(sink->Write(Txn(3, 2, 1, 200)).ok());  // not flushed
  auto cp = sink->LoadCheckpoint();                   // the applier's retry path
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ((*cp)->offset(), 2u);
  ASSERT_TRUE(sink->Write(Txn(3, 2, 1, 200)).ok());
  ASSERT_TRUE(sink->Flush().ok());
  EXPECT_EQ(Lines(path_).size(), 2u);  // the replayed line is written once
}

TEST_F(FileSinkTest, FlushWithNothingWrittenSavesNothing) {
  auto sink = Open();
  auto cp = sink->Flush();
  ASSERT_TRUE(cp.ok());
  EXPECT_FALSE(cp->has_applied());
  EXPECT_EQ(cp->sink(), "audit");
  auto stored = store_->Load("audit");
  ASSERT_TRUE(stored.ok());
  EXPECT_FALSE(stored->has_value());
}

TEST_F(FileSinkTest, BatchWithoutCommitKeepsStoredPosition) {
  {
    auto sink = Open();
    ASSERT_TRUE(sink->Write(Txn(0, 1, 1, 100)).ok());
    ASSERT_TRUE(sink->Flush().ok());
  }
  auto sink = Open();  // no LoadCheckpoint call: Write loads it
  JournalBatch b;
  b.first_offset = 3;
  b.entries = {Begin(), Insert(5, 0)};
  ASSERT_TRUE(sink->Write(b).ok());
  auto cp = sink->Flush();
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->offset(), 4u);
  EXPECT_EQ(cp->position().pg().end_lsn(), 100u);
}

TEST_F(FileSinkTest, TornTailIsCutOnOpen) {
  fs::create_directories(fs::path(path_).parent_path());
  std::ofstream(path_) << "{\"complete\":1}\n{\"torn\":";
  auto sink = Open();
  EXPECT_EQ(Slurp(path_), "{\"complete\":1}\n");
  ASSERT_TRUE(sink->Write(Txn(0, 1, 1, 100)).ok());
  ASSERT_TRUE(sink->Flush().ok());
  std::vector<std::string> lines = Lines(path_);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "{\"complete\":1}");
}

TEST(CutTornTail, LongTornLineAndNoNewlineAtAll) {
  std::string dir = TempDir();
  std::string path = dir + "/f";
  std::ofstream(path) << "a\n" << std::string(200000, 'x');
  int fd = ::open(path.c_str(), O_RDWR);
  auto cut = CutTornTail(fd, path);
  ASSERT_TRUE(cut.ok());
  EXPECT_EQ(*cut, 200000u);
  EXPECT_EQ(Slurp(path), "a\n");
  EXPECT_EQ(*CutTornTail(fd, path), 0u);
  ::close(fd);
  std::ofstream(path) << std::string(70000, 'y');
  fd = ::open(path.c_str(), O_RDWR);
  EXPECT_EQ(*CutTornTail(fd, path), 70000u);
  EXPECT_EQ(Slurp(path), "");
  ::close(fd);
  fs::remove_all(dir);
}

TEST_F(FileSinkTest, OnlyEventsAndMessagesMakeLines) {
  auto sink = Open();
  JournalBatch b;
  b.first_offset = 0;
  v1::JournalEntry schema;
  *schema.mutable_schema() = Schema();
  v1::JournalEntry ddl = Insert(0, 0);
  ddl.mutable_event()->set_op(v1::OP_DDL);
  ddl.mutable_event()->set_ddl("ALTER TABLE t ADD c int");
  v1::JournalEntry hb;
  hb.mutable_heartbeat()->set_time_micros(5);
  v1::JournalEntry msg;
  msg.mutable_message()->set_transactional(true);
  msg.mutable_message()->set_prefix("p");
  msg.mutable_message()->set_content("x");
  b.entries = {schema, Begin(), ddl, msg, Commit(10), hb};
  ASSERT_TRUE(sink->Write(b).ok());
  auto cp = sink->Flush();
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->offset(), 5u);
  std::vector<std::string> lines = Lines(path_);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind(R"({"op":"m","ts_ms":1000,)", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find(R"("tidemark":{"offset":3}})"), std::string::npos);
}

TEST_F(FileSinkTest, SchemaFromJournalWhenRegistryLacksIt) {
  auto empty = SchemaRegistry::Open("");
  ASSERT_TRUE(empty.ok());
  auto sink = FileSink::Open("audit", path_, false, empty->get(), store_.get(), ctx_);
  ASSERT_TRUE(sink.ok());
  absl::Status missing = (*sink)->Write(Txn(0, 1, 1, 10));
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound) << missing;
  ASSERT_TRUE((*sink)->LoadCheckpoint().ok());
  v1::JournalEntry schema;
  *schema.mutable_schema() = Schema();
  JournalBatch b;
  b.entries.push_back(schema);
  for (const v1::JournalEntry& e : Txn(0, 1, 1, 10).entries) b.entries.push_back(e);
  ASSERT_TRUE((*sink)->Write(b).ok());
  ASSERT_TRUE((*sink)->Flush().ok());
  EXPECT_EQ(Lines(path_).size(), 1u);
}

TEST_F(FileSinkTest, LargeBatchesAreWrittenInChunksBeforeFlush) {
  auto sink = Open();
  ASSERT_TRUE(sink->Write(Txn(0, 1, 30000, 10)).ok());  // ~9 MB of lines
  EXPECT_GE(sink->bytes_written(), FileSink::kWriteChunkBytes);
  ASSERT_TRUE(sink->Flush().ok());
  EXPECT_EQ(Lines(path_).size(), 30000u);
  EXPECT_EQ(sink->bytes_written(), fs::file_size(path_));
}

TEST_F(FileSinkTest, OpenErrorsNameThePath) {
  std::string blocker = dir_ + "/file";
  std::ofstream(blocker) << "x";
  auto sink = FileSink::Open("audit", blocker + "/sub/e.jsonl", true, registry_.get(), store_.get(),
                             ctx_);
  ASSERT_FALSE(sink.ok());
  EXPECT_NE(sink.status().message().find(blocker), absl::string_view::npos) << sink.status();
}

TEST(NullSink, KeepsCheckpointInStore) {
  std::string dir = TempDir();
  CheckpointStore store(dir + "/cp");
  {
    NullSink sink("bench", &store);
    ASSERT_TRUE(sink.LoadCheckpoint().ok());
    ASSERT_TRUE(sink.Write(Txn(0, 1, 5, 77)).ok());
    auto cp = sink.Flush();
    ASSERT_TRUE(cp.ok());
    EXPECT_EQ(cp->offset(), 6u);
    EXPECT_EQ(sink.entries(), 7u);
    EXPECT_EQ(sink.events(), 5u);
  }
  NullSink again("bench", &store);
  auto cp = again.LoadCheckpoint();
  ASSERT_TRUE(cp.ok());
  ASSERT_TRUE(cp->has_value());
  EXPECT_EQ((*cp)->offset(), 6u);
  EXPECT_EQ((*cp)->position().pg().end_lsn(), 77u);
  ASSERT_TRUE(again.Write(Txn(0, 1, 5, 77)).ok());  // a full replay: all skipped
  EXPECT_EQ(again.entries(), 0u);
  fs::remove_all(dir);
}

TEST(NullSink, WithoutStoreKeepsCheckpointInMemory) {
  NullSink sink("mem", nullptr);
  ASSERT_TRUE(sink.Write(Txn(0, 1, 1, 5)).ok());
  ASSERT_TRUE(sink.Flush().ok());
  auto cp = sink.LoadCheckpoint();
  ASSERT_TRUE(cp.ok());
  ASSERT_TRUE(cp->has_value());
  EXPECT_EQ((*cp)->offset(), 2u);
}

}  // namespace
}  // namespace tidemark
