#include "capture/pg/text_values.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>

#include "capture/pg/datetime_text.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark::pg {
namespace {

// The value as quoted in error messages: long values are cut (they may be large).
std::string Quote(std::string_view text) {
  constexpr size_t kMax = 64;
  if (text.size() <= kMax) return fmt::format("\"{}\"", text);
  return fmt::format("\"{}...\" ({} bytes)", text.substr(0, kMax), text.size());
}

absl::Status Invalid(const v1::ColumnType& type, std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(
      fmt::format("invalid {} value {}: {}", type.source_type(), Quote(text), why));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

absl::StatusOr<v1::Value> ParseInt(const v1::ColumnType& type, std::string_view text,
                                   int64_t min, int64_t max) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max) {
    return Invalid(type, text, "not an integer in the type's range");
  }
  v1::Value out;
  out.set_int_value(v);
  return out;
}

// float4/float8: PostgreSQL prints NaN, Infinity, -Infinity and, with
// extra_float_digits > 0, the shortest text that reads back exactly.
template <typename T>
absl::StatusOr<T> ParseFloat(const v1::ColumnType& type, std::string_view text) {
  if (text == "NaN") return std::numeric_limits<T>::quiet_NaN();
  if (text == "Infinity") return std::numeric_limits<T>::infinity();
  if (text == "-Infinity") return -std::numeric_limits<T>::infinity();
  for (char c : text) {
    if (!IsDigit(c) && c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E') {
      return Invalid(type, text, "not a floating-point number");
    }
  }
  T v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return Invalid(type, text, "not a floating-point number in the type's range");
  }
  return v;
}

// -?digits[.digits]
bool IsDecimal(std::string_view t) {
  size_t i = 0;
  if (i < t.size() && t[i] == '-') ++i;
  size_t start = i;
  while (i < t.size() && IsDigit(t[i])) ++i;
  if (i == start) return false;
  if (i == t.size()) return true;
  if (t[i] != '.') return false;
  size_t frac = ++i;
  while (i < t.size() && IsDigit(t[i])) ++i;
  return i == t.size() && i > frac;
}

// money in the C locale: "$1,234.56", "-$1,234.56" → "1234.56", "-1234.56".
absl::StatusOr<v1::Value> ParseMoney(const v1::ColumnType& type, std::string_view text) {
  std::string out;
  size_t i = 0;
  if (i < text.size() && text[i] == '-') out += text[i++];
  if (i >= text.size() || text[i] != '$') return Invalid(type, text, "expected $ (lc_monetary=C)");
  ++i;
  size_t group = 0;  // digits since the last ',' (or the start)
  bool first_group = true;
  for (; i < text.size() && text[i] != '.'; ++i) {
    if (IsDigit(text[i])) {
      out += text[i];
      ++group;
    } else if (text[i] == ',' && group > 0 && (first_group ? group <= 3 : group == 3)) {
      group = 0;
      first_group = false;
    } else {
      return Invalid(type, text, "unexpected character in the amount");
    }
  }
  if (group == 0 || (!first_group && group != 3)) return Invalid(type, text, "bad digit groups");
  if (i < text.size()) {
    out += '.';
    ++i;
    size_t frac = out.size();
    for (; i < text.size() && IsDigit(text[i]); ++i) out += text[i];
    if (i != text.size() || out.size() == frac) return Invalid(type, text, "bad cents");
  }
  v1::Value v;
  v.set_decimal_value(std::move(out));
  return v;
}

absl::StatusOr<v1::Value> ParseBytea(const v1::ColumnType& type, std::string_view text) {
  if (!text.starts_with("\\x") || text.size() % 2 != 0) {
    return Invalid(type, text, "expected \\x and hex digits (bytea_output=hex)");
  }
  std::string bytes;
  bytes.reserve((text.size() - 2) / 2);
  for (size_t i = 2; i < text.size(); i += 2) {
    if (!IsHex(text[i]) || !IsHex(text[i + 1])) return Invalid(type, text, "bad hex digit");
    bytes += static_cast<char>(HexValue(text[i]) * 16 + HexValue(text[i + 1]));
  }
  v1::Value v;
  v.set_bytes_value(std::move(bytes));
  return v;
}

