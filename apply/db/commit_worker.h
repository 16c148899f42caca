// CommitWorker: runs a database sink's commits on a thread of their own, one at a
// time, so that the applier thread folds the next batch while the target applies
// the previous one (DESIGN.md §1 Apply: the applier and its target no longer take
// turns). The sink hands over a job that owns everything it touches; the job's
// status is collected on the applier thread (Poll/Wait), which alone updates the
// sink's checkpoint and state. Between Start and the job's collection the applier
// thread must not use the connection the job uses.
// Thread safety: Start/Poll/Wait/busy from one thread (the applier's).
#ifndef TIDEMARK_APPLY_DB_COMMIT_WORKER_H_
#define TIDEMARK_APPLY_DB_COMMIT_WORKER_H_

#include <optional>
#include <thread>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace tidemark {

class CommitWorker {
 public:
  CommitWorker();
  ~CommitWorker();  // waits for a running job, then stops the thread
  CommitWorker(const CommitWorker&) = delete;
  CommitWorker& operator=(const CommitWorker&) = delete;

  // Runs `job` on the worker thread. Requires !busy().
  void Start(absl::AnyInvocable<absl::Status() &&> job);
  // A job was started and its status not collected yet (it may have finished).
  bool busy() const { return started_; }
  // The finished job's status (collecting it), or nullopt when none is finished.
  std::optional<absl::Status> Poll();
  // Waits for the started job and returns its status (collecting it); OK when none.
  absl::Status Wait();

 private:
  void Loop();

  absl::Mutex mu_;
  absl::AnyInvocable<absl::Status() &&> job_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Status> result_ ABSL_GUARDED_BY(mu_);
  bool quit_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ = false;  // applier thread only
  std::thread thread_;
};

}  // namespace tidemark

#endif  // TIDEMARK_APPLY_DB_COMMIT_WORKER_H_
