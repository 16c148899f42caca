// Exponential backoff with jitter for reconnects (kUnavailable, DESIGN.md §6).
#ifndef TIDEMARK_COMMON_BACKOFF_H_
#define TIDEMARK_COMMON_BACKOFF_H_

#include <cstdint>

#include "absl/time/time.h"

namespace tidemark {

class Backoff {
 public:
  Backoff(absl::Duration initial, absl::Duration max) : initial_(initial), max_(max) {}
  // The next delay: initial, doubling up to max, with ±20% jitter.
  absl::Duration Next();
  void Reset() { attempt_ = 0; }
  int attempt() const { return attempt_; }

 private:
  absl::Duration initial_;
  absl::Duration max_;
  int attempt_ = 0;
  uint64_t rng_ = 0x9E3779B97F4A7C15ull;
};

}  // namespace tidemark

#endif  // TIDEMARK_COMMON_BACKOFF_H_
