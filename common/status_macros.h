// Status helpers used across tidemark. Every module returns absl::Status /
// absl::StatusOr<T> at its boundary (DESIGN.md §6); these macros keep the
// propagation terse.
#ifndef TIDEMARK_COMMON_STATUS_MACROS_H_
#define TIDEMARK_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define TM_CONCAT_INNER_(a, b) a##b
#define TM_CONCAT_(a, b) TM_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define TM_RETURN_IF_ERROR(expr)                  \
  do {                                            \
    ::absl::Status tm_status_ = (expr);           \
    if (!tm_status_.ok()) return tm_status_;      \
  } while (0)

// `TM_ASSIGN_OR_RETURN(auto x, Foo());` declares x from a StatusOr or returns its error.
#define TM_ASSIGN_OR_RETURN(lhs, rexpr) \
  TM_ASSIGN_OR_RETURN_IMPL_(TM_CONCAT_(tm_statusor_, __LINE__), lhs, rexpr)
#define TM_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                              \
  if (!tmp.ok()) return std::move(tmp).status();   \
  lhs = std::move(tmp).value()

namespace tidemark {

// Prefixes `status`'s message with `context` ("pgoutput: " + msg), keeping the code.
absl::Status Annotate(const absl::Status& status, std::string_view context);

}  // namespace tidemark

#endif  // TIDEMARK_COMMON_STATUS_MACROS_H_
