#include "capture/pg/read_pacer.h"

#include <algorithm>

namespace tidemark::pg {

void ReadPacer::Observe(const TcpReceiveCounters& now) {
  if (!started_) {  // the first call only sets the baseline
    started_ = true;
    last_ = now;
    return;
  }
  const TcpReceiveDelta d = Since(now, last_);
  if (d.segments < kMinSegments && d.bytes < kMinBytes) return;  // too little to judge yet
  last_ = now;
  last_average_ = d.average_segment();
  if (last_average_ < std::max<uint32_t>(now.mss, 4) / 4) {
    hold_ = std::min(hold_ + kStep, max_hold_);
  } else {
    hold_ = std::max(hold_ - kStep / 2, absl::ZeroDuration());
  }
}

}  // namespace tidemark::pg
