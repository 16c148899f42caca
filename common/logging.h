// Logging setup: spdlog, human-readable lines on a terminal, one JSON object per
// line with --log-format json. Call once from main before any thread starts.
#ifndef TIDEMARK_COMMON_LOGGING_H_
#define TIDEMARK_COMMON_LOGGING_H_

#include <string_view>

#include "absl/status/status.h"

namespace tidemark {

// format: "text" or "json"; level: trace|debug|info|warn|error.
absl::Status InitLogging(std::string_view format, std::string_view level);

}  // namespace tidemark

#endif  // TIDEMARK_COMMON_LOGGING_H_
