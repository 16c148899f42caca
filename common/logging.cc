#include "common/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "absl/time/time.h"
#include "common/json_writer.h"
#include "common/strings.h"

namespace tidemark {
namespace {

// One JSON object per line: {"ts":"…Z","level":"info","thread":N,"msg":"…"}.
// The message is escaped properly (quotes, control characters, invalid bytes), so
// every line parses whatever a log call printed.
class JsonLineFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line = "{\"ts\":\"";
    absl::Time t = absl::FromChrono(msg.time);
    line += absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
    line += "\",\"level\":\"";
    auto level = spdlog::level::to_string_view(msg.level);
    line.append(level.data(), level.size());
    line += fmt::format("\",\"thread\":{},\"msg\":", msg.thread_id);
    json::AppendTrustedString(&line, std::string_view(msg.payload.data(), msg.payload.size()));
    line += "}\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonLineFormatter>();
  }
};

}  // namespace

absl::Status InitLogging(std::string_view format, std::string_view level) {
  auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") {
    return absl::InvalidArgumentError(
        fmt::format("--log-level '{}' is not one of trace, debug, info, warn, error, off", level));
  }
  auto logger = spdlog::stderr_color_mt("tidemark");
  if (format == "json") {
    logger->set_formatter(std::make_unique<JsonLineFormatter>());
  } else if (format == "text") {
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
  } else {
    return absl::InvalidArgumentError(
        fmt::format("--log-format '{}' is not one of text, json", format));
  }
  logger->set_level(lvl);
  spdlog::set_default_logger(logger);
  spdlog::flush_on(spdlog::level::info);
  return absl::OkStatus();
}

}  // namespace tidemark
