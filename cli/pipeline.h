// A pipeline built from its config: one source, its journal, one applier per sink.
// Run() is the body of `tidemark run`; Check() of `tidemark check`.
//
// Recovery (every start, and every internal restart after a transient error):
// the journal is opened (a torn tail cut off), entries after the newest whole
// transaction are dropped (the source resends that transaction: it was never
// acknowledged and, being uncommitted in the journal, never visible to a sink), and
// the source resumes after that transaction's commit. Each sink resumes from its
// own checkpoint.
#ifndef TIDEMARK_CLI_PIPELINE_H_
#define TIDEMARK_CLI_PIPELINE_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "apply/sink.h"
#include "capture/source.h"
#include "offsets/checkpoint_store.h"
#include "schema/registry.h"
#include "tidemark/v1/config.pb.h"

namespace tidemark {

struct CheckReport {
  std::string component;  // "source postgres", "sink audit"
  std::vector<Prerequisite> problems;
};

class Pipeline {
 public:
  static absl::StatusOr<std::unique_ptr<Pipeline>> Create(v1::PipelineConfig config);
  ~Pipeline();

  // Runs until `stop` is set (then flushes, checkpoints, returns OK) or a
  // non-transient error. kUnavailable/kAborted errors restart capture with backoff.
  absl::Status Run(const std::atomic<bool>& stop);

  // Every prerequisite problem of the source and sinks. A non-OK status means a
  // component could not be checked at all (its message says why).
  absl::StatusOr<std::vector<CheckReport>> Check();

 private:
  explicit Pipeline(v1::PipelineConfig config) : config_(std::move(config)) {}
  absl::Status RunOnce(const std::atomic<bool>& stop);

  v1::PipelineConfig config_;
  std::unique_ptr<SchemaRegistry> schemas_;
  std::unique_ptr<CheckpointStore> checkpoints_;
  std::vector<std::unique_ptr<Sink>> sinks_;
};

// Builders (cli/factories.cc).
absl::StatusOr<std::unique_ptr<Source>> MakeSource(const v1::PipelineConfig& config,
                                                   SchemaRegistry* schemas);
absl::StatusOr<std::unique_ptr<Sink>> MakeSink(const v1::PipelineConfig& config,
                                               const v1::SinkConfig& sink,
                                               const SchemaRegistry* schemas,
                                               CheckpointStore* checkpoints);
// Problems with a sink's own prerequisites (e.g. a file sink's directory not
// writable); database sinks also check their target tables against `tables`, the
// source tables as they are now (Source::DescribeTables).
std::vector<Prerequisite> CheckSink(const v1::PipelineConfig& config, const v1::SinkConfig& sink,
                                    const std::vector<v1::TableSchema>& tables);

}  // namespace tidemark

#endif  // TIDEMARK_CLI_PIPELINE_H_
