// Printing and parsing of source positions in each engine's own notation
// (DESIGN.md §4): PG LSNs as 16/B374D848, MySQL as mysql-bin.000003:4 plus GTID set,
// Mongo as the hex of its resume token. Positions are typed everywhere else.
#ifndef TIDEMARK_COMMON_POSITIONS_H_
#define TIDEMARK_COMMON_POSITIONS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "tidemark/v1/position.pb.h"

namespace tidemark {

std::string FormatLsn(uint64_t lsn);
// Parses "16/B374D848" (hex halves). kInvalidArgument on anything else.
absl::StatusOr<uint64_t> ParseLsn(std::string_view text);

// Human-readable form for logs and `journal inspect`.
std::string FormatPosition(const v1::SourcePosition& pos);

// The PG resume point of a position (end_lsn of its commit), 0 when not PG.
uint64_t PgResumeLsn(const v1::SourcePosition& pos);

}  // namespace tidemark

#endif  // TIDEMARK_COMMON_POSITIONS_H_
