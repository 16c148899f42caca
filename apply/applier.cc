#include "apply/applier.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "apply/catch_up_log.h"
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
  TM_ASSIGN_OR_RETURN(std::unique_ptr<JournalReader> reader,
                      journal_->NewReader(from, {.event_bodies = sink_->ReadsEventBodies()}));
  // Write batches as they come. Every batch_events entries, or batch_wait after the
  // first unrecorded write, record a checkpoint: Progress() for sinks that complete
  // writes asynchronously (it records what is durable already and returns at once),
  // else the Flush() barrier. When the journal has nothing more right now, settle:
  // Flush(), or for asynchronous sinks Progress() again until it covers everything
  // read — so an idle pipeline's checkpoint catches up with the journal.
  size_t unrecorded = 0;  // entries written since the last checkpoint call
  absl::Time dirty_since;
  auto settled = [&] { return applied_end_ >= reader->position(); };
  auto record = [&](bool barrier) -> absl::Status {
    unrecorded = 0;
    if (!barrier) {
      TM_ASSIGN_OR_RETURN(std::optional<v1::Checkpoint> cp, sink_->Progress());
      if (cp.has_value()) {
        if (cp->has_applied()) applied_end_ = std::max<uint64_t>(applied_end_, cp->offset() + 1);
        return absl::OkStatus();
      }
    }
    TM_RETURN_IF_ERROR(sink_->Flush().status());
    applied_end_ = reader->position();
    return absl::OkStatus();
  };
  CatchUpLog catch_up(options_.name);
  while (!stop_) {
    absl::Duration wait = options_.batch_wait;
    if (unrecorded > 0) {
      wait = absl::ZeroDuration();
    } else if (!settled()) {
      wait = absl::Milliseconds(5);  // an async sink's writes are completing: look again soon
    }
    TM_ASSIGN_OR_RETURN(JournalBatch batch, reader->Next(options_.batch_events, wait));
    if (!batch.entries.empty()) {
      if (std::optional<std::string> line = catch_up.Applying(
              batch.first_offset, batch.first_offset + batch.entries.size(),
              [&] { return journal_->visible_offset(); })) {
        spdlog::info("{}", *line);
      }
      TM_RETURN_IF_ERROR(sink_->Write(batch));
      if (unrecorded == 0) dirty_since = absl::Now();
      unrecorded += batch.entries.size();
    }
    if (batch.entries.empty() && !settled()) {
      // Progress() first: a sink that supports it settles without a barrier (before,
      // a sink was only known to support it once a full batch had asked, so a sink
      // that kept up with the journal flushed every small batch as a barrier).
      TM_RETURN_IF_ERROR(record(/*barrier=*/false));
    } else if (unrecorded > 0 && (unrecorded >= options_.batch_events ||
                                  absl::Now() - dirty_since >= options_.batch_wait)) {
      TM_RETURN_IF_ERROR(record(/*barrier=*/false));
    }
    if (batch.entries.empty() && settled()) {  // nothing more to read, all of it checkpointed
      if (std::optional<std::string> line = catch_up.Settled(applied_end_)) spdlog::info("{}", *line);
    }
  }
  if (!settled()) TM_RETURN_IF_ERROR(record(/*barrier=*/true));
  return absl::OkStatus();
}

}  // namespace tidemark
