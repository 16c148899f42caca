#include "capture/mysql/gtid_set.h"

#include <fmt/format.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/strings.h"

namespace tidemark::mysql {

std::string UuidText(const uint8_t* s) {
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out += fmt::format("{:02x}", s[i]);
  }
  return out;
}

absl::StatusOr<GtidSet> GtidSet::Parse(std::string_view text) {
  GtidSet set;
  std::string compact;
  for (char c : text) {
    if (c != ' ' && c != '\n' && c != '\t') compact.push_back(c);
  }
  if (compact.empty()) return set;
  for (absl::string_view part : absl::StrSplit(compact, ',')) {
    std::string_view p = SV(part);
    if (p.empty()) continue;
    if (p.find(':') == std::string_view::npos) {
      std::vector<std::string> f = absl::StrSplit(AV(p), '-');
      uint32_t d, s;
      uint64_t n;
      if (f.size() != 3 || !absl::SimpleAtoi(f[0], &d) || !absl::SimpleAtoi(f[1], &s) ||
          !absl::SimpleAtoi(f[2], &n)) {
        return absl::InvalidArgumentError(fmt::format(
            "GTID '{}' is neither MariaDB domain-server-seq nor MySQL uuid:interval", p));
      }
      set.maria_[d] = {s, n};
      continue;
    }
    std::vector<std::string> f = absl::StrSplit(AV(p), ':');
    std::string uuid = f[0];
    if (uuid.size() != 36) {
      return absl::InvalidArgumentError(fmt::format("GTID set part '{}': bad uuid", p));
    }
    for (size_t i = 1; i < f.size(); ++i) {
      std::vector<std::string> ab = absl::StrSplit(f[i], '-');
      int64_t a, b;
      if (ab.empty() || ab.size() > 2 || !absl::SimpleAtoi(ab[0], &a) ||
          !absl::SimpleAtoi(ab.size() == 2 ? ab[1] : ab[0], &b) || a < 1 || b < a) {
        return absl::InvalidArgumentError(
            fmt::format("GTID set part '{}': bad interval '{}'", p, f[i]));
      }
      set.mysql_[uuid].push_back({a, b});
    }
    auto& iv = set.mysql_[uuid];
    std::sort(iv.begin(), iv.end());
  }
  return set;
}

void GtidSet::AddMaria(uint32_t domain, uint32_t server, uint64_t seq) {
  maria_[domain] = {server, seq};
}

void GtidSet::AddMysql(const std::string& uuid, int64_t gno) {
  auto& iv = mysql_[uuid];
  iv.push_back({gno, gno});
  std::sort(iv.begin(), iv.end());
  std::vector<std::pair<int64_t, int64_t>> merged;
  for (const auto& [a, b] : iv) {
    if (!merged.empty() && a <= merged.back().second + 1) {
      merged.back().second = std::max(merged.back().second, b);
    } else {
      merged.push_back({a, b});
    }
  }
  iv = std::move(merged);
}

std::string GtidSet::ToString() const {
  std::vector<std::string> parts;
  for (const auto& [d, sn] : maria_) parts.push_back(fmt::format("{}-{}-{}", d, sn.first, sn.second));
  for (const auto& [uuid, iv] : mysql_) {
    std::string s = uuid;
    for (const auto& [a, b] : iv) s += a == b ? fmt::format(":{}", a) : fmt::format(":{}-{}", a, b);
    parts.push_back(s);
  }
  return fmt::format("{}", fmt::join(parts, ","));
}

}  // namespace tidemark::mysql
