#include "apply/pg/pg_text.h"

#include <fmt/format.h>

#include <cmath>

#include "apply/format/json_value.h"
#include "apply/format/temporal.h"
#include "common/json_writer.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark::pgsink {
namespace {

constexpr int64_t kMicrosPerDay = 86400LL * 1000000;

// Days since 1970-01-01 → proleptic Gregorian y/m/d (H. Hinnant's civil_from_days).
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

// "YYYY-MM-DD" and whether the year is BC (PostgreSQL writes BC as a suffix).
std::string DatePart(int64_t days, bool* bc) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  *bc = y <= 0;
  if (*bc) y = 1 - y;
  return fmt::format("{:04}-{:02}-{:02}", y, m, d);
}

std::string Timestamp(int64_t micros, bool tz) {
  int64_t days = micros / kMicrosPerDay;
  int64_t rest = micros % kMicrosPerDay;
  if (rest < 0) {
    rest += kMicrosPerDay;
    --days;
  }
  bool bc = false;
  std::string out = DatePart(days, &bc);
  int64_t secs = rest / 1000000;
  out += fmt::format(" {:02}:{:02}:{:02}.{:06}", secs / 3600, secs / 60 % 60, secs % 60,
                     rest % 1000000);
  if (tz) out += "+00";
  if (bc) out += " BC";
  return out;
}

template <typename F>
std::string FloatText(F f) {
  if (std::isnan(f)) return "NaN";
  if (std::isinf(f)) return f < 0 ? "-Infinity" : "Infinity";
  if constexpr (std::is_same_v<F, float>) {
    return json::FormatFloat(f);
  } else {
    return json::FormatDouble(f);
  }
}

void AppendHex(std::string* out, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : bytes) {
    out->push_back(kHex[c >> 4]);
    out->push_back(kHex[c & 15]);
  }
}

absl::Status CheckNoNul(std::string_view text) {
  if (text.find('\0') == std::string_view::npos) return absl::OkStatus();
  return absl::InvalidArgumentError(
      "a text value contains a NUL character, which PostgreSQL text cannot hold");
}

absl::Status NoText(std::string_view what) {
  return absl::InvalidArgumentError(
      fmt::format("a {} value has no PostgreSQL text form in this sink", what));
}

}  // namespace

