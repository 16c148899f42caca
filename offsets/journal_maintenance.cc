// Journal: segment index, LastCommit, TruncateTo and retention.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/file_util.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "offsets/journal.h"
#include "offsets/journal_format.h"
#include "offsets/journal_impl.h"

namespace tidemark {

namespace jf = journal_format;

absl::Status Journal::Impl::EnsureIndexed(const std::shared_ptr<Segment>& seg) {
  uint64_t end;
  {
    absl::MutexLock l(&mu_);
    if (seg->indexed) return absl::OkStatus();
    end = seg->end;
  }
  // Only sealed segments are unindexed, and they never change: scan without the lock.
  TM_ASSIGN_OR_RETURN(SegmentScan scan, seg->file->Scan(/*verify=*/false));
  if (scan.bad) {
    return absl::DataLossError(fmt::format(
        "{}: bad record ({}) in a segment that is not the newest, so not a torn write from a "
        "crash. The bytes are kept; restore the journal from a backup, or move the segment "
        "aside and re-snapshot the sinks",
        seg->file->Where(scan.valid_bytes), *scan.bad));
  }
  const uint64_t scanned_end = scan.records.empty() ? seg->base : scan.records.back().end_offset();
  if (scanned_end != end) {
    return absl::DataLossError(fmt::format(
        "journal segment {} holds offsets {}..{} but the next segment starts at {}: entries "
        "are missing or segments were mixed from different journals. The bytes are kept; "
        "restore the journal from a backup or re-snapshot the sinks",
        seg->file->path(), seg->base, scanned_end, end));
  }
  absl::MutexLock l(&mu_);
  if (!seg->indexed) {
    seg->index = std::move(scan.records);
    seg->indexed = true;
  }
  return absl::OkStatus();
}

absl::StatusOr<Journal::Impl::Located> Journal::Impl::Locate(uint64_t offset) {
  while (true) {
    std::shared_ptr<Segment> seg;
    {
      absl::MutexLock l(&mu_);
      if (offset < first_offset_) {
        return absl::OutOfRangeError(fmt::format(
            "journal offset {} was deleted by retention; the oldest retained offset is {}. "
            "Rewind the sink to {} or later, or re-snapshot it",
            offset, first_offset_, first_offset_));
      }
      if (offset >= next_offset_) {
        return absl::OutOfRangeError(fmt::format(
            "journal offset {} is past the end of the journal (next offset {})", offset,
            next_offset_));
      }
      auto it = std::upper_bound(
          segments_.begin(), segments_.end(), offset,
          [](uint64_t o, const std::shared_ptr<Segment>& s) { return o < s->base; });
      seg = *(--it);  // offset >= first_offset_ == segments_.front()->base
      if (seg->indexed) {
        const auto& index = seg->index;
        auto rit = std::upper_bound(
            index.begin(), index.end(), offset,
            [](uint64_t o, const RecordInfo& r) { return o < r.first_offset; });
        if (rit != index.begin() && offset < (rit - 1)->end_offset()) {
          return Located{seg->file, *(rit - 1)};
        }
        return absl::DataLossError(fmt::format(
            "journal offset {} is missing: segment {} holds offsets {}..{}. Restore the journal "
            "from a backup or re-snapshot the sinks",
            offset, seg->file->path(), seg->base,
            index.empty() ? seg->base : index.back().end_offset()));
      }
    }
    TM_RETURN_IF_ERROR(EnsureIndexed(seg));
  }
}

absl::Status Journal::Impl::CheckRetained(uint64_t offset) const {
  absl::MutexLock l(&mu_);
  if (offset < first_offset_) {
    return absl::OutOfRangeError(fmt::format(
        "journal offset {} was deleted by retention; the oldest retained offset is {}. Rewind "
        "the sink to {} or later, or re-snapshot it",
        offset, first_offset_, first_offset_));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Journal::Impl::Located>> Journal::Impl::FindLastCommitRecord() {
  std::vector<std::shared_ptr<Segment>> segs;
  {
    absl::MutexLock l(&mu_);
    segs = segments_;
  }
  for (auto it = segs.rbegin(); it != segs.rend(); ++it) {
    TM_RETURN_IF_ERROR(EnsureIndexed(*it));
    absl::MutexLock l(&mu_);
    const auto& index = (*it)->index;
    for (auto r = index.rbegin(); r != index.rend(); ++r) {
      if (r->commit_end > 0) return Located{(*it)->file, *r};
    }
  }
  return std::nullopt;
}

absl::Status Journal::Impl::RecomputeVisible() {
  TM_ASSIGN_OR_RETURN(std::optional<Located> last, FindLastCommitRecord());
  absl::MutexLock l(&mu_);
  uint64_t v = last ? last->info.first_offset + last->info.commit_end : first_offset_;
  v = std::min(std::max(v, first_offset_), durable_offset_);
  written_visible_ = v;
  visible_offset_ = v;
  durable_cv_.SignalAll();
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::pair<uint64_t, v1::TxnCommit>>> Journal::Impl::LastCommit() {
  TM_ASSIGN_OR_RETURN(std::optional<Located> last, FindLastCommitRecord());
  if (!last) return std::nullopt;
  TM_ASSIGN_OR_RETURN(v1::JournalBatch batch, last->file->ReadRecord(last->info));
  const int i = static_cast<int>(last->info.commit_end) - 1;
  if (!batch.entries(i).has_commit()) {
    return absl::DataLossError(fmt::format(
        "{}: header says entry {} is a TxnCommit but it is not. Restore the journal from a "
        "backup or re-snapshot the sinks",
        last->file->Where(last->info.pos), last->info.first_offset + i));
  }
  return std::make_pair(last->info.first_offset + static_cast<uint64_t>(i),
                        batch.entries(i).commit());
}

absl::Status Journal::Impl::TruncateTo(uint64_t offset) {
  absl::MutexLock r(&retention_mu_);
  TM_RETURN_IF_ERROR(Sync());  // nothing in flight in the flusher from here on
  ClearCache();  // it may hold the entries being cut
  std::vector<std::shared_ptr<Segment>> later;
  std::shared_ptr<Segment> seg;
  uint64_t old_next;
  {
    absl::MutexLock l(&mu_);
    old_next = next_offset_;
    if (offset == next_offset_) return absl::OkStatus();
    if (offset > next_offset_ || offset < first_offset_) {
      return absl::OutOfRangeError(fmt::format(
          "journal: cannot truncate to offset {}: the journal holds offsets {}..{}", offset,
          first_offset_, next_offset_));
    }
    size_t i = segments_.size() - 1;
    while (segments_[i]->base > offset) --i;
    seg = segments_[i];
    later.assign(segments_.begin() + static_cast<std::ptrdiff_t>(i) + 1, segments_.end());
  }
  // Newest first, so that a crash midway leaves a journal that is a prefix of this one.
  for (auto it = later.rbegin(); it != later.rend(); ++it) {
    TM_RETURN_IF_ERROR((*it)->file->Unlink());
    absl::MutexLock l(&mu_);
    disk_bytes_ -= (*it)->bytes;
    segments_.pop_back();
  }
  TM_RETURN_IF_ERROR(EnsureIndexed(seg));

  std::vector<RecordInfo> keep;
  {
    absl::MutexLock l(&mu_);
    keep = seg->index;
  }
  auto cut = std::find_if(keep.begin(), keep.end(),
                          [&](const RecordInfo& r) { return r.end_offset() > offset; });
  uint64_t new_size = cut == keep.end() ? (keep.empty() ? 0 : keep.back().pos + keep.back().size)
                                        : cut->pos;
  std::shared_ptr<Segment> fresh = seg;
  if (cut != keep.end() && cut->first_offset < offset) {
    // The cut falls inside a record: rewrite the segment with that record's kept
    // prefix, through a temporary file and a rename, so that a crash leaves either
    // the old segment (truncated again at the next start) or the new one, never a
    // torn record holding entries that were durable.
    TM_ASSIGN_OR_RETURN(v1::JournalBatch batch, seg->file->ReadRecord(*cut));
    const int kept = static_cast<int>(offset - cut->first_offset);
    batch.mutable_entries()->DeleteSubrange(kept, batch.entries_size() - kept);
    std::string content;
    TM_RETURN_IF_ERROR(seg->file->ReadRange(0, cut->pos, &content));
    TM_RETURN_IF_ERROR(jf::EncodeRecord(cut->first_offset, batch, &content));
    TM_RETURN_IF_ERROR(WriteFileAtomically(seg->file->path(), content));
    TM_ASSIGN_OR_RETURN(auto file, SegmentFile::Open(opts_.dir, seg->base));
    fresh = std::make_shared<Segment>(std::move(file));
    fresh->indexed = true;
    RecordInfo rewritten{.pos = cut->pos,
                         .size = content.size() - cut->pos,
                         .first_offset = cut->first_offset,
                         .entry_count = static_cast<uint32_t>(kept),
                         .commit_end = jf::CommitEnd(batch)};
    keep.erase(cut, keep.end());
    keep.push_back(rewritten);
    new_size = content.size();
  } else {
    keep.erase(cut, keep.end());
    TM_RETURN_IF_ERROR(seg->file->Truncate(new_size));
    TM_RETURN_IF_ERROR(seg->file->Sync());
    TM_RETURN_IF_ERROR(SyncDir(opts_.dir));
  }
  {
    absl::MutexLock l(&mu_);
    disk_bytes_ = disk_bytes_ - seg->bytes + new_size;
    fresh->bytes = new_size;
    fresh->index = std::move(keep);
    fresh->end = offset;
    segments_.back() = fresh;  // `seg` is the newest now
    next_offset_ = offset;
    durable_offset_ = offset;
  }
  TM_RETURN_IF_ERROR(RecomputeVisible());
  spdlog::info("journal {}: truncated to offset {} ({} entries dropped, {} segment(s) deleted)",
               opts_.dir, offset, old_next - offset, later.size());
  return absl::OkStatus();
}

absl::Status Journal::Impl::ApplyRetention(uint64_t applied_by_all) {
  absl::MutexLock r(&retention_mu_);
  struct Candidate {
    std::shared_ptr<Segment> seg;
    uint64_t end, bytes;
  };
  std::vector<Candidate> segs;
  uint64_t durable;
  {
    absl::MutexLock l(&mu_);
    for (const auto& s : segments_) segs.push_back({s, s->end, s->bytes});
    durable = durable_offset_;
  }
  uint64_t newer_bytes = 0;  // bytes of the segments after the one looked at
  for (const auto& c : segs) newer_bytes += c.bytes;
  const absl::Time now = absl::Now();
  size_t n_delete = 0;
  for (size_t i = 0; i + 1 < segs.size(); ++i) {  // never the newest
    const Candidate& c = segs[i];
    newer_bytes -= c.bytes;
    if (c.end > applied_by_all || c.end > durable) break;        // a sink still needs it
    if (opts_.retain_bytes > 0 && newer_bytes < opts_.retain_bytes) break;  // rewind window
    if (opts_.retain > absl::ZeroDuration()) {
      TM_ASSIGN_OR_RETURN(absl::Time mtime, c.seg->file->ModTime());
      if (now - mtime < opts_.retain) break;  // rewind window
    }
    n_delete = i + 1;
  }
  for (size_t i = 0; i < n_delete; ++i) {
    const Candidate& c = segs[i];
    TM_RETURN_IF_ERROR(c.seg->file->Unlink());
    absl::MutexLock l(&mu_);
    segments_.erase(segments_.begin());
    first_offset_ = segments_.front()->base;
    disk_bytes_ -= c.bytes;
    space_cv_.SignalAll();
    spdlog::info("journal: retention deleted {} (offsets {}..{}, {} bytes)", c.seg->file->path(),
                 c.seg->base, c.end, c.bytes);
  }
  if (n_delete > 0) TM_RETURN_IF_ERROR(SyncDir(opts_.dir));
  return absl::OkStatus();
}

}  // namespace tidemark
