#include "apply/applier.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/backoff.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark {

Applier::Applier(ApplierOptions options, Sink* sink, Journal* journal)
    : options_(std::move(options)), sink_(sink), journal_(journal) {}

Applier::~Applier() { Stop(); }

void Applier::Start() { thread_ = std::thread([this] { Run(); }); }

void Applier::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

absl::Status Applier::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

void Applier::Run() {
  Backoff backoff(absl::Milliseconds(200), absl::Seconds(30));
  while (!stop_) {
    absl::Status s = RunOnce();
    if (s.ok() || stop_) return;
    bool transient = absl::IsUnavailable(s) || absl::IsAborted(s);
    if (!transient) {
      spdlog::error("sink {} stopped: {}", options_.name, s.message());
      absl::MutexLock lock(&mu_);
      status_ = Annotate(s, fmt::format("sink {}: ", options_.name));
      failed_ = true;
      return;
    }
    absl::Duration d = backoff.Next();
    spdlog::warn("sink {}: {}; retrying from its checkpoint in {}", options_.name, s.message(),
                 absl::FormatDuration(d));
    absl::Time until = absl::Now() + d;
    while (!stop_ && absl::Now() < until) journal_->WaitDurable(UINT64_MAX, absl::Milliseconds(50));
  }
}

absl::Status Applier::RunOnce() {
  TM_ASSIGN_OR_RETURN(std::optional<v1::Checkpoint> cp, sink_->LoadCheckpoint());
  uint64_t from = journal_->first_offset();
  if (cp.has_value() && cp->has_applied()) {
    from = cp->offset() + 1;
    if (from < journal_->first_offset()) {
      return absl::OutOfRangeError(fmt::format(
          "sink {} is at journal offset {} but the journal now starts at {}: the entries in between "
          "were dropped by retention; rewind the sink to an offset inside the journal or resnapshot",
          options_.name, from, journal_->first_offset()));
    }
  }
  applied_end_ = from;
  spdlog::info("sink {}: applying from journal offset {}", options_.name, from);
  TM_ASSIGN_OR_RETURN(std::unique_ptr<JournalReader> reader, journal_->NewReader(from));
  // Write batches as they come; flush (fsync + checkpoint) when the journal has
  // nothing more right now, when batch_events entries are unflushed, or batch_wait
  // after the first unflushed write, so a steady trickle still checkpoints.
  size_t unflushed = 0;
  absl::Time dirty_since;
  auto flush = [&]() -> absl::Status {
    TM_RETURN_IF_ERROR(sink_->Flush().status());
    applied_end_ = reader->position();
    unflushed = 0;
    return absl::OkStatus();
  };
  while (!stop_) {
    absl::Duration wait = unflushed > 0 ? absl::ZeroDuration() : options_.batch_wait;
    TM_ASSIGN_OR_RETURN(JournalBatch batch, reader->Next(options_.batch_events, wait));
    if (!batch.entries.empty()) {
      TM_RETURN_IF_ERROR(sink_->Write(batch));
      if (unflushed == 0) dirty_since = absl::Now();
      unflushed += batch.entries.size();
    }
    if (unflushed > 0 && (batch.entries.empty() || unflushed >= options_.batch_events ||
                          absl::Now() - dirty_since >= options_.batch_wait)) {
      TM_RETURN_IF_ERROR(flush());
    }
  }
  if (unflushed > 0) TM_RETURN_IF_ERROR(flush());
  return absl::OkStatus();
}

}  // namespace tidemark
