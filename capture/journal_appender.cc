#include "capture/journal_appender.h"

#include <pthread.h>

#include "absl/status/statusor.h"

namespace tidemark {

JournalAppender::JournalAppender(Journal* journal, size_t max_queued)
    : journal_(journal), max_queued_(max_queued == 0 ? 1 : max_queued) {
  thread_ = std::thread([this] { Loop(); });
}

JournalAppender::~JournalAppender() { Finish().IgnoreError(); }

absl::StatusOr<bool> JournalAppender::Push(std::vector<v1::JournalEntry>* entries,
                                           absl::Duration wait) {
  Chunk chunk;
  for (size_t i = 0; i < entries->size(); ++i) {
    const auto& e = (*entries)[i];
    if (e.has_commit()) chunk.commits.emplace_back(i, e.commit().position());
  }
  absl::MutexLock l(&mu_);
  auto room = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return !error_.ok() || finishing_ || queue_.size() < max_queued_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&room), wait);
  if (!error_.ok()) return error_;
  if (finishing_) return absl::FailedPreconditionError("JournalAppender: Push after Finish");
  if (queue_.size() >= max_queued_) return false;
  chunk.entries = std::move(*entries);
  entries->clear();
  queue_.push_back(std::move(chunk));
  return true;
}

absl::Status JournalAppender::TakeAppended(std::deque<Commit>* out) {
  absl::MutexLock l(&mu_);
  for (auto& c : appended_) out->push_back(std::move(c));
  appended_.clear();
  return error_;
}

bool JournalAppender::Drained(absl::Duration wait) {
  absl::MutexLock l(&mu_);
  auto drained = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return !error_.ok() || (queue_.empty() && !appending_);
  };
  return mu_.AwaitWithTimeout(absl::Condition(&drained), wait);
}

absl::Status JournalAppender::Finish() {
  {
    absl::MutexLock l(&mu_);
    finishing_ = true;
  }
  if (thread_.joinable()) thread_.join();
  absl::MutexLock l(&mu_);
  return error_;
}

void JournalAppender::Loop() {
  pthread_setname_np(pthread_self(), "tm-journal-app");  // names the thread in top/perf
  mu_.Lock();
  while (true) {
    auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return !queue_.empty() || finishing_ || !error_.ok();
    };
    mu_.Await(absl::Condition(&ready));
    if (!error_.ok() || queue_.empty()) break;  // failed, or finishing with nothing left
    Chunk chunk = std::move(queue_.front());
    queue_.pop_front();
    appending_ = true;
    mu_.Unlock();
    // The entries are serialized and freed here, off the capture thread.
    absl::StatusOr<uint64_t> first = journal_->Append(std::move(chunk.entries));
    mu_.Lock();
    appending_ = false;
    if (!first.ok()) {
      error_ = first.status();
      break;
    }
    for (auto& [i, pos] : chunk.commits) appended_.emplace_back(*first + i, std::move(pos));
  }
  mu_.Unlock();
}

}  // namespace tidemark
