#include "apply/format/json_value.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <iterator>

#include "common/json_writer.h"
#include "apply/format/temporal.h"
#include "absl/status/statusor.h"
#include "common/status_macros.h"

namespace tidemark::json {
namespace {

// fmt's "{}" is the shortest representation that round-trips (Dragonbox), and its
// output ("1e+300", "0.001", "-5") is always a valid JSON number. -0.0 would print
// "-0"; we keep the explicit "-0.0" so that no consumer mistakes it for an integer.
template <typename F>
void AppendFloating(std::string* out, F x) {
  if (std::isnan(x)) {
    out->append("\"NaN\"");
  } else if (std::isinf(x)) {
    out->append(x < 0 ? "\"-Infinity\"" : "\"Infinity\"");
  } else if (x == 0 && std::signbit(x)) {
    out->append("-0.0");
  } else {
    fmt::format_to(std::back_inserter(*out), "{}", x);
  }
}

void AppendQuoted(std::string* out, const std::string& ascii) {
  out->push_back('"');
  out->append(ascii);
  out->push_back('"');
}

absl::Status AppendUuid(std::string* out, const std::string& b) {
  if (b.size() != 16) {
    return absl::InvalidArgumentError(fmt::format("uuid of {} bytes (want 16)", b.size()));
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out->push_back('-');
    const auto c = static_cast<uint8_t>(b[i]);
    out->push_back(kHex[c >> 4]);
    out->push_back(kHex[c & 0xF]);
  }
  out->push_back('"');
  return absl::OkStatus();
}

absl::Status AppendBitString(std::string* out, const std::string& bits) {
  if (bits.find_first_not_of("01") != std::string::npos) {
    return absl::InvalidArgumentError("bit string with characters other than 0 and 1");
  }
  AppendQuoted(out, bits);
  return absl::OkStatus();
}

// kEnvelope: DESIGN.md §4; kExtended: MongoDB Extended JSON v2, canonical mode.
enum class Style { kEnvelope, kExtended };

absl::Status AppendStyled(std::string* out, const v1::Value& v, Style style);

absl::Status AppendDocument(std::string* out, const v1::Document& doc, Style style) {
  out->push_back('{');
  bool first = true;
  for (const v1::DocumentField& f : doc.fields()) {
    if (!first) out->push_back(',');
    first = false;
    TM_RETURN_IF_ERROR(AppendString(out, f.name()));
    out->push_back(':');
    absl::Status s = AppendStyled(out, f.value(), style);
    if (!s.ok()) return Annotate(s, fmt::format("field '{}': ", f.name()));
  }
  out->push_back('}');
  return absl::OkStatus();
}

void AppendBinary(std::string* out, const std::string& data, uint32_t subtype) {
  out->append("{\"$binary\":{\"base64\":\"");
  AppendBase64(out, data);
  fmt::format_to(std::back_inserter(*out), "\",\"subType\":\"{:02x}\"}}}}", subtype);
}

absl::Status AppendObjectId(std::string* out, const std::string& b) {
  if (b.size() != 12) {
    return absl::InvalidArgumentError(fmt::format("ObjectId of {} bytes (want 12)", b.size()));
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out->append("{\"$oid\":\"");
  for (char ch : b) {
    const auto c = static_cast<uint8_t>(ch);
    out->push_back(kHex[c >> 4]);
    out->push_back(kHex[c & 0xF]);
  }
  out->append("\"}");
  return absl::OkStatus();
}

absl::Status AppendBsonValue(std::string* out, const v1::Value& v, Style style) {
  using V = v1::Value;
  switch (v.kind_case()) {
    case V::kObjectId:
      return AppendObjectId(out, v.object_id());
    case V::kBsonTimestamp:
      fmt::format_to(std::back_inserter(*out), "{{\"$timestamp\":{{\"t\":{},\"i\":{}}}}}",
                     v.bson_timestamp().t(), v.bson_timestamp().i());
      return absl::OkStatus();
    case V::kBinary:
      if (v.binary().subtype() > 0xFF) {
        return absl::InvalidArgumentError(
            fmt::format("binary subtype {} (want 0..255)", v.binary().subtype()));
      }
      AppendBinary(out, v.binary().data(), v.binary().subtype());
      return absl::OkStatus();
    case V::kRegex:
      out->append("{\"$regularExpression\":{\"pattern\":");
      TM_RETURN_IF_ERROR(AppendString(out, v.regex().pattern()));
      out->append(",\"options\":");
      TM_RETURN_IF_ERROR(AppendString(out, v.regex().options()));
      out->append("}}");
      return absl::OkStatus();
    case V::kCode:
      out->append("{\"$code\":");
      TM_RETURN_IF_ERROR(AppendString(out, v.code().code()));
      if (v.code().has_scope()) {
        out->append(",\"$scope\":");
        TM_RETURN_IF_ERROR(AppendDocument(out, v.code().scope(), style));
      }
      out->push_back('}');
      return absl::OkStatus();
    case V::kBsonKey:
      out->append(v.bson_key() == v1::BSON_MAX_KEY ? "{\"$maxKey\":1}" : "{\"$minKey\":1}");
      return absl::OkStatus();
    case V::kDocument:
      return AppendDocument(out, v.document(), style);
    case V::kBsonSymbol:
      out->append("{\"$symbol\":");
      TM_RETURN_IF_ERROR(AppendString(out, v.bson_symbol()));
      out->push_back('}');
      return absl::OkStatus();
    default:
      break;
  }
  return absl::InvalidArgumentError("value with no kind set");
}


// "$numberDouble" text: shortest round-trip digits, always with a fraction or an
// exponent so that it never reads as an integer ("1.0", "-0.0", "1e+300").
std::string ExtendedDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d < 0 ? "-Infinity" : "Infinity";
  std::string s = fmt::format("{}", d);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

// The kinds whose canonical Extended JSON differs from the envelope's form; false
// when `v` is of another kind (printed as in the envelope).
absl::StatusOr<bool> AppendExtendedScalar(std::string* out, const v1::Value& v) {
  using V = v1::Value;
  switch (v.kind_case()) {
    case V::kIntValue:
      if (v.bson_int32()) {
        if (v.int_value() < INT32_MIN || v.int_value() > INT32_MAX) {
          return absl::InvalidArgumentError(
              fmt::format("int32 value {} outside the int32 range", v.int_value()));
        }
        fmt::format_to(std::back_inserter(*out), "{{\"$numberInt\":\"{}\"}}", v.int_value());
      } else {
        fmt::format_to(std::back_inserter(*out), "{{\"$numberLong\":\"{}\"}}", v.int_value());
      }
      return true;
    case V::kDoubleValue:
      fmt::format_to(std::back_inserter(*out), "{{\"$numberDouble\":\"{}\"}}",
                     ExtendedDouble(v.double_value()));
      return true;
    case V::kDecimalValue:
      out->append("{\"$numberDecimal\":");
      TM_RETURN_IF_ERROR(AppendString(out, v.decimal_value()));
      out->push_back('}');
      return true;
    case V::kTimestamptzMicros:
      if (v.timestamptz_micros() % 1000 != 0) {
        return absl::InvalidArgumentError(fmt::format(
            "instant {} us is not whole milliseconds, so it is no BSON date", v.timestamptz_micros()));
      }
      fmt::format_to(std::back_inserter(*out), "{{\"$date\":{{\"$numberLong\":\"{}\"}}}}",
                     v.timestamptz_micros() / 1000);
      return true;
    case V::kBytesValue:
      AppendBinary(out, v.bytes_value(), 0);
      return true;
    case V::kUuid:
      if (v.uuid().size() != 16) {
        return absl::InvalidArgumentError(fmt::format("uuid of {} bytes (want 16)", v.uuid().size()));
      }
      AppendBinary(out, v.uuid(), 4);
      return true;
    case V::kNullValue:
    case V::kBoolValue:
    case V::kTextValue:
    case V::kArray:
    case V::kObjectId:
    case V::kBsonTimestamp:
    case V::kBinary:
    case V::kRegex:
    case V::kCode:
    case V::kBsonKey:
    case V::kDocument:
    case V::kBsonSymbol:
      return false;
    default:
      break;
  }
  if (v.kind_case() == V::KIND_NOT_SET) return absl::InvalidArgumentError("value with no kind set");
  return absl::InvalidArgumentError(fmt::format(
      "a {} value has no BSON form (Extended JSON holds MongoDB values only)",
      v.GetDescriptor()->FindFieldByNumber(v.kind_case())->name()));
}

}  // namespace

std::string FormatDouble(double d) {
  std::string s;
  AppendFloating(&s, d);
  return s;
}

std::string FormatFloat(float f) {
  std::string s;
  AppendFloating(&s, f);
  return s;
}

absl::Status AppendValue(std::string* out, const v1::Value& v) {
  return AppendStyled(out, v, Style::kEnvelope);
}

absl::Status AppendExtendedJson(std::string* out, const v1::Value& v) {
  return AppendStyled(out, v, Style::kExtended);
}

namespace {

absl::Status AppendStyled(std::string* out, const v1::Value& v, Style style) {
  using V = v1::Value;
  if (style == Style::kExtended) {
    TM_ASSIGN_OR_RETURN(bool done, AppendExtendedScalar(out, v));
    if (done) return absl::OkStatus();
  }
  switch (v.kind_case()) {
    case V::kNullValue:
      out->append("null");
      return absl::OkStatus();
    case V::kBoolValue:
      out->append(v.bool_value() ? "true" : "false");
      return absl::OkStatus();
    case V::kIntValue:
      AppendInt(out, v.int_value());
      return absl::OkStatus();
    case V::kUintValue:
      AppendUint(out, v.uint_value());
      return absl::OkStatus();
    case V::kDecimalValue:
      return AppendString(out, v.decimal_value());
    case V::kDoubleValue:
      AppendFloating(out, v.double_value());
      return absl::OkStatus();
    case V::kFloatValue:
      AppendFloating(out, v.float_value());
      return absl::OkStatus();
    case V::kTextValue:
      return AppendString(out, v.text_value());
    case V::kBytesValue:
      out->push_back('"');
      AppendBase64(out, v.bytes_value());
      out->push_back('"');
      return absl::OkStatus();
    case V::kDateDays:
      AppendQuoted(out, temporal::FormatDate(v.date_days()));
      return absl::OkStatus();
    case V::kTimestampMicros:
      AppendQuoted(out, temporal::FormatTimestamp(v.timestamp_micros(), /*utc=*/false));
      return absl::OkStatus();
    case V::kTimestamptzMicros:
      AppendQuoted(out, temporal::FormatTimestamp(v.timestamptz_micros(), /*utc=*/true));
      return absl::OkStatus();
    case V::kTimeMicros:
      AppendQuoted(out, temporal::FormatTime(v.time_micros()));
      return absl::OkStatus();
    case V::kTimetz:
      AppendQuoted(out, temporal::FormatTimeTz(v.timetz()));
      return absl::OkStatus();
    case V::kInterval:
      AppendQuoted(out, temporal::FormatInterval(v.interval()));
      return absl::OkStatus();
    case V::kUuid:
      return AppendUuid(out, v.uuid());
    case V::kJsonText:
      return AppendMinified(out, v.json_text());
    case V::kEnumLabel:
      return AppendString(out, v.enum_label());
    case V::kSetLabels: {
      out->push_back('[');
      bool first = true;
      for (const std::string& label : v.set_labels().labels()) {
        if (!first) out->push_back(',');
        first = false;
        TM_RETURN_IF_ERROR(AppendString(out, label));
      }
      out->push_back(']');
      return absl::OkStatus();
    }
    case V::kBitString:
      return AppendBitString(out, v.bit_string());
    case V::kArray: {
      out->push_back('[');
      int i = 0;
      for (const v1::Value& e : v.array().elements()) {
        if (i > 0) out->push_back(',');
        absl::Status s = AppendStyled(out, e, style);
        if (!s.ok()) return Annotate(s, fmt::format("array element {}: ", i));
        ++i;
      }
      out->push_back(']');
      return absl::OkStatus();
    }
    case V::kGeometry:
      out->append("{\"wkb\":\"");
      AppendBase64(out, v.geometry().wkb());
      fmt::format_to(std::back_inserter(*out), "\",\"srid\":{}}}", v.geometry().srid());
      return absl::OkStatus();
    case V::kInfinity:
      out->append(v.infinity().negative() ? "\"-infinity\"" : "\"infinity\"");
      return absl::OkStatus();
    case V::kUnchanged:
      return absl::InvalidArgumentError("unchanged (TOAST) marker where a value is required");
    case V::kObjectId:
    case V::kBsonTimestamp:
    case V::kBinary:
    case V::kRegex:
    case V::kCode:
    case V::kBsonKey:
    case V::kDocument:
    case V::kBsonSymbol:
      return AppendBsonValue(out, v, style);
    case V::KIND_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("value with no kind set");
}

}  // namespace

}  // namespace tidemark::json
