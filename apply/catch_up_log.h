// What the applier says about a backlog (DESIGN.md §1 Apply): while a sink works
// through one, a progress line every 10 s (where it is, how far the journal's end is,
// the rate so far); when its checkpoint covers everything the journal holds, one
// "caught up" line with the entries applied, the time and the rate. A sink that keeps
// up with live traffic stays quiet: a catch-up that printed no progress line is
// reported when it applied at least 100,000 entries, or at least 10,000 over at least
// 1 s (a transaction of tens of thousands of rows that became visible at once and was
// applied in milliseconds is not a backlog).
#ifndef TIDEMARK_APPLY_CATCH_UP_LOG_H_
#define TIDEMARK_APPLY_CATCH_UP_LOG_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace tidemark {

class CatchUpLog {
 public:
  static constexpr uint64_t kReportEntries = 10000;
  static constexpr uint64_t kReportAlways = 100000;
  static constexpr absl::Duration kReportAfter = absl::Seconds(1);
  static constexpr absl::Duration kProgressEvery = absl::Seconds(10);

  explicit CatchUpLog(std::string sink, std::function<absl::Time()> now = absl::Now)
      : sink_(std::move(sink)), now_(std::move(now)) {}

  // The sink is given journal entries [first, end); `visible` returns the journal's
  // end (asked only for a progress line). Returns a progress line when one is due.
  std::optional<std::string> Applying(uint64_t first, uint64_t end,
                                      absl::FunctionRef<uint64_t()> visible);
  // The sink's checkpoint covers everything read, up to `applied_end` (exclusive), and
  // the journal has nothing more. Returns the "caught up" line when it is worth one.
  std::optional<std::string> Settled(uint64_t applied_end);

 private:
  const std::string sink_;
  const std::function<absl::Time()> now_;
  bool active_ = false;   // between the first entry of a backlog and Settled
  uint64_t from_ = 0;     // the backlog's first offset
  absl::Time start_;      // when its first entries were given to the sink
  absl::Time last_line_;  // of the last progress line (start_ while there is none)
};

}  // namespace tidemark

#endif  // TIDEMARK_APPLY_CATCH_UP_LOG_H_
