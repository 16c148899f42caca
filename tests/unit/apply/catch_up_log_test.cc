#include "apply/catch_up_log.h"

#include <gtest/gtest.h>

namespace tidemark {
namespace {

struct FakeClock {
  absl::Time t = absl::FromUnixSeconds(1'800'000'000);
  std::function<absl::Time()> fn() {
    return [this] { return t; };
  }
};

uint64_t End() { return 1'000'000; }

std::optional<std::string> Line(const char* text) { return text; }

TEST(CatchUpLog, ReportsABacklogWhenItsCheckpointCoversEverything) {
  FakeClock clock;
  CatchUpLog log("replay", clock.fn());
  EXPECT_EQ(log.Applying(0, 65536, End), std::nullopt);
  clock.t += absl::Milliseconds(1000);
  EXPECT_EQ(log.Applying(65536, 200000, End), std::nullopt);  // no progress line before 10 s
  clock.t += absl::Milliseconds(1000);
  EXPECT_EQ(log.Settled(200000),
            Line("sink replay: caught up: journal offsets 0..199999 applied and checkpointed in 2s "
                 "(100000 entries/s)"));
  EXPECT_EQ(log.Settled(200000), std::nullopt);  // once per backlog
}

TEST(CatchUpLog, LiveTrafficStaysQuiet) {
  FakeClock clock;
  CatchUpLog log("pg", clock.fn());
  for (uint64_t o = 0; o < 100; ++o) {
    EXPECT_EQ(log.Applying(o * 50, o * 50 + 50, End), std::nullopt);
    clock.t += absl::Milliseconds(20);
    EXPECT_EQ(log.Settled(o * 50 + 50), std::nullopt);
  }
}

TEST(CatchUpLog, ProgressEveryTenSecondsThenCaughtUpEvenWhenSmall) {
  FakeClock clock;
  CatchUpLog log("slow", clock.fn());
  EXPECT_EQ(log.Applying(100, 110, End), std::nullopt);
  clock.t += absl::Seconds(10);
  EXPECT_EQ(log.Applying(110, 120, [] { return uint64_t{5000}; }),
            Line("sink slow: catching up: at journal offset 120, 4880 entries behind; 20 entries "
                 "applied in 10s (2 entries/s)"));
  clock.t += absl::Seconds(5);
  EXPECT_EQ(log.Applying(120, 130, End), std::nullopt);  // the next one 10 s after the last
  clock.t += absl::Seconds(5);
  ASSERT_TRUE(log.Applying(130, 140, End).has_value());
  // Fewer than 10,000 entries, but it printed progress: the end is reported too.
  EXPECT_EQ(log.Settled(140),
            Line("sink slow: caught up: journal offsets 100..139 applied and checkpointed in 20s "
                 "(2 entries/s)"));
}

TEST(CatchUpLog, EachBacklogIsTimedFromItsOwnStart) {
  FakeClock clock;
  CatchUpLog log("k", clock.fn());
  log.Applying(0, 20000, End);
  clock.t += absl::Seconds(1);
  ASSERT_TRUE(log.Settled(20000).has_value());
  clock.t += absl::Hours(1);  // idle
  log.Applying(20000, 50000, End);
  clock.t += absl::Milliseconds(1500);
  EXPECT_EQ(log.Settled(50000),
            Line("sink k: caught up: journal offsets 20000..49999 applied and checkpointed in 1.5s "
                 "(20000 entries/s)"));
}

TEST(CatchUpLog, ABigTransactionAppliedAtOnceIsNotABacklog) {
  FakeClock clock;
  CatchUpLog log("capture", clock.fn());
  log.Applying(0, 30003, End);  // one 30,000-row transaction became visible
  clock.t += absl::Milliseconds(15);
  EXPECT_EQ(log.Settled(30003), std::nullopt);
  log.Applying(30003, 30010, End);  // and a slow sink's few entries over a second
  clock.t += absl::Seconds(2);
  EXPECT_EQ(log.Settled(30010), std::nullopt);
  log.Applying(30010, 230010, End);  // 200,000 entries are worth a line however fast
  clock.t += absl::Milliseconds(400);
  EXPECT_EQ(log.Settled(230010),
            Line("sink capture: caught up: journal offsets 30010..230009 applied and checkpointed "
                 "in 400ms (500000 entries/s)"));
}

}  // namespace
}  // namespace tidemark
