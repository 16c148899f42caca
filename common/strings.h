// String glue. Debian 12's abseil (20220623) is built with its own absl::string_view,
// which does NOT convert from std::string_view: absl::StrCat(std::string_view) does not
// compile. tidemark code uses std::string_view and fmt::format for messages; AV()
// converts where an absl API wants an absl::string_view, and the formatter below lets
// fmt print one (absl::Status::message() returns it).
#ifndef TIDEMARK_COMMON_STRINGS_H_
#define TIDEMARK_COMMON_STRINGS_H_

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace tidemark {

inline absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view SV(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace tidemark

#if !defined(ABSL_USES_STD_STRING_VIEW)
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<std::string_view> {
  template <typename Ctx>
  auto format(absl::string_view s, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format(std::string_view(s.data(), s.size()), ctx);
  }
};
#endif

#endif  // TIDEMARK_COMMON_STRINGS_H_
