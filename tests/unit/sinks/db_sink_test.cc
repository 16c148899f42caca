// DbSink's batching policy (apply/db/db_sink.h), with an engine that records the
// batches it is asked to commit instead of talking to a database.
#include <gtest/gtest.h>

#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "apply/db/db_sink.h"
#include "schema/registry.h"

namespace tidemark {
namespace {

class RecordingSink final : public DbSink {
 public:
  RecordingSink(DbSinkOptions options, const SchemaRegistry* registry)
      : DbSink(std::move(options), registry) {}
  ~RecordingSink() override { AwaitCommit(); }

  // The checkpoint offsets of the batches committed so far, once none is in flight.
  std::vector<uint64_t> Committed() {
    AwaitCommit();
    absl::MutexLock l(&mu_);
    return committed_;
  }

 private:
  absl::Status Connect() override {
    connected_ = true;
    return absl::OkStatus();
  }
  bool connected() const override { return connected_; }
  void Disconnect() override { connected_ = false; }
  absl::StatusOr<std::optional<std::string>> ReadCheckpoint() override { return std::nullopt; }
  absl::StatusOr<std::vector<std::string>> KeyColumns(const v1::TableSchema&) override {
    return std::vector<std::string>{"id"};
  }
  absl::Status BeforeNewVersion(const std::string&, uint32_t, const TableFold&) override {
    return absl::OkStatus();
  }
  absl::Status MoveRows(const v1::TableSchema&, const v1::TableId&) override {
    return absl::OkStatus();
  }
  absl::Status CommitBatch(Batch& batch) override {
    absl::MutexLock l(&mu_);
    committed_.push_back(batch.checkpoint.offset());
    return absl::OkStatus();
  }

  bool connected_ = false;
  absl::Mutex mu_;
  std::vector<uint64_t> committed_ ABSL_GUARDED_BY(mu_);
};

v1::TableSchema Schema() {
  v1::TableSchema s;
  s.mutable_table()->set_schema("public");
  s.mutable_table()->set_table("t");
  s.set_version(1);
  s.add_columns()->set_name("id");
  s.add_key_columns("id");
  return s;
}

// One transaction inserting `id`, committed on the source at `commit_time`:
// entries first .. first + 2 (begin, insert, commit).
JournalBatch Txn(uint64_t first, int64_t id, absl::Time commit_time) {
  JournalBatch b;
  b.first_offset = first;
  v1::JournalEntry begin;
  begin.mutable_begin()->set_transaction_id(std::to_string(id));
  b.entries.push_back(begin);
  v1::JournalEntry insert;
  v1::ChangeEvent* ev = insert.mutable_event();
  *ev->mutable_table() = Schema().table();
  ev->set_schema_version(1);
  ev->set_op(v1::OP_INSERT);
  ev->mutable_after()->add_values()->set_int_value(id);
  b.entries.push_back(insert);
  v1::JournalEntry commit;
  commit.mutable_commit()->set_transaction_id(std::to_string(id));
  commit.mutable_commit()->set_commit_time_micros(absl::ToUnixMicros(commit_time));
  b.entries.push_back(commit);
  return b;
}

struct Fixture {
  explicit Fixture(size_t batch_events, absl::Duration batch_wait) {
    registry = *SchemaRegistry::Open("");
    bool added = false;
    EXPECT_TRUE(registry->Intern(Schema(), &added).ok());
    DbSinkOptions o;
    o.name = "out";
    o.pipeline = "p";
    o.batch_events = batch_events;
    o.batch_wait = batch_wait;
    sink = std::make_unique<RecordingSink>(o, registry.get());
    EXPECT_TRUE(sink->LoadCheckpoint().ok());
  }
  std::unique_ptr<SchemaRegistry> registry;
  std::unique_ptr<RecordingSink> sink;
};

TEST(DbSinkBatching, LiveChangesAreSentAsSoonAsTheCommitThreadIsFree) {
  Fixture f(/*batch_events=*/1000, /*batch_wait=*/absl::Hours(1));
  ASSERT_TRUE(f.sink->Write(Txn(0, 1, absl::Now())).ok());
  ASSERT_TRUE(f.sink->Progress().ok());
  EXPECT_EQ(f.sink->Committed(), std::vector<uint64_t>{2});
}

TEST(DbSinkBatching, CatchingUpBatchGrowsToBatchEvents) {
  // Source commits an hour old: the sink is catching up, so it waits for a full batch.
  Fixture f(/*batch_events=*/6, /*batch_wait=*/absl::Hours(1));
  const absl::Time old = absl::Now() - absl::Hours(1);
  ASSERT_TRUE(f.sink->Write(Txn(0, 1, old)).ok());
  auto cp = f.sink->Progress();
  ASSERT_TRUE(cp.ok());
  ASSERT_TRUE(cp->has_value());
  EXPECT_FALSE((*cp)->has_applied()) << "nothing committed yet";
  EXPECT_TRUE(f.sink->Committed().empty()) << "3 of 6 entries: held back";
  ASSERT_TRUE(f.sink->Write(Txn(3, 2, old)).ok());
  ASSERT_TRUE(f.sink->Progress().ok());
  EXPECT_EQ(f.sink->Committed(), std::vector<uint64_t>{5}) << "6 entries: one batch";
}

TEST(DbSinkBatching, CatchingUpBatchGoesOnceItsFirstEntryWaitedBatchWait) {
  Fixture f(/*batch_events=*/1000, /*batch_wait=*/absl::ZeroDuration());
  ASSERT_TRUE(f.sink->Write(Txn(0, 1, absl::Now() - absl::Hours(1))).ok());
  ASSERT_TRUE(f.sink->Progress().ok());
  EXPECT_EQ(f.sink->Committed(), std::vector<uint64_t>{2});
}

TEST(DbSinkBatching, FlushSendsAHeldBatch) {
  Fixture f(/*batch_events=*/1000, /*batch_wait=*/absl::Hours(1));
  ASSERT_TRUE(f.sink->Write(Txn(0, 1, absl::Now() - absl::Hours(1))).ok());
  ASSERT_TRUE(f.sink->Progress().ok());
  auto cp = f.sink->Flush();
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->offset(), 2u);
  EXPECT_EQ(f.sink->Committed(), std::vector<uint64_t>{2});
}

}  // namespace
}  // namespace tidemark
