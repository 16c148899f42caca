#include "cli/pipeline.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "apply/applier.h"
#include "capture/capture_loop.h"
#include "common/backoff.h"
#include "common/file_util.h"
#include "common/positions.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "offsets/journal.h"

namespace tidemark {
namespace {

JournalOptions JournalOptionsFrom(const v1::PipelineConfig& c) {
  JournalOptions o;
  o.dir = c.data_dir() + "/journal";
  // The config loader fills every default, so each value is taken as it is.
  const auto& j = c.journal();
  o.segment_bytes = j.segment_bytes();
  o.group_commit_bytes = j.group_commit_bytes();
  o.group_commit_delay = absl::Milliseconds(j.group_commit_ms());
  o.max_bytes = j.max_bytes();
  o.retain = absl::Seconds(static_cast<int64_t>(j.retain_seconds()));
  o.retain_bytes = j.retain_bytes();
  o.cache_bytes = j.cache_bytes();
  return o;
}

// Drops entries after the newest whole transaction; returns the resume position.
absl::StatusOr<v1::SourcePosition> Recover(Journal& journal) {
  TM_ASSIGN_OR_RETURN(auto last, journal.LastCommit());
  uint64_t keep_until = last ? last->first + 1 : journal.first_offset();
  if (keep_until < journal.next_offset()) {
    spdlog::warn("journal: dropping offsets {}..{} (an incomplete transaction; the source resends it)",
                 keep_until, journal.next_offset() - 1);
    TM_RETURN_IF_ERROR(journal.TruncateTo(keep_until));
  }
  if (!last) return v1::SourcePosition();
  spdlog::info("journal: resuming after the transaction committed at offset {} ({})", last->first,
               FormatPosition(last->second.position()));
  return last->second.position();
}

}  // namespace

Pipeline::~Pipeline() = default;

absl::StatusOr<std::unique_ptr<Pipeline>> Pipeline::Create(v1::PipelineConfig config) {
  std::unique_ptr<Pipeline> p(new Pipeline(std::move(config)));
  const std::string& dir = p->config_.data_dir();
  TM_RETURN_IF_ERROR(MakeDirs(dir));
  TM_ASSIGN_OR_RETURN(p->schemas_, SchemaRegistry::Open(dir + "/schemas.pb"));
  p->checkpoints_ = std::make_unique<CheckpointStore>(dir + "/checkpoints");
  for (const auto& s : p->config_.sinks()) {
    TM_ASSIGN_OR_RETURN(auto sink, MakeSink(p->config_, s, p->schemas_.get(), p->checkpoints_.get()));
    p->sinks_.push_back(std::move(sink));
  }
  return p;
}

absl::StatusOr<std::vector<CheckReport>> Pipeline::Check() {
  std::vector<CheckReport> out;
  TM_ASSIGN_OR_RETURN(auto source, MakeSource(config_, schemas_.get()));
  TM_ASSIGN_OR_RETURN(auto problems, source->Check());
  // The source tables as they are now, for the database sinks' table checks.
  std::vector<v1::TableSchema> tables;
  const bool db_sinks = std::any_of(config_.sinks().begin(), config_.sinks().end(), [](const auto& s) {
    return s.type() == "postgres" || s.type() == "mysql";
  });
  if (db_sinks) {
    auto described = source->DescribeTables();
    if (described.ok()) {
      tables = std::move(*described);
    } else {
      problems.push_back({fmt::format("cannot read the configured tables' definitions to check the "
                                      "database sinks against them: {}", described.status().message()),
                          "fix what the message names; the sinks' tables were not checked"});
    }
  }
  out.push_back({fmt::format("source {}", config_.source().type()), std::move(problems)});
  for (const auto& s : config_.sinks()) {
    out.push_back({fmt::format("sink {} ({})", s.name(), s.type()), CheckSink(config_, s, tables)});
  }
  return out;
}

absl::Status Pipeline::Run(const std::atomic<bool>& stop) {
  Backoff backoff(absl::Milliseconds(500), absl::Seconds(30));
  while (!stop) {
    absl::Status s = RunOnce(stop);
    if (stop) return absl::OkStatus();
    if (s.ok()) continue;
    if (!absl::IsUnavailable(s) && !absl::IsAborted(s)) return s;
    absl::Duration d = backoff.Next();
    spdlog::warn("{}; restarting from the journal in {}", s.message(), absl::FormatDuration(d));
    absl::Time until = absl::Now() + d;
    while (!stop && absl::Now() < until) {
      absl::SleepFor(std::min(absl::Milliseconds(100), until - absl::Now()));  // backoff wait, not sync
    }
  }
  return absl::OkStatus();
}

absl::Status Pipeline::RunOnce(const std::atomic<bool>& stop) {
  TM_ASSIGN_OR_RETURN(std::unique_ptr<Journal> journal, Journal::Open(JournalOptionsFrom(config_)));
  TM_ASSIGN_OR_RETURN(v1::SourcePosition from, Recover(*journal));

  std::vector<std::unique_ptr<Applier>> appliers;
  for (size_t i = 0; i < sinks_.size(); ++i) {
    const auto& sc = config_.sinks(static_cast<int>(i));
    ApplierOptions ao;
    ao.name = sc.name();
    ao.batch_events = std::max<size_t>(1, sc.batch_events());
    ao.batch_wait = absl::Milliseconds(sc.batch_ms());
    appliers.push_back(std::make_unique<Applier>(ao, sinks_[i].get(), journal.get()));
    appliers.back()->Start();
  }
  auto applied_by_all = [&]() {
    uint64_t low = journal->next_offset();
    for (const auto& a : appliers) {
      if (!a->failed()) low = std::min(low, a->applied_end());
    }
    return low;
  };

  TM_ASSIGN_OR_RETURN(std::unique_ptr<Source> source, MakeSource(config_, schemas_.get()));
  absl::Status s = source->Start(from);
  if (s.ok()) {
    CaptureLoop loop(CaptureLoopOptions{}, source.get(), journal.get(), applied_by_all);
    s = loop.Run(stop, [&]() -> absl::Status {
      for (const auto& a : appliers) {
        if (!a->failed()) return absl::OkStatus();
      }
      return appliers.empty() ? absl::OkStatus() : appliers.front()->status();
    });
  }
  source->Close();
  for (auto& a : appliers) a->Stop();
  journal->Close();
  return s;
}

}  // namespace tidemark
