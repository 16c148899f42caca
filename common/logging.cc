#include "common/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "common/strings.h"

namespace tidemark {

absl::Status InitLogging(std::string_view format, std::string_view level) {
  auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") {
    return absl::InvalidArgumentError(
        fmt::format("--log-level '{}' is not one of trace, debug, info, warn, error, off", level));
  }
  auto logger = spdlog::stderr_color_mt("tidemark");
  if (format == "json") {
    // spdlog has no JSON formatter; messages are escaped by JsonLogEscape at call sites
    // that log user data, and the pattern keeps one object per line.
    logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","thread":%t,"msg":"%v"})",
                        spdlog::pattern_time_type::utc);
  } else if (format == "text") {
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
  } else {
    return absl::InvalidArgumentError(
        fmt::format("--log-format '{}' is not one of text, json", format));
  }
  logger->set_level(lvl);
  spdlog::set_default_logger(logger);
  spdlog::flush_on(spdlog::level::warn);
  return absl::OkStatus();
}

}  // namespace tidemark
