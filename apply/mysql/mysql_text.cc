#include "apply/mysql/mysql_text.h"

#include <fmt/format.h>

#include <cmath>

#include "apply/format/json_value.h"
#include "apply/format/temporal.h"
#include "common/strings.h"

namespace tidemark::mysqlsink {
namespace {

constexpr int64_t kMicrosPerDay = 86400LL * 1000000;

bool IsText(std::string_view t) {
  return t.find("char") != std::string_view::npos || t.find("text") != std::string_view::npos;
}
bool IsSpatial(std::string_view t) {
  for (const char* s : {"geometry", "point", "linestring", "polygon", "multipoint",
                        "multilinestring", "multipolygon", "geometrycollection"}) {
    if (t == s) return true;
  }
  return false;
}

void AppendHex(std::string* out, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : bytes) {
    out->push_back(kHex[c >> 4]);
    out->push_back(kHex[c & 15]);
  }
}

// ISO date-time text (temporal.h) with ' ' for 'T'; years outside 1..9999 have no
// MySQL DATETIME form.
absl::Status DateTime(std::string* out, int64_t micros, bool date_only, std::string_view type) {
  int64_t days = micros / kMicrosPerDay - (micros % kMicrosPerDay < 0 ? 1 : 0);
  // 0001-01-01 is day -719162, 9999-12-31 is day 2932896.
  std::string text = date_only ? temporal::FormatDate(days) : temporal::FormatTimestamp(micros, false);
  if ((days < -719162 || days > 2932896) && !IsText(type)) {
    return absl::InvalidArgumentError(fmt::format(
        "{} is outside the years 1..9999 that a MySQL/MariaDB {} column holds; declare the target "
        "column as text (VARCHAR) to keep it",
        text, type));
  }
  if (!date_only && !IsText(type)) {
    if (size_t t = text.find('T'); t != std::string::npos) text[t] = ' ';
  }
  AppendQuoted(out, text);
  return absl::OkStatus();
}

template <typename F>
void Float(std::string* out, F f) {
  if (std::isnan(f)) return AppendQuoted(out, "NaN");
  if (std::isinf(f)) return AppendQuoted(out, f < 0 ? "-Infinity" : "Infinity");
  if constexpr (std::is_same_v<F, float>) {
    *out += json::FormatFloat(f);
  } else {
    *out += json::FormatDouble(f);
  }
}

}  // namespace

void AppendQuoted(std::string* out, std::string_view text) {
  out->push_back('\'');
  for (char c : text) {
    if (c == '\'') out->push_back('\'');
    out->push_back(c);
  }
  out->push_back('\'');
}

absl::Status AppendMysqlLiteral(std::string* out, const v1::Value& v, std::string_view type) {
  switch (v.kind_case()) {
    case v1::Value::kNullValue: *out += "NULL"; return absl::OkStatus();
    case v1::Value::kBoolValue: *out += v.bool_value() ? "1" : "0"; return absl::OkStatus();
    case v1::Value::kIntValue: *out += fmt::format("{}", v.int_value()); return absl::OkStatus();
    case v1::Value::kUintValue: *out += fmt::format("{}", v.uint_value()); return absl::OkStatus();
    case v1::Value::kDecimalValue: AppendQuoted(out, v.decimal_value()); return absl::OkStatus();
    case v1::Value::kDoubleValue: Float(out, v.double_value()); return absl::OkStatus();
    case v1::Value::kFloatValue: Float(out, v.float_value()); return absl::OkStatus();
    case v1::Value::kTextValue: AppendQuoted(out, v.text_value()); return absl::OkStatus();
    case v1::Value::kBytesValue:
      // The bytes themselves (one byte per byte, unlike X'hex'), so that a value fits
      // the same max_allowed_packet on the target as on the source. Safe under
      // NO_BACKSLASH_ESCAPES on a UTF-8 connection: only ' is special, and no UTF-8
      // multibyte sequence contains it.
      *out += "_binary";
      AppendQuoted(out, v.bytes_value());
      return absl::OkStatus();
    case v1::Value::kDateDays:
      return DateTime(out, v.date_days() * kMicrosPerDay, true, type);
    case v1::Value::kTimestampMicros: return DateTime(out, v.timestamp_micros(), false, type);
    case v1::Value::kTimestamptzMicros: return DateTime(out, v.timestamptz_micros(), false, type);
    case v1::Value::kTimeMicros:
      AppendQuoted(out, temporal::FormatTime(v.time_micros()));
      return absl::OkStatus();
    case v1::Value::kTimetz: AppendQuoted(out, temporal::FormatTimeTz(v.timetz())); return absl::OkStatus();
    case v1::Value::kInterval: AppendQuoted(out, temporal::FormatInterval(v.interval())); return absl::OkStatus();
    case v1::Value::kUuid: {
      if (v.uuid().size() != 16) return absl::InvalidArgumentError("a uuid value is not 16 bytes");
      std::string hex;
      AppendHex(&hex, v.uuid());
      AppendQuoted(out, fmt::format("{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4),
                                    hex.substr(12, 4), hex.substr(16, 4), hex.substr(20)));
      return absl::OkStatus();
    }
    case v1::Value::kJsonText: AppendQuoted(out, v.json_text()); return absl::OkStatus();
    case v1::Value::kEnumLabel: AppendQuoted(out, v.enum_label()); return absl::OkStatus();
    case v1::Value::kSetLabels: {
      std::string joined;
      for (int i = 0; i < v.set_labels().labels_size(); ++i) {
        joined += (i ? "," : "") + v.set_labels().labels(i);
      }
      AppendQuoted(out, joined);
      return absl::OkStatus();
    }
    case v1::Value::kBitString:
      if (type == "bit" && !v.bit_string().empty()) {
        *out += "b'" + v.bit_string() + "'";
      } else {
        AppendQuoted(out, v.bit_string());
      }
      return absl::OkStatus();
    case v1::Value::kArray: {
      std::string json;
      if (absl::Status s = json::AppendValue(&json, v); !s.ok()) return s;
      AppendQuoted(out, json);
      return absl::OkStatus();
    }
    case v1::Value::kGeometry: {
      if (IsSpatial(type)) {
        *out += "ST_GeomFromWKB(X'";
        AppendHex(out, v.geometry().wkb());
        *out += fmt::format("', {})", v.geometry().srid());
        return absl::OkStatus();
      }
      const uint32_t srid = v.geometry().srid();
      std::string le(4, '\0');
      for (int i = 0; i < 4; ++i) le[i] = static_cast<char>((srid >> (8 * i)) & 0xff);
      *out += "X'";
      AppendHex(out, le);
      AppendHex(out, v.geometry().wkb());
      *out += "'";
      return absl::OkStatus();
    }
    case v1::Value::kInfinity:
      if (IsText(type)) {
        AppendQuoted(out, v.infinity().negative() ? "-infinity" : "infinity");
        return absl::OkStatus();
      }
      return absl::InvalidArgumentError(fmt::format(
          "{}infinity has no MySQL/MariaDB {} form; declare the target column as text (VARCHAR) "
          "to keep it",
          v.infinity().negative() ? "-" : "", type));
    case v1::Value::kUnchanged:
      return absl::InvalidArgumentError("an unchanged (TOAST) value cannot be written as a literal");
    default:
      return absl::InvalidArgumentError(fmt::format(
          "a {} value has no MySQL/MariaDB literal in this sink",
          v.kind_case() == v1::Value::KIND_NOT_SET
              ? "kind-less"
              : std::string(v.GetDescriptor()->FindFieldByNumber(v.kind_case())->name())));
  }
}

}  // namespace tidemark::mysqlsink
