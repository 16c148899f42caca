#include "common/positions.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "common/strings.h"
#include "absl/strings/str_format.h"

namespace tidemark {

std::string FormatLsn(uint64_t lsn) {
  return absl::StrFormat("%X/%X", static_cast<uint32_t>(lsn >> 32), static_cast<uint32_t>(lsn));
}

absl::StatusOr<uint64_t> ParseLsn(std::string_view text) {
  size_t slash = text.find('/');
  uint32_t hi = 0, lo = 0;
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= text.size() ||
      !absl::SimpleHexAtoi(AV(text.substr(0, slash)), &hi) ||
      !absl::SimpleHexAtoi(AV(text.substr(slash + 1)), &lo)) {
    return absl::InvalidArgumentError(
        fmt::format("'{}' is not a PostgreSQL LSN; write it as two hex numbers like 16/B374D848", text));
  }
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

std::string FormatPosition(const v1::SourcePosition& pos) {
  switch (pos.engine_case()) {
    case v1::SourcePosition::kPg:
      // A commit's position (what checkpoints hold) has no change LSN: leave out the 0/0.
      return fmt::format("{}commit {} end {}",
                         pos.pg().lsn() == 0 ? "" : "lsn " + FormatLsn(pos.pg().lsn()) + " ",
                         FormatLsn(pos.pg().commit_lsn()), FormatLsn(pos.pg().end_lsn()));
    case v1::SourcePosition::kMysql:
      return fmt::format("{}:{}{}{}", pos.mysql().file(), pos.mysql().pos(),
                         pos.mysql().gtid_set().empty() ? "" : " gtid ", pos.mysql().gtid_set());
    case v1::SourcePosition::kMongo:
      return "resume_token " + absl::BytesToHexString(pos.mongo().resume_token());
    case v1::SourcePosition::ENGINE_NOT_SET:
      break;
  }
  return "(none)";
}

uint64_t PgResumeLsn(const v1::SourcePosition& pos) {
  return pos.has_pg() ? pos.pg().end_lsn() : 0;
}

}  // namespace tidemark
