#include "apply/db/commit_worker.h"

#include <utility>

namespace tidemark {

CommitWorker::CommitWorker() : thread_([this] { Loop(); }) {}

CommitWorker::~CommitWorker() {
  {
    absl::MutexLock l(&mu_);
    quit_ = true;
  }
  thread_.join();
}

void CommitWorker::Loop() {
  while (true) {
    absl::AnyInvocable<absl::Status() &&> job;
    {
      absl::MutexLock l(&mu_);
      mu_.Await(absl::Condition(
          +[](CommitWorker* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) {
            return w->quit_ || w->job_ != nullptr;
          },
          this));
      if (job_ == nullptr) return;  // quit_ and nothing left to run
      job = std::move(job_);
      job_ = nullptr;
    }
    absl::Status s = std::move(job)();
    absl::MutexLock l(&mu_);
    result_ = std::move(s);
  }
}

void CommitWorker::Start(absl::AnyInvocable<absl::Status() &&> job) {
  absl::MutexLock l(&mu_);
  job_ = std::move(job);
  result_.reset();
  started_ = true;
}

std::optional<absl::Status> CommitWorker::Poll() {
  if (!started_) return std::nullopt;
  absl::MutexLock l(&mu_);
  if (!result_.has_value()) return std::nullopt;
  started_ = false;
  std::optional<absl::Status> out = std::move(result_);
  result_.reset();
  return out;
}

absl::Status CommitWorker::Wait() {
  if (!started_) return absl::OkStatus();
  absl::MutexLock l(&mu_);
  mu_.Await(absl::Condition(
      +[](std::optional<absl::Status>* r) { return r->has_value(); }, &result_));
  started_ = false;
  absl::Status out = std::move(*result_);
  result_.reset();
  return out;
}

}  // namespace tidemark