absl::StatusOr<v1::Value> ParseUuid(const v1::ColumnType& type, std::string_view text) {
  std::string bytes;
  if (text.size() != 36) return Invalid(type, text, "expected 36 characters");
  for (size_t i = 0; i < text.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return Invalid(type, text, "expected '-'");
      ++i;
      continue;
    }
    if (!IsHex(text[i]) || !IsHex(text[i + 1])) return Invalid(type, text, "bad hex digit");
    bytes += static_cast<char>(HexValue(text[i]) * 16 + HexValue(text[i + 1]));
    i += 2;
  }
  v1::Value v;
  v.set_uuid(std::move(bytes));
  return v;
}

absl::StatusOr<v1::Value> ParseDateTime(const v1::ColumnType& type, std::string_view text) {
  v1::Value v;
  absl::Status s;
  switch (type.kind()) {
    case v1::TYPE_DATE:
      s = ParseDateText(text, &v);
      break;
    case v1::TYPE_TIME:
    case v1::TYPE_TIMETZ:
      s = ParseTimeText(text, type.kind() == v1::TYPE_TIMETZ, &v);
      break;
    case v1::TYPE_TIMESTAMP:
    case v1::TYPE_TIMESTAMPTZ:
      s = ParseTimestampText(text, type.kind() == v1::TYPE_TIMESTAMPTZ, &v);
      break;
    default:
      s = ParseIntervalText(text, &v);
      break;
  }
  if (!s.ok()) return Invalid(type, text, SV(s.message()));
  return v;
}

absl::StatusOr<v1::Value> ParseArray(const v1::ColumnType& type, std::string_view text) {
  auto elements = SplitArrayLiteral(text);
  if (!elements.ok()) {
    if (elements.status().code() == absl::StatusCode::kFailedPrecondition) {
      return absl::FailedPreconditionError(
          fmt::format("{} value {}: {}", type.source_type(), Quote(text),
                      elements.status().message()));
    }
    return Invalid(type, text, SV(elements.status().message()));
  }
  v1::Value v;
  v1::ValueArray* array = v.mutable_array();
  for (size_t i = 0; i < elements->size(); ++i) {
    const auto& e = (*elements)[i];
    if (!e.has_value()) {
      array->add_elements()->set_null_value(v1::NULL_VALUE);
      continue;
    }
    auto element = ParseTextValue(type.element(), *e);
    if (!element.ok()) {
      return absl::Status(element.status().code(),
                          fmt::format("element {} of {}: {}", i + 1, type.source_type(),
                                      element.status().message()));
    }
    *array->add_elements() = std::move(*element);
  }
  return v;
}

}  // namespace

absl::StatusOr<std::vector<std::optional<std::string>>> SplitArrayLiteral(
    std::string_view text) {
  std::vector<std::optional<std::string>> out;
  if (text.starts_with("[")) {
    return absl::FailedPreconditionError(
        "the array has explicit bounds (a lower bound other than 1), which tidemark does not "
        "represent; store arrays with lower bound 1");
  }
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') {
    return absl::InvalidArgumentError("expected {...}");
  }
  if (text == "{}") return out;
  size_t i = 1;
  const size_t end = text.size() - 1;  // the closing '}'
  while (true) {
    if (i >= end) return absl::InvalidArgumentError("missing element");
    std::string element;
    bool quoted = false;
    if (text[i] == '{') {
      return absl::FailedPreconditionError(
          "the array is multi-dimensional, which tidemark does not represent; store "
          "one-dimensional arrays");
    }
    if (text[i] == '"') {
      quoted = true;
      ++i;
      while (i < end && text[i] != '"') {
        if (text[i] == '\\') {
          if (++i >= end) return absl::InvalidArgumentError("dangling backslash");
        }
        element += text[i++];
      }
      if (i >= end) return absl::InvalidArgumentError("unterminated quoted element");
      ++i;  // the closing quote
    } else {
      while (i < end && text[i] != ',') {
        if (text[i] == '"' || text[i] == '{' || text[i] == '}') {
          return absl::InvalidArgumentError("unexpected character in an unquoted element");
        }
        if (text[i] == '\\') {
          if (++i >= end) return absl::InvalidArgumentError("dangling backslash");
        }
        element += text[i++];
      }
      if (element.empty()) return absl::InvalidArgumentError("empty unquoted element");
    }
    bool is_null = !quoted && element.size() == 4 && (element[0] | 0x20) == 'n' &&
                   (element[1] | 0x20) == 'u' && (element[2] | 0x20) == 'l' &&
                   (element[3] | 0x20) == 'l';
    if (is_null) {
      out.emplace_back(std::nullopt);
    } else {
      out.emplace_back(std::move(element));
    }
    if (i == end) return out;
    if (text[i] != ',') return absl::InvalidArgumentError("expected ',' between elements");
    ++i;
  }
}

