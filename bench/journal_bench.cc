// Journal append throughput (DESIGN.md §1): records of `batch` change events,
// lz4 + CRC + write(2), group-committed by the background flusher. Reports
// uncompressed entry bytes/s (bytes_per_second) and records/s.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>

#include "offsets/journal.h"

namespace tidemark {
namespace {

std::vector<v1::JournalEntry> MakeBatch(int n, uint64_t seq) {
  std::vector<v1::JournalEntry> v;
  v.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    v1::JournalEntry e;
    auto* ev = e.mutable_event();
    ev->set_transaction_id(fmt::format("{}", seq));
    ev->set_sequence(static_cast<uint32_t>(i));
    ev->set_commit_time_micros(1700000000000000 + static_cast<int64_t>(seq));
    // A row-ish payload: some repetition, some unique digits, like real rows.
    ev->set_ddl(fmt::format("id={} name=customer-{} email=c{}@example.com status=active "
                            "balance={}.{:02d} note=lorem ipsum dolor sit amet",
                            seq * 1000 + static_cast<uint64_t>(i), seq, i, seq % 9973, i % 100));
    v.push_back(std::move(e));
  }
  v1::JournalEntry c;
  c.mutable_commit()->set_transaction_id(fmt::format("{}", seq));
  v.push_back(std::move(c));
  return v;
}

void BM_JournalAppend(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  const std::string dir =
      fmt::format("{}/tidemark_journal_bench_{}", std::filesystem::temp_directory_path().string(),
                  ::getpid());
  std::filesystem::remove_all(dir);
  JournalOptions o;
  o.dir = dir;
  auto j = Journal::Open(o);
  if (!j.ok()) {
    state.SkipWithError(std::string(j.status().message()).c_str());
    return;
  }
  const std::vector<v1::JournalEntry> proto = MakeBatch(batch, 1);
  size_t raw = 0;
  for (const auto& e : proto) raw += e.ByteSizeLong();
  uint64_t seq = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<v1::JournalEntry> entries = MakeBatch(batch, ++seq);
    state.ResumeTiming();
    auto off = (*j)->Append(std::move(entries));
    if (!off.ok()) state.SkipWithError(std::string(off.status().message()).c_str());
  }
  if (!(*j)->Sync().ok()) state.SkipWithError("sync failed");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * raw));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["fsyncs"] = static_cast<double>((*j)->sync_count());
  state.counters["disk_MB"] = static_cast<double>((*j)->disk_bytes()) / 1e6;
  j->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_JournalAppend)->Arg(1)->Arg(16)->Arg(256)->UseRealTime();

}  // namespace
}  // namespace tidemark

BENCHMARK_MAIN();
