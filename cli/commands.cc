#include "cli/commands.h"

#include <google/protobuf/util/json_util.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <iostream>

#include "cli/config_loader.h"
#include "cli/pipeline.h"
#include "common/positions.h"
#include "common/strings.h"
#include "offsets/journal.h"

namespace tidemark {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void OnSignal(int) { g_stop = true; }

// Loads the config or prints why not; nullopt means "exit 2".
std::optional<v1::PipelineConfig> Load(const CommandArgs& args) {
  auto config = LoadConfig(args.config);
  if (!config.ok()) {
    std::cerr << "tidemark: " << config.status().message() << "\n";
    return std::nullopt;
  }
  return *config;
}

int Fail(const absl::Status& s) {
  spdlog::error("{}", s.message());
  return absl::IsInvalidArgument(s) ? 2 : 1;
}

}  // namespace

int RunCommand(const CommandArgs& args) {
  auto config = Load(args);
  if (!config) return 2;
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  auto pipeline = Pipeline::Create(*config);
  if (!pipeline.ok()) return Fail(pipeline.status());
  spdlog::info("pipeline {} starting (data_dir {})", config->pipeline(), config->data_dir());
  absl::Status s = (*pipeline)->Run(g_stop);
  if (!s.ok()) return Fail(s);
  spdlog::info("pipeline {} stopped cleanly: journal synced, sinks flushed and checkpointed",
               config->pipeline());
  return 0;
}

int CheckCommand(const CommandArgs& args) {
  auto config = Load(args);
  if (!config) return 2;
  auto pipeline = Pipeline::Create(*config);
  if (!pipeline.ok()) return Fail(pipeline.status());
  auto reports = (*pipeline)->Check();
  if (!reports.ok()) {
    std::cout << "FAIL  cannot check: " << reports.status().message() << "\n";
    return 1;
  }
  int problems = 0;
  for (const auto& r : *reports) {
    if (r.problems.empty()) std::cout << "ok    " << r.component << "\n";
    for (const auto& p : r.problems) {
      ++problems;
      std::cout << "FAIL  " << r.component << ": " << p.problem << "\n      fix: " << p.fix << "\n";
    }
  }
  std::cout << (problems == 0 ? "all prerequisites met\n"
                              : fmt::format("{} problem(s) found\n", problems));
  return problems == 0 ? 0 : 1;
}

int InspectCommand(const CommandArgs& args) {
  auto config = Load(args);
  if (!config) return 2;
  JournalOptions o;
  o.dir = config->data_dir() + "/journal";
  auto journal = Journal::Open(o);
  if (!journal.ok()) return Fail(journal.status());
  uint64_t from = args.from >= 0 ? static_cast<uint64_t>(args.from) : (*journal)->first_offset();
  auto reader = (*journal)->NewReader(from);
  if (!reader.ok()) return Fail(reader.status());
  uint64_t left = args.limit >= 0 ? static_cast<uint64_t>(args.limit) : UINT64_MAX;
  google::protobuf::util::JsonPrintOptions jo;
  while (left > 0) {
    auto batch = (*reader)->Next(std::min<uint64_t>(left, 4096), absl::ZeroDuration());
    if (!batch.ok()) return Fail(batch.status());
    if (batch->entries.empty()) break;
    for (size_t i = 0; i < batch->entries.size(); ++i) {
      std::string json;
      (void)google::protobuf::util::MessageToJsonString(batch->entries[i], &json, jo);
      std::cout << "{\"offset\":" << batch->first_offset + i << ",\"entry\":" << json << "}\n";
    }
    left -= batch->entries.size();
  }
  return 0;
}

int CheckpointsCommand(const CommandArgs& args) {
  auto config = Load(args);
  if (!config) return 2;
  CheckpointStore store(config->data_dir() + "/checkpoints");
  for (const auto& s : config->sinks()) {
    auto cp = store.Load(s.name());
    if (!cp.ok()) return Fail(cp.status());
    if (!cp->has_value()) {
      std::cout << s.name() << ": no checkpoint yet\n";
      continue;
    }
    std::cout << fmt::format("{}: offset {} source {} ({})\n", s.name(), (*cp)->offset(),
                             FormatPosition((*cp)->position()), (*cp)->reason());
  }
  return 0;
}

int ConfigShowCommand(const CommandArgs& args) {
  auto config = Load(args);
  if (!config) return 2;
  std::cout << RenderConfig(*config);
  return 0;
}

}  // namespace tidemark
