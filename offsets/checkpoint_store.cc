#include "offsets/checkpoint_store.h"

#include <spdlog/spdlog.h>

#include "common/file_util.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark {
namespace {

absl::Status CheckSinkName(const std::string& sink) {
  const bool bad = sink.empty() || sink == "." || sink == ".." ||
                   sink.find_first_of(std::string_view("/\\\0", 3)) != std::string::npos ||
                   sink.ends_with(".history") || sink.ends_with(".tmp");
  if (bad) {
    return absl::InvalidArgumentError(fmt::format(
        "checkpoint store: sink name \"{}\" cannot name a file; use letters, digits, '-', '_' "
        "or '.' (not ending in .history or .tmp)",
        sink));
  }
  return absl::OkStatus();
}

}  // namespace

CheckpointStore::CheckpointStore(std::string dir, size_t history_limit)
    : dir_(std::move(dir)), history_limit_(history_limit == 0 ? 1 : history_limit) {
  // Errors surface again, with the path, from the first Save.
  (void)MakeDirs(dir_);
}

CheckpointStore::~CheckpointStore() {
  absl::Status st = FlushHistory();
  if (!st.ok()) spdlog::error("checkpoint store {}: {}", dir_, SV(st.message()));
}

void CheckpointStore::set_history_interval(absl::Duration d) {
  absl::MutexLock l(&mu_);
  history_interval_ = d;
}

std::string CheckpointStore::CurrentPath(const std::string& sink) const {
  return fmt::format("{}/{}.pb", dir_, sink);
}
std::string CheckpointStore::HistoryPath(const std::string& sink) const {
  return fmt::format("{}/{}.history.pb", dir_, sink);
}

CheckpointStore::SinkState* CheckpointStore::State(const std::string& sink) const {
  absl::MutexLock l(&mu_);
  auto& st = sinks_[sink];
  if (!st) st = std::make_unique<SinkState>();
  return st.get();
}

absl::StatusOr<std::optional<v1::Checkpoint>> CheckpointStore::Load(
    const std::string& sink) const {
  TM_RETURN_IF_ERROR(CheckSinkName(sink));
  const std::string path = CurrentPath(sink);
  absl::StatusOr<std::string> data = ReadFile(path);
  if (absl::IsNotFound(data.status())) return std::nullopt;
  if (!data.ok()) return Annotate(data.status(), "checkpoint store: ");
  v1::Checkpoint cp;
  if (!cp.ParseFromString(*data)) {
    return absl::DataLossError(fmt::format(
        "checkpoint file {} ({} bytes) is not a valid tidemark.v1.Checkpoint; the file is "
        "kept. Restore it, or set the checkpoint with `tidemark checkpoints` / a rewind",
        path, data->size()));
  }
  return cp;
}

absl::Status CheckpointStore::LoadHistoryLocked(const std::string& sink, SinkState* st) const {
  if (st->loaded) return absl::OkStatus();
  const std::string path = HistoryPath(sink);
  absl::StatusOr<std::string> data = ReadFile(path);
  if (!data.ok() && !absl::IsNotFound(data.status())) {
    return Annotate(data.status(), "checkpoint store: ");
  }
  st->history.clear();
  if (data.ok()) {
    v1::CheckpointHistory h;
    if (!h.ParseFromString(*data)) {
      return absl::DataLossError(fmt::format(
          "checkpoint history {} ({} bytes) is not a valid tidemark.v1.CheckpointHistory; the "
          "file is kept. Move it aside to start a new history",
          path, data->size()));
    }
    for (auto& cp : *h.mutable_checkpoints()) st->history.push_back(std::move(cp));
  }
  while (st->history.size() > history_limit_) st->history.pop_front();
  st->loaded = true;
  return absl::OkStatus();
}

absl::Status CheckpointStore::WriteHistoryLocked(const std::string& sink, SinkState* st) const {
  v1::CheckpointHistory h;
  h.mutable_checkpoints()->Reserve(static_cast<int>(st->history.size()));
  for (const auto& cp : st->history) *h.add_checkpoints() = cp;
  std::string data;
  if (!h.SerializeToString(&data)) {
    return absl::InternalError("checkpoint store: failed to serialize a CheckpointHistory");
  }
  TM_RETURN_IF_ERROR(
      Annotate(WriteFileAtomically(HistoryPath(sink), data), "checkpoint store: "));
  st->pending = false;
  st->last_write = absl::Now();
  return absl::OkStatus();
}

absl::Status CheckpointStore::Save(const v1::Checkpoint& cp) {
  TM_RETURN_IF_ERROR(CheckSinkName(cp.sink()));
  absl::Duration interval;
  {
    absl::MutexLock l(&mu_);
    interval = history_interval_;
  }
  SinkState* st = State(cp.sink());
  absl::MutexLock l(&st->mu);
  std::string data;
  if (!cp.SerializeToString(&data)) {
    return absl::InternalError("checkpoint store: failed to serialize a Checkpoint");
  }
  absl::Status w = WriteFileAtomically(CurrentPath(cp.sink()), data);
  if (absl::IsNotFound(w)) {  // the directory was removed or never made
    TM_RETURN_IF_ERROR(MakeDirs(dir_));
    w = WriteFileAtomically(CurrentPath(cp.sink()), data);
  }
  TM_RETURN_IF_ERROR(Annotate(w, "checkpoint store: "));

  TM_RETURN_IF_ERROR(LoadHistoryLocked(cp.sink(), st));
  st->history.push_back(cp);
  while (st->history.size() > history_limit_) st->history.pop_front();
  st->pending = true;
  if (cp.reason() != "apply" || absl::Now() - st->last_write >= interval) {
    return WriteHistoryLocked(cp.sink(), st);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::Checkpoint>> CheckpointStore::History(
    const std::string& sink) const {
  TM_RETURN_IF_ERROR(CheckSinkName(sink));
  SinkState* st = State(sink);
  absl::MutexLock l(&st->mu);
  TM_RETURN_IF_ERROR(LoadHistoryLocked(sink, st));
  return std::vector<v1::Checkpoint>(st->history.begin(), st->history.end());
}

absl::Status CheckpointStore::FlushHistory() {
  std::vector<std::pair<std::string, SinkState*>> states;
  {
    absl::MutexLock l(&mu_);
    for (auto& [name, st] : sinks_) states.emplace_back(name, st.get());
  }
  absl::Status result;
  for (auto& [name, st] : states) {
    absl::MutexLock l(&st->mu);
    if (st->pending) result.Update(WriteHistoryLocked(name, st));
  }
  return result;
}

}  // namespace tidemark
