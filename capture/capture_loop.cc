#include "common/strings.h"
#include "capture/capture_loop.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

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

absl::Status CaptureLoop::Run(const std::atomic<bool>& stop,
                              const std::function<absl::Status()>& health) {
  absl::Time next_retention = absl::Now() + options_.retention_every;
  absl::Time next_progress = absl::Now() + absl::Seconds(10);
  while (!stop) {
    TM_RETURN_IF_ERROR(health());
    TM_ASSIGN_OR_RETURN(EventChunk chunk, source_->Next(options_.poll));
    if (!chunk.entries.empty()) {
      std::vector<std::pair<size_t, v1::SourcePosition>> commits;
      for (size_t i = 0; i < chunk.entries.size(); ++i) {
        const auto& e = chunk.entries[i];
        if (e.has_event()) ++events_;
        if (e.has_commit()) commits.emplace_back(i, e.commit().position());
      }
      TM_ASSIGN_OR_RETURN(uint64_t first, journal_->Append(std::move(chunk.entries)));
      for (auto& [i, p] : commits) pending_.emplace_back(first + i, std::move(p));
    }
    TM_RETURN_IF_ERROR(AcknowledgeDurable());
    absl::Time now = absl::Now();
    if (now >= next_retention) {
      TM_RETURN_IF_ERROR(journal_->ApplyRetention(applied_by_all_()));
      next_retention = now + options_.retention_every;
    }
    if (now >= next_progress) {
      spdlog::info("captured {} events; journal offsets {}..{}, {} bytes on disk", events_,
                   journal_->first_offset(), journal_->next_offset(), journal_->disk_bytes());
      next_progress = now + absl::Seconds(10);
    }
  }
  TM_RETURN_IF_ERROR(journal_->Sync());
  TM_RETURN_IF_ERROR(AcknowledgeDurable());
  return absl::OkStatus();  // Source::Close() sends the final acknowledgement
}

}  // namespace tidemark
