#include "capture/mysql/gtid_set.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

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

bool UuidBytes(std::string_view text, std::string* out) {
  out->clear();
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return false;
      ++i;
      continue;
    }
    int v = 0;
    for (int k = 0; k < 2; ++k, ++i) {
      char c = static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0) return false;
      v = v * 16 + d;
    }
    out->push_back(static_cast<char>(v));
  }
  return out->size() == 16;
}

namespace {
// Sorts and joins overlapping or adjacent [a, b] intervals.
void MergeIntervals(std::vector<std::pair<int64_t, int64_t>>* iv) {
  std::sort(iv->begin(), iv->end());
  std::vector<std::pair<int64_t, int64_t>> merged;
  for (const auto& [a, b] : *iv) {
    if (!merged.empty() && a <= merged.back().second + 1) {
      merged.back().second = std::max(merged.back().second, b);
    } else {
      merged.push_back({a, b});
    }
  }
  *iv = std::move(merged);
}

void PutLE(std::string* out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
}  // namespace

std::string GtidSet::EncodeMysql() const {
  std::string out;
  PutLE(&out, mysql_.size(), 8);
  for (const auto& [uuid, iv] : mysql_) {
    std::string sid;
    UuidBytes(uuid, &sid);  // validated by Parse
    out += sid;
    PutLE(&out, iv.size(), 8);
    for (const auto& [a, b] : iv) {
      PutLE(&out, static_cast<uint64_t>(a), 8);
      PutLE(&out, static_cast<uint64_t>(b) + 1, 8);  // exclusive end
    }
  }
  return out;
}

std::string EncodeBinlogDumpGtid(uint32_t server_id, std::string_view file, uint64_t pos,
                                 const GtidSet& gtids) {
  constexpr uint16_t kBinlogThroughGtid = 0x04;
  std::string data = gtids.EncodeMysql();
  std::string out;
  PutLE(&out, kBinlogThroughGtid, 2);
  PutLE(&out, server_id, 4);
  PutLE(&out, file.size(), 4);
  out.append(file);
  PutLE(&out, pos, 8);
  PutLE(&out, data.size(), 4);
  out += data;
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
    for (char& c : uuid) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string sid;
    if (!UuidBytes(uuid, &sid)) {
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
    MergeIntervals(&set.mysql_[uuid]);
  }
  return set;
}

void GtidSet::AddMaria(uint32_t domain, uint32_t server, uint64_t seq) {
  maria_[domain] = {server, seq};
}

void GtidSet::AddMysql(const std::string& uuid, int64_t gno) {
  auto& iv = mysql_[uuid];
  iv.push_back({gno, gno});
  MergeIntervals(&iv);
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