absl::StatusOr<v1::Value> ParseTextValue(const v1::ColumnType& type, std::string_view text) {
  v1::Value v;
  switch (type.kind()) {
    case v1::TYPE_BOOL:
      if (text != "t" && text != "f") return Invalid(type, text, "expected t or f");
      v.set_bool_value(text == "t");
      return v;
    case v1::TYPE_INT16:
      return ParseInt(type, text, std::numeric_limits<int16_t>::min(),
                      std::numeric_limits<int16_t>::max());
    case v1::TYPE_INT32:
      return ParseInt(type, text, std::numeric_limits<int32_t>::min(),
                      std::numeric_limits<int32_t>::max());
    case v1::TYPE_INT64:
      return ParseInt(type, text, std::numeric_limits<int64_t>::min(),
                      std::numeric_limits<int64_t>::max());
    case v1::TYPE_UINT64: {
      uint64_t u = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), u);
      if (ec != std::errc() || end != text.data() + text.size()) {
        return Invalid(type, text, "not an unsigned integer");
      }
      v.set_uint_value(u);
      return v;
    }
    case v1::TYPE_FLOAT32: {
      TM_ASSIGN_OR_RETURN(float f, ParseFloat<float>(type, text));
      v.set_float_value(f);
      return v;
    }
    case v1::TYPE_FLOAT64: {
      TM_ASSIGN_OR_RETURN(double d, ParseFloat<double>(type, text));
      v.set_double_value(d);
      return v;
    }
    case v1::TYPE_DECIMAL:
      if (text != "NaN" && text != "Infinity" && text != "-Infinity" && !IsDecimal(text)) {
        return Invalid(type, text, "not a decimal number");
      }
      v.set_decimal_value(std::string(text));
      return v;
    case v1::TYPE_MONEY:
      return ParseMoney(type, text);
    case v1::TYPE_TEXT:
    case v1::TYPE_INET:
    case v1::TYPE_CIDR:
    case v1::TYPE_MACADDR:
    case v1::TYPE_MACADDR8:
      v.set_text_value(std::string(text));
      return v;
    case v1::TYPE_BYTES:
      return ParseBytea(type, text);
    case v1::TYPE_DATE:
    case v1::TYPE_TIME:
    case v1::TYPE_TIMETZ:
    case v1::TYPE_TIMESTAMP:
    case v1::TYPE_TIMESTAMPTZ:
    case v1::TYPE_INTERVAL:
      return ParseDateTime(type, text);
    case v1::TYPE_UUID:
      return ParseUuid(type, text);
    case v1::TYPE_JSON:
    case v1::TYPE_JSONB:
      v.set_json_text(std::string(text));
      return v;
    case v1::TYPE_BIT:
    case v1::TYPE_VARBIT:
      for (char c : text) {
        if (c != '0' && c != '1') return Invalid(type, text, "expected 0 and 1 digits");
      }
      v.set_bit_string(std::string(text));
      return v;
    case v1::TYPE_ENUM:
      // Not checked against type.labels(): ALTER TYPE ... ADD VALUE makes new labels
      // valid before the catalog is refreshed, and PostgreSQL only prints real labels.
      v.set_enum_label(std::string(text));
      return v;
    case v1::TYPE_ARRAY:
      return ParseArray(type, text);
    default:
      return absl::FailedPreconditionError(
          fmt::format("type {} (kind {}) has no PostgreSQL text decoder", type.source_type(),
                      v1::TypeKind_Name(type.kind())));
  }
}

}  // namespace tidemark::pg
