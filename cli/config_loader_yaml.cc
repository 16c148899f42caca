#include "cli/config_loader_yaml.h"

#include <fmt/format.h>

#include <limits>
#include <map>

#include "common/strings.h"

namespace tidemark::config {
namespace {

constexpr char kSizeHelp[] =
    "a size is a whole number with an optional unit: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB "
    "(e.g. 10GiB)";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Leading digits of `s` as a number; false on none or overflow. Advances `i`.
bool ReadNumber(std::string_view s, size_t* i, uint64_t* out) {
  const size_t start = *i;
  uint64_t v = 0;
  while (*i < s.size() && IsDigit(s[*i])) {
    const uint64_t d = static_cast<uint64_t>(s[*i] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
    ++*i;
  }
  *out = v;
  return *i > start;
}

bool MulOverflows(uint64_t a, uint64_t b, uint64_t* out) {
  return __builtin_mul_overflow(a, b, out);
}

std::string Join(const std::vector<std::string_view>& items) {
  std::string out;
  for (std::string_view s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

}  // namespace

absl::StatusOr<uint64_t> ParseSize(std::string_view text) {
  size_t i = 0;
  uint64_t n = 0;
  if (!ReadNumber(text, &i, &n)) {
    return absl::InvalidArgumentError(fmt::format("'{}' is not a size; {}", text, kSizeHelp));
  }
  while (i < text.size() && text[i] == ' ') ++i;
  const std::string_view unit = text.substr(i);
  static const std::map<std::string_view, uint64_t> kUnits = {
      {"", 1},           {"B", 1},           {"KB", 1000},        {"MB", 1000'000},
      {"GB", 1000'000'000}, {"TB", 1000'000'000'000}, {"KiB", 1ull << 10}, {"MiB", 1ull << 20},
      {"GiB", 1ull << 30},  {"TiB", 1ull << 40}};
  auto it = kUnits.find(unit);
  if (it == kUnits.end()) {
    return absl::InvalidArgumentError(fmt::format("'{}' is not a size; {}", text, kSizeHelp));
  }
  uint64_t bytes;
  if (MulOverflows(n, it->second, &bytes)) {
    return absl::InvalidArgumentError(fmt::format("'{}' is too large", text));
  }
  return bytes;
}

absl::StatusOr<uint64_t> ParseDurationMs(std::string_view text, bool bare_is_ms) {
  const auto bad = [&]() {
    return absl::InvalidArgumentError(fmt::format(
        "'{}' is not a duration; write whole numbers with units ms, s, m, h, d (e.g. 500ms, 30s, "
        "1h30m){}",
        text, bare_is_ms ? ", or a number of milliseconds" : ""));
  };
  size_t i = 0;
  uint64_t total = 0;
  if (text.empty()) return bad();
  while (i < text.size()) {
    uint64_t n;
    if (!ReadNumber(text, &i, &n)) return bad();
    size_t j = i;
    while (j < text.size() && !IsDigit(text[j])) ++j;
    const std::string_view unit = text.substr(i, j - i);
    i = j;
    uint64_t scale;
    if (unit.empty() && bare_is_ms && total == 0 && i == text.size()) {
      scale = 1;
    } else if (unit == "ms") {
      scale = 1;
    } else if (unit == "s") {
      scale = 1000;
    } else if (unit == "m") {
      scale = 60'000;
    } else if (unit == "h") {
      scale = 3'600'000;
    } else if (unit == "d") {
      scale = 86'400'000;
    } else {
      return bad();
    }
    uint64_t ms;
    if (MulOverflows(n, scale, &ms) || __builtin_add_overflow(total, ms, &total)) {
      return absl::InvalidArgumentError(fmt::format("'{}' is too long", text));
    }
  }
  return total;
}

std::string LocationPrefix(std::string_view source_name, const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0) return fmt::format("{}: ", source_name);
  return fmt::format("{}:{}:{}: ", source_name, mark.line + 1, mark.column + 1);
}

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null: return "an empty value";
    case YAML::NodeType::Scalar: {
      std::string s = node.Scalar();
      if (s.size() > 40) s = s.substr(0, 37) + "...";
      return fmt::format("'{}'", s);
    }
    case YAML::NodeType::Undefined: break;
  }
  return "nothing";
}

Section::Section(std::string source_name, std::shared_ptr<const std::string> text, YAML::Node map,
                 std::string path)
    : source_(std::move(source_name)),
      text_(std::move(text)),
      map_(std::move(map)),
      path_(std::move(path)) {}

YAML::Mark Section::MarkOf(std::string_view key) const {
  if (map_.IsMap()) {
    for (const auto& kv : map_) {
      if (!kv.first.IsScalar() || kv.first.Scalar() != key) continue;
      return kv.second.IsNull() && !NullSpelling(kv.second) ? kv.first.Mark() : kv.second.Mark();
    }
  }
  return map_.Mark();
}

std::optional<std::string> Section::NullSpelling(const YAML::Node& v) const {
  if (!v.IsNull() || text_ == nullptr) return std::nullopt;
  const YAML::Mark m = v.Mark();
  if (m.is_null() || m.pos < 0 || static_cast<size_t>(m.pos) >= text_->size()) return std::nullopt;
  const std::string_view rest = std::string_view(*text_).substr(static_cast<size_t>(m.pos));
  for (std::string_view word : {"null", "Null", "NULL", "~"}) {
    if (rest.substr(0, word.size()) != word) continue;
    const std::string_view after = rest.substr(word.size());
    if (after.empty() || after[0] == ' ' || after[0] == '\n' || after[0] == '\r' ||
        after[0] == ',' || after[0] == '}' || after[0] == ']' || after[0] == '#') {
      return std::string(word);
    }
  }
  return std::nullopt;
}

std::string Section::KeyPath(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

std::string Section::Where() const {
  return path_.empty() ? "at the top level" : fmt::format("in {}", path_);
}

absl::Status Section::Located(const YAML::Mark& mark, std::string_view message) const {
  return absl::InvalidArgumentError(LocationPrefix(source_, mark) + std::string(message));
}

absl::Status Section::CheckKeys(const std::vector<std::string_view>& allowed) const {
  if (!map_.IsMap()) return absl::OkStatus();
  std::map<std::string, int> seen;  // key → line
  for (const auto& kv : map_) {
    const YAML::Node k = kv.first;
    if (!k.IsScalar()) {
      return Located(k.Mark(), fmt::format("keys must be plain words, got {} {}", Describe(k),
                                           Where()));
    }
    const std::string& name = k.Scalar();
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || a == name;
    if (!ok) {
      return Located(k.Mark(), fmt::format("unknown key '{}' {} (allowed: {})", name, Where(),
                                           Join(allowed)));
    }
    auto [pos, inserted] = seen.emplace(name, k.Mark().line + 1);
    if (!inserted) {
      return Located(k.Mark(), fmt::format("duplicate key '{}' {} (first at line {})", name,
                                           Where(), pos->second));
    }
  }
  return absl::OkStatus();
}

YAML::Node Section::Value(std::string_view key) const {
  if (!map_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& kv : map_) {
    if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

bool Section::Has(std::string_view key) const { return Value(key).IsDefined(); }

std::vector<std::string> Section::Keys() const {
  std::vector<std::string> out;
  if (!map_.IsMap()) return out;
  for (const auto& kv : map_) {
    if (kv.first.IsScalar()) out.push_back(kv.first.Scalar());
  }
  return out;
}

int Section::LineOf(std::string_view key) const {
  YAML::Node v = Value(key);
  return v.IsDefined() ? v.Mark().line + 1 : 0;
}

absl::Status Section::ErrorAt(std::string_view key, std::string_view message) const {
  return Located(MarkOf(key), fmt::format("{}: {}", KeyPath(key), message));
}

absl::Status Section::ErrorAtElement(std::string_view key, size_t index,
                                     std::string_view message) const {
  YAML::Node v = Value(key);
  YAML::Mark mark = v.IsSequence() && index < v.size() ? v[index].Mark() : v.Mark();
  return Located(mark, fmt::format("{}[{}]: {}", KeyPath(key), index, message));
}

absl::Status Section::Missing(std::string_view key) const {
  YAML::Mark mark = map_.Mark();
  if (mark.is_null() || mark.line < 0) mark = YAML::Mark();  // line 1, column 1
  return Located(mark, fmt::format("missing required key '{}' {}", key, Where()));
}

absl::Status Section::TypeError(std::string_view key, const YAML::Node& v,
                                std::string_view want) const {
  return Located(MarkOf(key), fmt::format("{}: expected {}, got {}", KeyPath(key), want,
                                          Describe(v)));
}

absl::Status Section::CheckOneOf(std::string_view key, std::string_view value,
                                 const std::vector<std::string_view>& allowed) const {
  for (std::string_view a : allowed) {
    if (a == value) return absl::OkStatus();
  }
  return ErrorAt(key, fmt::format("unknown value '{}' (allowed: {})", value, Join(allowed)));
}

absl::StatusOr<std::optional<std::string>> Section::String(std::string_view key) const {
  YAML::Node v = Value(key);
  if (!v.IsDefined()) return std::nullopt;
  // Never echo the value: a string key may hold a DSN with credentials.
  if (std::optional<std::string> null_word = NullSpelling(v)) return *null_word;
  if (!v.IsScalar()) return TypeError(key, v, "a string");
  return v.Scalar();
}

absl::StatusOr<std::optional<bool>> Section::Bool(std::string_view key) const {
  YAML::Node v = Value(key);
  if (!v.IsDefined()) return std::nullopt;
  if (v.IsScalar()) {
    const std::string& s = v.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  return TypeError(key, v, "true or false");
}

absl::StatusOr<std::optional<uint64_t>> Section::Uint(std::string_view key, uint64_t max) const {
  YAML::Node v = Value(key);
  if (!v.IsDefined()) return std::nullopt;
  if (v.IsScalar()) {
    const std::string& s = v.Scalar();
    size_t i = 0;
    uint64_t n;
    if (ReadNumber(s, &i, &n) && i == s.size()) {
      if (n > max) return ErrorAt(key, fmt::format("{} is too large (at most {})", n, max));
      return n;
    }
  }
  return TypeError(key, v, "a whole number");
}

absl::StatusOr<std::optional<uint64_t>> Section::Size(std::string_view key) const {
  YAML::Node v = Value(key);
  if (!v.IsDefined()) return std::nullopt;
  if (!v.IsScalar()) return TypeError(key, v, "a size like 10GiB");
  absl::StatusOr<uint64_t> n = ParseSize(v.Scalar());
  if (!n.ok()) return ErrorAt(key, SV(n.status().message()));
  return *n;
}

absl::StatusOr<std::optional<uint64_t>> Section::DurationMs(std::string_view key,
                                                            bool bare_is_ms) const {
  YAML::Node v = Value(key);
  if (!v.IsDefined()) return std::nullopt;
  if (!v.IsScalar()) return TypeError(key, v, "a duration like 30s");
  absl::StatusOr<uint64_t> n = ParseDurationMs(v.Scalar(), bare_is_ms);
  if (!n.ok()) return ErrorAt(key, SV(n.status().message()));
  return *n;
}

absl::StatusOr<std::optional<std::vector<std::string>>> Section::StringList(
    std::string_view key) const {
  YAML::Node v = Value(key);
  if (!v.IsDefined()) return std::nullopt;
  if (!v.IsSequence()) return TypeError(key, v, "a list like [a, b]");
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].IsScalar()) {
      return Located(v[i].Mark(), fmt::format("{}[{}]: expected a string, got {}", KeyPath(key), i,
                                              Describe(v[i])));
    }
    out.push_back(v[i].Scalar());
  }
  return out;
}

absl::StatusOr<std::optional<Section>> Section::Map(std::string_view key) const {
  YAML::Node v = Value(key);
  if (!v.IsDefined()) return std::nullopt;
  if (!v.IsMap() && !v.IsNull()) return TypeError(key, v, "a map");
  return Section(source_, text_, v, KeyPath(key));
}

absl::StatusOr<std::optional<std::vector<Section>>> Section::MapList(std::string_view key) const {
  YAML::Node v = Value(key);
  if (!v.IsDefined()) return std::nullopt;
  if (!v.IsSequence()) return TypeError(key, v, "a list of maps");
  std::vector<Section> out;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string path = fmt::format("{}[{}]", KeyPath(key), i);
    if (!v[i].IsMap()) {
      return Located(v[i].Mark(), fmt::format("{}: expected a map, got {}", path, Describe(v[i])));
    }
    out.emplace_back(source_, text_, v[i], path);
  }
  return out;
}

}  // namespace tidemark::config
