// CommitWorker: one job at a time on its own thread; the applier thread collects it.
#include "apply/db/commit_worker.h"

#include <gtest/gtest.h>

#include <thread>

#include "absl/synchronization/notification.h"

namespace tidemark {
namespace {

TEST(CommitWorker, PollSaysNothingUntilTheJobIsDoneThenItsStatusOnce) {
  CommitWorker worker;
  EXPECT_FALSE(worker.busy());
  EXPECT_FALSE(worker.Poll().has_value());
  absl::Notification release, ran;
  std::thread::id job_thread;
  worker.Start([&]() -> absl::Status {
    job_thread = std::this_thread::get_id();
    release.WaitForNotification();
    ran.Notify();
    return absl::AbortedError("deadlock");
  });
  EXPECT_TRUE(worker.busy());
  EXPECT_FALSE(worker.Poll().has_value());  // blocked on `release`: not done
  release.Notify();
  ran.WaitForNotification();
  absl::Status s = worker.Wait();
  EXPECT_TRUE(absl::IsAborted(s)) << s;
  EXPECT_NE(job_thread, std::this_thread::get_id());
  EXPECT_FALSE(worker.busy());
  EXPECT_TRUE(worker.Wait().ok());  // collected: nothing more to wait for
  EXPECT_FALSE(worker.Poll().has_value());
}

TEST(CommitWorker, JobsRunInTurnAndPollCollectsAFinishedOne) {
  CommitWorker worker;
  int order = 0;
  for (int i = 1; i <= 3; ++i) {
    absl::Notification done;
    worker.Start([&, i]() -> absl::Status {
      EXPECT_EQ(order, i - 1);
      order = i;
      done.Notify();
      return absl::OkStatus();
    });
    done.WaitForNotification();
    std::optional<absl::Status> s;
    // The job may have notified but not yet stored its status: poll until it has.
    while (!(s = worker.Poll()).has_value()) std::this_thread::yield();
    EXPECT_TRUE(s->ok());
    EXPECT_FALSE(worker.busy());
  }
  EXPECT_EQ(order, 3);
}

TEST(CommitWorker, DestructionWaitsForARunningJob) {
  bool finished = false;
  {
    CommitWorker worker;
    worker.Start([&]() -> absl::Status {
      finished = true;
      return absl::OkStatus();
    });
  }
  EXPECT_TRUE(finished);
}

}  // namespace
}  // namespace tidemark
