// ReadPacer (capture/pg/read_pacer.h): the hold grows while segments arrive small and
// shrinks once they are large, within [0, max_hold]; it judges only enough traffic.
#include "capture/pg/read_pacer.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace tidemark::pg {
namespace {

constexpr uint32_t kLoopbackMss = 65483;

// Counters after `segments` more segments of `size` bytes each.
TcpReceiveCounters After(const TcpReceiveCounters& c, uint64_t segments, uint64_t size,
                         uint32_t mss = kLoopbackMss) {
  return {c.bytes + segments * size, c.segments + segments, mss};
}

TEST(ReadPacer, SmallSegmentsLengthenTheHoldUpToTheCap) {
  ReadPacer pacer(absl::Milliseconds(2));
  TcpReceiveCounters c{1000, 10, kLoopbackMss};
  pacer.Observe(c);  // the baseline
  EXPECT_EQ(pacer.hold(), absl::ZeroDuration());
  for (int i = 1; i <= 6; ++i) {
    c = After(c, 1000, 150);  // one pgoutput message per segment
    pacer.Observe(c);
    EXPECT_EQ(pacer.hold(), std::min(i * ReadPacer::kStep, absl::Milliseconds(2))) << i;
  }
  EXPECT_EQ(pacer.last_average(), 150u);
}

TEST(ReadPacer, LargeSegmentsShortenTheHoldByHalfAStepDownToZero) {
  ReadPacer pacer(absl::Milliseconds(20));
  TcpReceiveCounters c{0, 0, kLoopbackMss};
  pacer.Observe(c);
  for (int i = 0; i < 2; ++i) pacer.Observe(c = After(c, 1000, 150));
  ASSERT_EQ(pacer.hold(), absl::Milliseconds(1));
  pacer.Observe(c = After(c, 8, 65000));  // few segments, but 520 KB: enough to judge
  EXPECT_EQ(pacer.hold(), absl::Microseconds(750));
  for (int i = 0; i < 5; ++i) pacer.Observe(c = After(c, 8, 65000));
  EXPECT_EQ(pacer.hold(), absl::ZeroDuration());
}

TEST(ReadPacer, TooLittleTrafficIsNotJudged) {
  ReadPacer pacer(absl::Milliseconds(20));
  TcpReceiveCounters c{0, 0, kLoopbackMss};
  pacer.Observe(c);
  pacer.Observe(c = After(c, ReadPacer::kMinSegments - 1, 100));  // small, but too few
  EXPECT_EQ(pacer.hold(), absl::ZeroDuration());
  EXPECT_EQ(pacer.last_average(), 0u);
  pacer.Observe(c = After(c, 1, 100));  // now 32 segments since the baseline
  EXPECT_EQ(pacer.hold(), ReadPacer::kStep);
}

TEST(ReadPacer, TheThresholdIsAQuarterOfTheAdvertisedMss) {
  // Ethernet: MSS 1448, threshold 362 bytes. Full segments are large there.
  ReadPacer pacer(absl::Milliseconds(20));
  TcpReceiveCounters c{0, 0, 1448};
  pacer.Observe(c);
  pacer.Observe(c = After(c, 100, 300, 1448));
  EXPECT_EQ(pacer.hold(), ReadPacer::kStep);
  pacer.Observe(c = After(c, 100, 1448, 1448));
  EXPECT_EQ(pacer.hold(), ReadPacer::kStep / 2);
}

TEST(ReadPacer, ACounterWrapIsADifference) {
  ReadPacer pacer(absl::Milliseconds(20));
  TcpReceiveCounters c{0, 0xFFFFFFF0u, kLoopbackMss};
  pacer.Observe(c);
  c = {c.bytes + 100 * 150, (c.segments + 100) & 0xFFFFFFFFu, kLoopbackMss};  // wrapped
  pacer.Observe(c);
  EXPECT_EQ(pacer.last_average(), 150u);
  EXPECT_EQ(pacer.hold(), ReadPacer::kStep);
}

}  // namespace
}  // namespace tidemark::pg
