#include "capture/pg/read_pacer.h"

#include <algorithm>

namespace tidemark::pg {

void ReadPacer::Observe(const TcpReceiveCounters& now) {
  if (!started_) {  // the first call only sets the baseline
    started_ = true;
    last_ = now;
    return;
  }
  // tcpi_segs_in is 32 bits wide in the kernel: it may wrap.
  const uint32_t segments = static_cast<uint32_t>(now.segments - last_.segments);
  const uint64_t bytes = now.bytes - last_.bytes;
  if (segments < kMinSegments && bytes < kMinBytes) return;  // too little to judge yet
  last_ = now;
  last_average_ = bytes / std::max<uint32_t>(segments, 1);
  if (last_average_ < std::max<uint32_t>(now.mss, 4) / 4) {
    hold_ = std::min(hold_ + kStep, max_hold_);
  } else {
    hold_ = std::max(hold_ - kStep / 2, absl::ZeroDuration());
  }
}

}  // namespace tidemark::pg
