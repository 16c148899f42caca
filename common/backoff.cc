#include "common/backoff.h"

#include <algorithm>

namespace tidemark {

absl::Duration Backoff::Next() {
  absl::Duration d = initial_;
  for (int i = 0; i < attempt_ && d < max_; ++i) d *= 2;
  d = std::min(d, max_);
  ++attempt_;
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  double jitter = 0.8 + 0.4 * static_cast<double>(rng_ % 1000) / 1000.0;
  return d * jitter;
}

}  // namespace tidemark
