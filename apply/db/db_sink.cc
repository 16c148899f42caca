#include "apply/db/db_sink.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "schema/mongo_shape.h"

namespace tidemark {

std::string HexDigits(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

DbSink::DbSink(DbSinkOptions options, const SchemaRegistry* registry)
    : options_(std::move(options)), registry_(registry), schemas_(registry) {
  committed_.set_sink(options_.name);
  current_ = committed_;
}

DbSink::~DbSink() {
  if (batches_ > 0) {
    spdlog::info("sink {}: {} journal entries applied in {} target transactions", options_.name,
                 batched_entries_, batches_);
  }
}

void DbSink::Reset() {
  (void)worker_.Wait();  // a failed or abandoned batch: the checkpoint on the target says
  Disconnect();
  folds_.clear();
  ForgetFolds();
  records_.clear();
  pending_sql_.clear();
  current_ = committed_;
  dirty_ = false;
  unsent_ = 0;
}

absl::Status DbSink::Fail(absl::Status s) {
  Reset();
  return s;
}

absl::StatusOr<std::optional<v1::Checkpoint>> DbSink::LoadCheckpoint() {
  Reset();
  if (absl::Status s = Connect(); !s.ok()) return Fail(s);
  auto bytes = ReadCheckpoint();
  if (!bytes.ok()) return Fail(bytes.status());
  loaded_ = true;
  committed_ = v1::Checkpoint();
  committed_.set_sink(options_.name);
  std::optional<v1::Checkpoint> out;
  if (bytes->has_value()) {
    if (!committed_.ParseFromString(**bytes)) {
      return Fail(absl::DataLossError(fmt::format(
          "sink {}: the checkpoint row '{}' in tidemark.checkpoints does not parse; delete it to "
          "start over (the sink then replays the whole journal)",
          options_.name, options_.checkpoint_key())));
    }
    out = committed_;
  }
  current_ = committed_;
  return out;
}

absl::Status DbSink::Write(const JournalBatch& batch) {
  if (!loaded_ || !connected()) {
    auto cp = LoadCheckpoint();
    if (!cp.ok()) return cp.status();
  }
  for (size_t i = 0; i < batch.entries.size(); ++i) {
    const uint64_t offset = batch.first_offset + i;
    if (committed_.has_applied() && offset <= committed_.offset()) continue;
    if (absl::Status s = WriteEntry(offset, batch.entries[i]); !s.ok()) return Fail(s);
  }
  batch.entries.ShareOwners(&records_);  // the folds view the events
  if (unsent_ == 0) first_unsent_ = absl::Now();
  unsent_ += batch.entries.size();
  return absl::OkStatus();
}

absl::Status DbSink::WriteEntry(uint64_t offset, const v1::JournalEntry& entry) {
  if (entry.has_schema()) {
    schemas_.Remember(entry.schema());
  } else if (entry.has_event() &&
             (entry.event().op() != v1::OP_DDL || mongo_rows::IsMongoDdl(entry.event()))) {
    TM_RETURN_IF_ERROR(WriteEvent(offset, entry.event()));
  } else if (entry.has_commit()) {
    if (entry.commit().has_position()) *current_.mutable_position() = entry.commit().position();
    last_commit_micros_ = entry.commit().commit_time_micros();
  }
  current_.set_offset(offset);
  current_.set_has_applied(true);
  dirty_ = true;
  return absl::OkStatus();
}

absl::Status DbSink::WriteEvent(uint64_t offset, const v1::ChangeEvent& ev) {
  // A MongoDB DDL of a collection tidemark never saw has no table here.
  if (mongo_rows::IsMongoDdl(ev) && ev.schema_version() == 0) return absl::OkStatus();
  TM_ASSIGN_OR_RETURN(const v1::TableSchema* schema, schemas_.For(ev));
  if (!mongo_shape::IsMongoSchema(*schema)) {
    TM_ASSIGN_OR_RETURN(TableFold * fold, FoldFor(*schema));
    return fold->AddView(ev, offset);
  }
  TM_ASSIGN_OR_RETURN(mongo_rows::Change change, mongo_rows::Convert(ev, *schema, offset));
  const v1::TableSchema* relational = mongo_schemas_.For(*schema);
  switch (change.kind) {
    case mongo_rows::Change::kNone:
      return absl::OkStatus();
    case mongo_rows::Change::kRow: {
      TM_ASSIGN_OR_RETURN(TableFold * fold, FoldFor(*relational));
      return fold->Add(std::move(change.event), offset);
    }
    case mongo_rows::Change::kMove:
      return MoveRows(*relational, change.to);
  }
  return absl::OkStatus();
}

absl::StatusOr<TableFold*> DbSink::FoldFor(const v1::TableSchema& schema) {
  // A table version folded before in this batch: the common case, no key to build.
  if (auto f = fold_by_schema_.find(&schema); f != fold_by_schema_.end()) return f->second;
  const std::string key = TableKey(schema.table());
  auto it = folds_.find(key);
  if (it != folds_.end() && it->second.first == schema.version()) {
    fold_by_schema_[&schema] = &it->second.second;
    return &it->second.second;
  }
  if (it != folds_.end()) {
    // A new schema version: what the older one folded goes to the target first.
    TM_RETURN_IF_ERROR(Collect(/*wait=*/true));
    TM_RETURN_IF_ERROR(BeforeNewVersion(key, it->second.first, it->second.second));
    folds_.erase(key);
    ForgetFolds();
  }
  TM_ASSIGN_OR_RETURN(std::vector<std::string> key_columns, KeyColumns(schema));
  TM_ASSIGN_OR_RETURN(TableFold fold, TableFold::Create(schema, key_columns));
  auto [slot, added] = folds_.emplace(key, std::make_pair(schema.version(), std::move(fold)));
  (void)added;
  fold_by_schema_[&schema] = &slot->second.second;
  return &slot->second.second;
}

bool DbSink::HoldBatch() const {
  // Catching up: the newest change written committed on the source more than
  // kCatchUpLag ago. Then each target transaction's fixed costs (statements per
  // table, the checkpoint row, the commit) are worth spreading over a full batch;
  // live, a batch goes as soon as the commit thread is free, for latency. (Source
  // commit times come from the source's clock: a skew beyond kCatchUpLag only
  // changes how batches are cut, never what is applied.)
  constexpr int64_t kCatchUpLagMicros = 1'000'000;
  if (last_commit_micros_ <= 0) return false;
  const absl::Time now = absl::Now();
  if (absl::ToUnixMicros(now) - last_commit_micros_ <= kCatchUpLagMicros) return false;
  return unsent_ < options_.batch_events && now - first_unsent_ < options_.batch_wait;
}

std::unique_ptr<DbSink::Batch> DbSink::TakeBatch() {
  auto batch = std::make_unique<Batch>();
  batch->sql = std::move(pending_sql_);
  pending_sql_.clear();
  batch->folds = std::move(folds_);
  folds_.clear();
  batch->records = std::move(records_);
  records_.clear();
  ForgetFolds();
  current_.set_time_micros(absl::ToUnixMicros(absl::Now()));
  current_.set_reason("apply");
  batch->checkpoint = current_;
  dirty_ = false;
  ++batches_;
  batched_entries_ += unsent_;
  unsent_ = 0;
  return batch;
}

absl::Status DbSink::Collect(bool wait) {
  if (!worker_.busy()) return absl::OkStatus();
  std::optional<absl::Status> done;
  if (wait) {
    done = worker_.Wait();
  } else {
    done = worker_.Poll();
  }
  if (!done.has_value()) return absl::OkStatus();
  TM_RETURN_IF_ERROR(*done);
  committed_ = in_flight_;
  return absl::OkStatus();
}

absl::Status DbSink::CommitNow() {
  TM_RETURN_IF_ERROR(Collect(/*wait=*/true));
  if (!dirty_) return absl::OkStatus();
  if (!connected()) TM_RETURN_IF_ERROR(Connect());
  std::unique_ptr<Batch> batch = TakeBatch();
  TM_RETURN_IF_ERROR(CommitBatch(*batch));
  committed_ = batch->checkpoint;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<v1::Checkpoint>> DbSink::Progress() {
  // Wait for the batch in flight only when another full batch is waiting behind it.
  const bool wait = unsent_ >= options_.batch_events;
  if (absl::Status s = Collect(wait); !s.ok()) return Fail(s);
  if (dirty_ && !worker_.busy() && !HoldBatch()) {
    if (!connected()) {
      if (absl::Status s = Connect(); !s.ok()) return Fail(s);
    }
    std::unique_ptr<Batch> batch = TakeBatch();
    in_flight_ = batch->checkpoint;
    worker_.Start([this, batch = std::move(batch)]() mutable {
      absl::Status s = CommitBatch(*batch);
      batch.reset();  // the folds are freed on this thread, not the applier's
      return s;
    });
  }
  return std::optional<v1::Checkpoint>(committed_);
}

absl::StatusOr<v1::Checkpoint> DbSink::Flush() {
  if (absl::Status s = CommitNow(); !s.ok()) return Fail(s);
  return committed_;
}

}  // namespace tidemark
