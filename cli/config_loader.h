// Loading and validating a pipeline's YAML config (DESIGN.md §5; every key and
// default is described in conf/README.md).
//
// Validation happens entirely at load, before anything starts; every problem is
// kInvalidArgument with a located message, e.g.
//   pipeline.yaml:7:3: unknown key 'tabels' in source (allowed: type, dsn, ...)
//   pipeline.yaml:12:19: sinks[0].batch_events: expected a whole number, got 'ten'
//   pipeline.yaml:4:3: missing required key 'dsn' in source
//   pipeline.yaml:5:9: source.type: unknown value 'pg' (allowed: postgres, mysql, mongo)
// The first problem found is reported.
//
// Defaults are applied so that the returned PipelineConfig is complete: slot and
// publication "tidemark_<pipeline>", data_dir "./var/<pipeline>", the journal,
// batch and snapshot defaults of config.proto. Relative paths stay relative to the
// working directory (not to the config file), as the quickstart runs from the
// repository root.
//
// Secrets: `password_env: NAME` reads the environment variable NAME (an error
// naming NAME when unset or empty); `password_file: PATH` reads the file and drops
// trailing newlines. A literal `password:` key is refused. The password is never
// part of an error message, and RenderConfig leaves it out.
#ifndef TIDEMARK_CLI_CONFIG_LOADER_H_
#define TIDEMARK_CLI_CONFIG_LOADER_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "tidemark/v1/config.pb.h"

namespace tidemark {

// Reads and validates `path`. A file that cannot be read is kInvalidArgument
// naming the path and the OS error. Messages are prefixed with `path`.
absl::StatusOr<v1::PipelineConfig> LoadConfig(const std::string& path);

// Validates YAML text; `source_name` prefixes the messages (a file name).
absl::StatusOr<v1::PipelineConfig> LoadConfigFromString(std::string_view yaml,
                                                        const std::string& source_name);

// The effective config (defaults applied) as YAML, for `tidemark config show`:
// passwords are replaced by where they came from (password_env / password_file),
// and a password inside a DSN or URI is shown as "<redacted>".
std::string RenderConfig(const v1::PipelineConfig& config);

// `dsn` with any password replaced by <redacted>: libpq keyword form
// (password=... / password='...') and URI form (scheme://user:secret@host).
std::string RedactDsn(std::string_view dsn);

}  // namespace tidemark

#endif  // TIDEMARK_CLI_CONFIG_LOADER_H_
