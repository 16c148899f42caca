#include "common/status_macros.h"

#include "common/strings.h"

namespace tidemark {

absl::Status Annotate(const absl::Status& status, std::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), fmt::format("{}{}", context, status.message()));
}

}  // namespace tidemark
