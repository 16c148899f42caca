#include "apply/catch_up_log.h"

#include <fmt/format.h>

#include <cmath>

namespace tidemark {
namespace {

// Entries per second over `d`; 0 for an instant.
uint64_t Rate(uint64_t entries, absl::Duration d) {
  const double s = absl::ToDoubleSeconds(d);
  return s > 0 ? static_cast<uint64_t>(std::llround(static_cast<double>(entries) / s)) : 0;
}

}  // namespace

std::optional<std::string> CatchUpLog::Applying(uint64_t first, uint64_t end,
                                                absl::FunctionRef<uint64_t()> visible) {
  const absl::Time now = now_();
  if (!active_) {
    active_ = true;
    from_ = first;
    start_ = last_line_ = now;
    return std::nullopt;
  }
  if (now - last_line_ < kProgressEvery) return std::nullopt;
  last_line_ = now;
  const uint64_t done = end - from_;
  const uint64_t journal_end = visible();
  return fmt::format("sink {}: catching up: at journal offset {}, {} entries behind; {} entries "
                     "applied in {} ({} entries/s)",
                     sink_, end, journal_end > end ? journal_end - end : 0, done,
                     absl::FormatDuration(absl::Trunc(now - start_, absl::Milliseconds(1))),
                     Rate(done, now - start_));
}

std::optional<std::string> CatchUpLog::Settled(uint64_t applied_end) {
  if (!active_) return std::nullopt;
  active_ = false;
  const uint64_t done = applied_end > from_ ? applied_end - from_ : 0;
  const absl::Duration took = now_() - start_;
  const bool reported = last_line_ != start_;  // a progress line was printed
  if (!reported && done < kReportAlways && (done < kReportEntries || took < kReportAfter)) {
    return std::nullopt;
  }
  return fmt::format("sink {}: caught up: journal offsets {}..{} applied and checkpointed in {} "
                     "({} entries/s)",
                     sink_, from_, applied_end - 1,
                     absl::FormatDuration(absl::Trunc(took, absl::Milliseconds(1))),
                     Rate(done, took));
}

}  // namespace tidemark
