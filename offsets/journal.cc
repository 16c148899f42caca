// Journal: open and recovery, the writer, and the group-commit flusher thread.
#include "offsets/journal.h"

#include <fcntl.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "common/file_util.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "offsets/journal_format.h"
#include "offsets/journal_impl.h"

namespace tidemark {

namespace jf = journal_format;

// ---------------------------------------------------------------------------
// Public forwarding.

absl::StatusOr<std::unique_ptr<Journal>> Journal::Open(const JournalOptions& options) {
  if (options.dir.empty()) {
    return absl::InvalidArgumentError("journal: dir is empty; set data_dir in the config");
  }
  if (options.segment_bytes == 0) {
    return absl::InvalidArgumentError("journal: segment_bytes must be > 0");
  }
  auto impl = std::make_unique<Impl>(options);
  TM_RETURN_IF_ERROR(impl->Recover());
  impl->StartFlusher();
  return std::unique_ptr<Journal>(new Journal(std::move(impl)));
}

Journal::Journal(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Journal::~Journal() { impl_->Close(); }

absl::StatusOr<uint64_t> Journal::Append(std::vector<v1::JournalEntry> entries) {
  return impl_->Append(std::move(entries));
}
absl::Status Journal::Sync() { return impl_->Sync(); }
uint64_t Journal::next_offset() const { return impl_->next_offset(); }
uint64_t Journal::durable_offset() const { return impl_->durable_offset(); }
uint64_t Journal::visible_offset() const { return impl_->visible_offset(); }
uint64_t Journal::first_offset() const { return impl_->first_offset(); }
uint64_t Journal::disk_bytes() const { return impl_->disk_bytes(); }
uint64_t Journal::WaitDurable(uint64_t offset, absl::Duration timeout) {
  return impl_->WaitDurable(offset, timeout);
}
void Journal::SetDurableCallback(std::function<void(uint64_t)> cb) {
  impl_->SetDurableCallback(std::move(cb));
}
absl::StatusOr<std::optional<std::pair<uint64_t, v1::TxnCommit>>> Journal::LastCommit() {
  return impl_->LastCommit();
}
absl::Status Journal::TruncateTo(uint64_t offset) { return impl_->TruncateTo(offset); }
absl::Status Journal::ApplyRetention(uint64_t applied_by_all) {
  return impl_->ApplyRetention(applied_by_all);
}
absl::StatusOr<std::unique_ptr<JournalReader>> Journal::NewReader(uint64_t from,
                                                                   const JournalReadOptions& options) {
  return impl_->NewReader(from, options);
}
void Journal::Close() { impl_->Close(); }
uint64_t Journal::sync_count() const { return impl_->sync_count(); }
size_t Journal::segment_count() const { return impl_->segment_count(); }
bool Journal::paused() const { return impl_->paused(); }
uint64_t Journal::records_read_from_memory() const { return impl_->reads_cached(); }
uint64_t Journal::records_read_from_disk() const { return impl_->reads_decoded(); }
bool Journal::WaitUntilPaused(absl::Duration timeout) { return impl_->WaitUntilPaused(timeout); }

// ---------------------------------------------------------------------------
// Open and recovery.

Journal::Impl::~Impl() {
  Close();
  const uint64_t cached = reads_cached_.load(), decoded = reads_decoded_.load();
  if (cached + decoded > 0) {
    spdlog::info("journal: readers took {} records from memory and read {} from disk", cached,
                 decoded);
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

absl::Status Journal::Impl::Recover() {
  TM_RETURN_IF_ERROR(MakeDirs(opts_.dir));
  const std::string lock_path = opts_.dir + "/LOCK";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) return ErrnoError("journal: open lock file", lock_path, errno);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(fmt::format(
          "journal {} is in use by another tidemark process (lock {} is held); stop it first, "
          "or give each pipeline its own data_dir",
          opts_.dir, lock_path));
    }
    return ErrnoError("journal: lock", lock_path, errno);
  }
  std::vector<uint64_t> bases;
  std::error_code ec;
  for (const auto& de : std::filesystem::directory_iterator(opts_.dir, ec)) {
    if (auto base = jf::ParseSegmentFileName(de.path().filename().string())) {
      bases.push_back(*base);
    }
  }
  if (ec) {
    return absl::InternalError(
        fmt::format("journal: cannot list directory {}: {}", opts_.dir, ec.message()));
  }
  std::sort(bases.begin(), bases.end());

  std::vector<std::shared_ptr<Segment>> segs;
  if (bases.empty()) {
    TM_ASSIGN_OR_RETURN(auto file, SegmentFile::Create(opts_.dir, 0));
    TM_RETURN_IF_ERROR(SyncDir(opts_.dir));
    auto seg = std::make_shared<Segment>(std::move(file));
    seg->indexed = true;
    segs.push_back(std::move(seg));
  } else {
    for (size_t i = 0; i < bases.size(); ++i) {
      TM_ASSIGN_OR_RETURN(auto file, SegmentFile::Open(opts_.dir, bases[i]));
      auto seg = std::make_shared<Segment>(std::move(file));
      TM_ASSIGN_OR_RETURN(seg->bytes, seg->file->Size());
      seg->end = i + 1 < bases.size() ? bases[i + 1] : bases[i];
      segs.push_back(std::move(seg));
    }
    TM_RETURN_IF_ERROR(RecoverNewest(segs.back().get()));
  }

  {
    absl::MutexLock l(&mu_);
    segments_ = std::move(segs);
    first_offset_ = segments_.front()->base;
    next_offset_ = segments_.back()->end;
    durable_offset_ = next_offset_;  // RecoverNewest fsync'd the tail
    disk_bytes_ = 0;
    for (const auto& s : segments_) disk_bytes_ += s->bytes;
  }
  TM_RETURN_IF_ERROR(RecomputeVisible());
  absl::MutexLock l(&mu_);
  spdlog::info("journal {}: opened {} segment(s), offsets {}..{}, {} visible, {} bytes",
               opts_.dir, segments_.size(), first_offset_, next_offset_, visible_offset_,
               disk_bytes_);
  return absl::OkStatus();
}

absl::Status Journal::Impl::RecoverNewest(Segment* seg) {
  TM_ASSIGN_OR_RETURN(SegmentScan scan, seg->file->Scan(/*verify=*/true));
  if (scan.bad) {
    if (scan.good_after_bad) {
      return absl::DataLossError(fmt::format(
          "{}: corrupt record ({}), but a valid record follows at byte {}: this is not a torn "
          "write from a crash. The bytes are kept; restore the journal from a backup, or move "
          "the segment aside and re-snapshot the sinks",
          seg->file->Where(scan.valid_bytes), *scan.bad, *scan.good_after_bad));
    }
    spdlog::warn(
        "{}: cutting off a torn record at the tail ({}; {} bytes dropped). Expected after a "
        "crash mid-write, before the record was synced",
        seg->file->Where(scan.valid_bytes), *scan.bad, scan.file_size - scan.valid_bytes);
    TM_RETURN_IF_ERROR(seg->file->Truncate(scan.valid_bytes));
  }
  // What a crashed process wrote may still sit in the page cache: make it durable
  // before calling it so.
  TM_RETURN_IF_ERROR(seg->file->Sync());
  seg->bytes = scan.valid_bytes;
  seg->end = scan.records.empty() ? seg->base : scan.records.back().end_offset();
  seg->index = std::move(scan.records);
  seg->indexed = true;
  return absl::OkStatus();
}

void Journal::Impl::StartFlusher() {
  {
    absl::MutexLock l(&mu_);
    flusher_done_ = false;
  }
  absl::MutexLock c(&close_mu_);
  flusher_ = std::thread([this] { FlusherLoop(); });
}

// ---------------------------------------------------------------------------
// Writer.

absl::Status Journal::Impl::WriterError() const {
  if (closed_) return absl::CancelledError("journal: closed");
  if (!write_error_.ok()) return write_error_;
  if (!sync_error_.ok()) return sync_error_;
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<Journal::Impl::Segment>> Journal::Impl::Roll() {
  uint64_t base;
  {
    absl::MutexLock l(&mu_);
    base = next_offset_;
  }
  TM_ASSIGN_OR_RETURN(auto file, SegmentFile::Create(opts_.dir, base));
  auto seg = std::make_shared<Segment>(std::move(file));
  seg->end = base;
  seg->indexed = true;
  absl::MutexLock l(&mu_);
  segments_.push_back(seg);
  dir_dirty_ = true;
  return seg;
}

absl::Status Journal::Impl::WaitForSpace() {
  if (opts_.max_bytes == 0) {
    absl::MutexLock l(&mu_);
    return WriterError();
  }
  bool rolled = false;
  mu_.Lock();
  while (WriterError().ok() && disk_bytes_ >= opts_.max_bytes) {
    if (!paused_) {
      paused_ = true;
      space_cv_.SignalAll();
      spdlog::warn(
          "journal at its disk cap of {} bytes (journal.max_bytes): capture paused until sinks "
          "catch up and retention frees space",
          opts_.max_bytes);
    }
    if (!rolled && segments_.back()->bytes > 0) {
      rolled = true;
      mu_.Unlock();
      absl::Status st = Roll().status();
      mu_.Lock();
      if (!st.ok()) {
        mu_.Unlock();
        return st;
      }
      continue;
    }
    space_cv_.Wait(&mu_);
  }
  absl::Status st = WriterError();
  if (paused_ && st.ok()) {
    paused_ = false;
    spdlog::info("journal below its disk cap ({} of {} bytes): capture resumed", disk_bytes_,
                 opts_.max_bytes);
  }
  mu_.Unlock();
  return st;
}

absl::StatusOr<uint64_t> Journal::Impl::Append(std::vector<v1::JournalEntry> entries) {
  if (entries.empty()) return next_offset();
  TM_RETURN_IF_ERROR(WaitForSpace());

  uint64_t first;
  std::shared_ptr<Segment> active;
  uint64_t active_bytes;
  {
    absl::MutexLock l(&mu_);
    first = next_offset_;
    active = segments_.back();
    active_bytes = active->bytes;
  }
  std::string rec;
  TM_RETURN_IF_ERROR(jf::EncodeRecord(first, entries, &rec));
  if (active_bytes > 0 && active_bytes + rec.size() > opts_.segment_bytes) {
    TM_ASSIGN_OR_RETURN(active, Roll());
    active_bytes = 0;
  }
  if (absl::Status st = active->file->Append(rec); !st.ok()) {
    absl::Status undo = active->file->Truncate(active_bytes);
    if (!undo.ok()) {
      absl::MutexLock l(&mu_);
      write_error_ = Annotate(undo, "journal: a failed append could not be undone, restart: ");
    }
    return Annotate(st, fmt::format("journal: append of offsets {}..{}: ", first,
                                    first + entries.size()));
  }

  const uint32_t commit_end = jf::CommitEnd(entries);
  const uint64_t count = entries.size();
  if (opts_.cache_bytes > 0) {
    // Cached before the record can become visible (below), so that a reader that
    // keeps up finds it.
    absl::StatusOr<jf::RecordHeader> h = jf::DecodeHeader(rec);
    uint64_t committed_end;
    {
      absl::MutexLock l(&mu_);
      committed_end = written_visible_;
    }
    if (h.ok()) Cache(first, std::move(entries), h->raw_len, committed_end);
  }
  absl::MutexLock l(&mu_);
  active->index.push_back(RecordInfo{.pos = active_bytes,
                                     .size = rec.size(),
                                     .first_offset = first,
                                     .entry_count = static_cast<uint32_t>(count),
                                     .commit_end = commit_end});
  active->bytes += rec.size();
  disk_bytes_ += rec.size();
  next_offset_ = first + count;
  active->end = next_offset_;
  if (commit_end > 0) written_visible_ = first + commit_end;
  if (dirty_files_.empty() || dirty_files_.back() != active->file) {
    dirty_files_.push_back(active->file);
  }
  const bool was_clean = unsynced_bytes_ == 0;
  unsynced_bytes_ += rec.size();
  if (was_clean) first_unsynced_ = absl::Now();
  if (was_clean || unsynced_bytes_ >= opts_.group_commit_bytes) flush_cv_.Signal();
  return first;
}

void Journal::Impl::Cache(uint64_t first, std::vector<v1::JournalEntry> entries,
                          uint64_t bytes, uint64_t committed_end) {
  if (bytes > opts_.cache_bytes) return;  // bigger than the whole cache: readers decode it
  std::deque<CachedRecord> evicted;  // freed after the lock is released
  auto shared = std::make_shared<const RecordEntries>(std::move(entries));
  absl::MutexLock l(&cache_mu_);
  DropReadRecords(&evicted);
  const absl::Time give_up = absl::Now() + opts_.cache_reader_wait;
  auto unread_by_active_reader = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(cache_mu_) {
    const uint64_t front_end = cache_.front().first + cache_.front().entries->size();
    const absl::Time active_since = absl::Now() - opts_.cache_reader_wait;
    for (const auto& r : readers_) {
      if (r->position < front_end && r->position < committed_end &&
          r->last_read >= active_since) {
        return true;
      }
    }
    return false;
  };
  while (!cache_.empty() && cache_used_ + bytes > opts_.cache_bytes) {
    if (unread_by_active_reader() && !reader_moved_.WaitWithDeadline(&cache_mu_, give_up)) {
      continue;  // a reader moved: look again
    }
    cache_used_ -= cache_.front().bytes;
    evicted.push_back(std::move(cache_.front()));
    cache_.pop_front();
  }
  cache_used_ += bytes;
  cache_.push_back(CachedRecord{.first = first, .entries = std::move(shared), .bytes = bytes});
}

std::shared_ptr<Journal::Impl::ReaderMark> Journal::Impl::AddReader(uint64_t position) {
  auto mark = std::make_shared<ReaderMark>();
  mark->position = position;
  mark->last_read = absl::InfinitePast();  // active from its first Next()
  absl::MutexLock l(&cache_mu_);
  readers_.push_back(mark);
  return mark;
}

void Journal::Impl::MarkReader(ReaderMark* mark, uint64_t position) {
  std::deque<CachedRecord> read;  // freed after the lock is released
  absl::MutexLock l(&cache_mu_);
  const bool moved = position != mark->position;
  mark->position = position;
  mark->last_read = absl::Now();
  if (moved) {
    DropReadRecords(&read);
    reader_moved_.SignalAll();
  }
}

void Journal::Impl::DropReadRecords(std::deque<CachedRecord>* out) {
  if (readers_.empty()) return;
  uint64_t slowest = UINT64_MAX;
  for (const auto& r : readers_) slowest = std::min(slowest, r->position);
  while (!cache_.empty() && cache_.front().first + cache_.front().entries->size() <= slowest) {
    cache_used_ -= cache_.front().bytes;
    out->push_back(std::move(cache_.front()));
    cache_.pop_front();
  }
}

void Journal::Impl::RemoveReader(const std::shared_ptr<ReaderMark>& mark) {
  absl::MutexLock l(&cache_mu_);
  readers_.erase(std::remove(readers_.begin(), readers_.end(), mark), readers_.end());
  reader_moved_.SignalAll();
}

void Journal::Impl::ClearCache() {
  std::deque<CachedRecord> evicted;
  absl::MutexLock l(&cache_mu_);
  evicted.swap(cache_);
  cache_used_ = 0;
}

std::optional<Journal::Impl::CachedRecord> Journal::Impl::Cached(uint64_t offset) const {
  absl::MutexLock l(&cache_mu_);
  if (cache_.empty() || offset < cache_.front().first) return std::nullopt;
  // The newest record whose first offset is <= offset.
  auto it = std::upper_bound(cache_.begin(), cache_.end(), offset,
                             [](uint64_t o, const CachedRecord& r) { return o < r.first; });
  --it;
  if (offset >= it->first + it->entries->size()) return std::nullopt;
  return *it;
}

void Journal::Impl::CountRead(bool cached) {
  (cached ? reads_cached_ : reads_decoded_).fetch_add(1, std::memory_order_relaxed);
}

// ---------------------------------------------------------------------------
// Group commit.

void Journal::Impl::FlusherLoop() {
  pthread_setname_np(pthread_self(), "tm-journal-sync");  // names the thread in top/perf
  mu_.Lock();
  while (true) {
    // Wait until there is something to sync and a reason to sync it now.
    bool exit = false;
    while (true) {
      const bool unsynced = unsynced_bytes_ > 0 || dir_dirty_;
      if (!sync_error_.ok() || (closed_ && !unsynced)) {
        exit = true;
        break;
      }
      if (unsynced && (closed_ || sync_requested_ ||
                       unsynced_bytes_ >= opts_.group_commit_bytes ||
                       absl::Now() >= first_unsynced_ + opts_.group_commit_delay)) {
        break;
      }
      if (!unsynced && sync_requested_) {  // a Sync() raced with the previous round
        sync_requested_ = false;
        durable_cv_.SignalAll();
      }
      if (unsynced) {
        flush_cv_.WaitWithDeadline(&mu_, first_unsynced_ + opts_.group_commit_delay);
      } else {
        flush_cv_.Wait(&mu_);
      }
    }
    if (exit) break;

    const uint64_t target = next_offset_;
    const uint64_t target_visible = written_visible_;
    std::vector<std::shared_ptr<SegmentFile>> files;
    files.swap(dirty_files_);
    const bool sync_dir = dir_dirty_;
    dir_dirty_ = false;
    unsynced_bytes_ = 0;
    sync_requested_ = false;
    mu_.Unlock();

    absl::Status st;
    for (const auto& f : files) st.Update(f->Sync());
    if (sync_dir) st.Update(SyncDir(opts_.dir));

    mu_.Lock();
    if (!st.ok()) {
      // Never retry a failed fsync: the kernel may have dropped the dirty pages
      // (PostgreSQL's "fsyncgate"). Every writer and waiter sees the error from now on.
      sync_error_ = Annotate(st, "journal: fsync failed; restart the pipeline (it resumes from "
                                 "the last durable offset): ");
      spdlog::error("{}", SV(sync_error_.message()));
      durable_cv_.SignalAll();
      space_cv_.SignalAll();
      break;
    }
    durable_offset_ = std::max(durable_offset_, target);
    visible_offset_ = std::max(visible_offset_, std::min(target_visible, target));
    ++sync_count_;
    durable_cv_.SignalAll();
    auto cb = durable_cb_;
    const uint64_t durable = durable_offset_;
    mu_.Unlock();
    if (cb) cb(durable);
    mu_.Lock();
  }
  flusher_done_ = true;
  durable_cv_.SignalAll();
  mu_.Unlock();
}

absl::Status Journal::Impl::Sync() {
  absl::MutexLock l(&mu_);
  const uint64_t target = next_offset_;
  while (durable_offset_ < target || dir_dirty_) {
    if (!sync_error_.ok()) return sync_error_;
    if (flusher_done_) {
      return absl::CancelledError(fmt::format(
          "journal: closed before offsets {}..{} were synced", durable_offset_, target));
    }
    sync_requested_ = true;
    flush_cv_.Signal();
    durable_cv_.Wait(&mu_);
  }
  return sync_error_;
}

uint64_t Journal::Impl::WaitDurable(uint64_t offset, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::MutexLock l(&mu_);
  while (durable_offset_ <= offset && !closed_ && sync_error_.ok()) {
    if (durable_cv_.WaitWithDeadline(&mu_, deadline)) break;
  }
  return durable_offset_;
}

void Journal::Impl::SetDurableCallback(std::function<void(uint64_t)> cb) {
  absl::MutexLock l(&mu_);
  durable_cb_ = std::move(cb);
}

bool Journal::Impl::WaitUntilPaused(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::MutexLock l(&mu_);
  while (!paused_ && !closed_) {
    if (space_cv_.WaitWithDeadline(&mu_, deadline)) break;
  }
  return paused_;
}

void Journal::Impl::Close() {
  absl::MutexLock c(&close_mu_);
  {
    absl::MutexLock l(&mu_);
    closed_ = true;
    flush_cv_.Signal();
    durable_cv_.SignalAll();
    space_cv_.SignalAll();
  }
  if (flusher_.joinable()) flusher_.join();  // the flusher syncs what is left, then exits
}

}  // namespace tidemark
