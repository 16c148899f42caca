#include "common/strings.h"
#include "capture/capture_loop.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "capture/journal_appender.h"
#include "common/positions.h"
#include "common/status_macros.h"

namespace tidemark {

CaptureLoop::CaptureLoop(CaptureLoopOptions options, Source* source, Journal* journal,
                         std::function<uint64_t()> applied_by_all)
    : options_(options), source_(source), journal_(journal),
      applied_by_all_(std::move(applied_by_all)) {}

absl::Status CaptureLoop::AcknowledgeDurable() {
  uint64_t durable = journal_->durable_offset();
  const v1::SourcePosition* newest = nullptr;
  v1::SourcePosition pos;
  while (!pending_.empty() && pending_.front().first < durable) {
    pos = std::move(pending_.front().second);
    newest = &pos;
    pending_.pop_front();
  }
  if (newest == nullptr) return absl::OkStatus();
  return source_->Acknowledge(*newest);
}

absl::Status CaptureLoop::Housekeeping(absl::Time* next_retention, absl::Time* next_progress) {
  absl::Time now = absl::Now();
  if (now >= *next_retention) {
    TM_RETURN_IF_ERROR(journal_->ApplyRetention(applied_by_all_()));
    *next_retention = now + options_.retention_every;
  }
  if (now >= *next_progress) {
    spdlog::info("captured {} events; journal offsets {}..{}, {} bytes on disk", events_,
                 journal_->first_offset(), journal_->next_offset(), journal_->disk_bytes());
    *next_progress = now + absl::Seconds(10);
  }
  return absl::OkStatus();
}

absl::Status CaptureLoop::Run(const std::atomic<bool>& stop,
                              const std::function<absl::Status()>& health) {
  JournalAppender appender(journal_);
  absl::Status s = Stream(stop, health, &appender);
  if (!s.ok() && journal_->paused()) {
    // The appender waits in Journal::Append at the disk cap: closing the journal (the
    // caller would do so next anyway) lets it return so that it can be joined.
    journal_->Close();
  }
  absl::Status appended = appender.Finish();
  TM_RETURN_IF_ERROR(s);
  TM_RETURN_IF_ERROR(appended);
  TM_RETURN_IF_ERROR(appender.TakeAppended(&pending_));
  TM_RETURN_IF_ERROR(journal_->Sync());
  TM_RETURN_IF_ERROR(AcknowledgeDurable());
  return absl::OkStatus();  // Source::Close() sends the final acknowledgement
}

absl::Status CaptureLoop::Stream(const std::atomic<bool>& stop,
                                 const std::function<absl::Status()>& health,
                                 JournalAppender* appender) {
  absl::Time next_retention = absl::Now() + options_.retention_every;
  absl::Time next_progress = absl::Now() + absl::Seconds(10);
  // A chunk the appender had no room for yet (the journal is slower than the source).
  std::vector<v1::JournalEntry> held;
  while (!stop) {
    TM_RETURN_IF_ERROR(health());
    if (held.empty()) {
      TM_ASSIGN_OR_RETURN(EventChunk chunk, source_->Next(options_.poll));
      for (const auto& e : chunk.entries) {
        if (e.has_event()) ++events_;
      }
      held = std::move(chunk.entries);
    }
    if (!held.empty()) {
      TM_ASSIGN_OR_RETURN(bool queued, appender->Push(&held, options_.poll));
      (void)queued;  // not queued: `held` waits for the next round
    }
    TM_RETURN_IF_ERROR(appender->TakeAppended(&pending_));
    TM_RETURN_IF_ERROR(AcknowledgeDurable());
    TM_RETURN_IF_ERROR(Housekeeping(&next_retention, &next_progress));
  }
  // Stopping: what the source returned is appended (the held chunk too), while
  // retention keeps running in case the journal is at its disk cap.
  while (!held.empty()) {
    TM_ASSIGN_OR_RETURN(bool queued, appender->Push(&held, options_.poll));
    if (!queued) {
      TM_RETURN_IF_ERROR(health());
      TM_RETURN_IF_ERROR(Housekeeping(&next_retention, &next_progress));
    }
  }
  while (!appender->Drained(options_.poll)) {
    TM_RETURN_IF_ERROR(health());
    TM_RETURN_IF_ERROR(Housekeeping(&next_retention, &next_progress));
  }
  return absl::OkStatus();
}

}  // namespace tidemark