absl::Status AppendPgText(std::string* out, const v1::Value& v) {
  switch (v.kind_case()) {
    case v1::Value::kBoolValue: *out += v.bool_value() ? "t" : "f"; return absl::OkStatus();
    case v1::Value::kIntValue: json::AppendInt(out, v.int_value()); return absl::OkStatus();
    case v1::Value::kUintValue: json::AppendUint(out, v.uint_value()); return absl::OkStatus();
    case v1::Value::kDecimalValue: *out += v.decimal_value(); return absl::OkStatus();
    case v1::Value::kDoubleValue: *out += FloatText(v.double_value()); return absl::OkStatus();
    case v1::Value::kFloatValue: *out += FloatText(v.float_value()); return absl::OkStatus();
    case v1::Value::kTextValue:
      TM_RETURN_IF_ERROR(CheckNoNul(v.text_value()));
      *out += v.text_value();
      return absl::OkStatus();
    case v1::Value::kBytesValue:
      *out += "\\x";
      AppendHex(out, v.bytes_value());
      return absl::OkStatus();
    case v1::Value::kDateDays: {
      bool bc = false;
      *out += DatePart(v.date_days(), &bc);
      if (bc) *out += " BC";
      return absl::OkStatus();
    }
    case v1::Value::kTimestampMicros: *out += Timestamp(v.timestamp_micros(), false); return absl::OkStatus();
    case v1::Value::kTimestamptzMicros: *out += Timestamp(v.timestamptz_micros(), true); return absl::OkStatus();
    case v1::Value::kTimeMicros: *out += temporal::FormatTime(v.time_micros()); return absl::OkStatus();
    case v1::Value::kTimetz: *out += temporal::FormatTimeTz(v.timetz()); return absl::OkStatus();
    case v1::Value::kInterval:
      *out += fmt::format("{} mons {} days {} microseconds", v.interval().months(),
                          v.interval().days(), v.interval().micros());
      return absl::OkStatus();
    case v1::Value::kUuid: {
      if (v.uuid().size() != 16) return absl::InvalidArgumentError("a uuid value is not 16 bytes");
      std::string hex;
      AppendHex(&hex, v.uuid());
      *out += fmt::format("{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(12, 4),
                          hex.substr(16, 4), hex.substr(20));
      return absl::OkStatus();
    }
    case v1::Value::kJsonText: *out += v.json_text(); return absl::OkStatus();
    case v1::Value::kEnumLabel: *out += v.enum_label(); return absl::OkStatus();
    case v1::Value::kSetLabels:
      for (int i = 0; i < v.set_labels().labels_size(); ++i) {
        if (i) *out += ",";
        *out += v.set_labels().labels(i);
      }
      return absl::OkStatus();
    case v1::Value::kBitString: *out += v.bit_string(); return absl::OkStatus();
    case v1::Value::kArray: {
      *out += "{";
      for (int i = 0; i < v.array().elements_size(); ++i) {
        if (i) *out += ",";
        const v1::Value& e = v.array().elements(i);
        if (e.kind_case() == v1::Value::kNullValue) {
          *out += "NULL";
          continue;
        }
        if (e.kind_case() == v1::Value::kArray) return NoText("nested array");
        std::string text;
        if (absl::Status s = AppendPgText(&text, e); !s.ok()) return s;
        *out += '"';
        for (char c : text) {
          if (c == '"' || c == '\\') *out += '\\';
          *out += c;
        }
        *out += '"';
      }
      *out += "}";
      return absl::OkStatus();
    }
    case v1::Value::kGeometry: {
      *out += "\\x";
      const uint32_t srid = v.geometry().srid();
      std::string le(4, '\0');
      for (int i = 0; i < 4; ++i) le[i] = static_cast<char>((srid >> (8 * i)) & 0xff);
      AppendHex(out, le);
      AppendHex(out, v.geometry().wkb());
      return absl::OkStatus();
    }
    case v1::Value::kInfinity: *out += v.infinity().negative() ? "-infinity" : "infinity"; return absl::OkStatus();
    case v1::Value::kNullValue: return NoText("NULL");
    case v1::Value::kUnchanged: return NoText("unchanged (TOAST)");
    case v1::Value::KIND_NOT_SET: return NoText("kind-less");
    default: return NoText(std::string(v.GetDescriptor()->FindFieldByNumber(v.kind_case())->name()));
  }
}

void AppendCopyEscaped(std::string* out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '\\': *out += "\\\\"; break;
      case '\t': *out += "\\t"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      default: out->push_back(c);
    }
  }
}

absl::Status AppendCopyField(std::string* out, const v1::Value& v) {
  switch (v.kind_case()) {
    case v1::Value::kNullValue:
      *out += "\\N";
      return absl::OkStatus();
    case v1::Value::kIntValue:
    case v1::Value::kUintValue:
      return AppendPgText(out, v);  // digits and '-': nothing to escape
    case v1::Value::kTextValue:
      TM_RETURN_IF_ERROR(CheckNoNul(v.text_value()));
      AppendCopyEscaped(out, v.text_value());
      return absl::OkStatus();
    default:
      break;
  }
  std::string text;
  if (absl::Status s = AppendPgText(&text, v); !s.ok()) return s;
  AppendCopyEscaped(out, text);
  return absl::OkStatus();
}

absl::Status AppendLiteral(std::string* out, const v1::Value& v) {
  if (v.kind_case() == v1::Value::kNullValue) {
    *out += "NULL";
    return absl::OkStatus();
  }
  std::string text;
  if (absl::Status s = AppendPgText(&text, v); !s.ok()) return s;
  *out += '\'';
  for (char c : text) {
    if (c == '\'') *out += '\'';
    *out += c;
  }
  *out += '\'';
  return absl::OkStatus();
}

}  // namespace tidemark::pgsink
