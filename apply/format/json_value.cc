#include "apply/format/json_value.h"

#include <fmt/format.h>

#include <cmath>
#include <iterator>

#include "common/json_writer.h"
#include "apply/format/temporal.h"
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

absl::Status AppendDocument(std::string* out, const v1::Document& doc) {
  out->push_back('{');
  bool first = true;
  for (const v1::DocumentField& f : doc.fields()) {
    if (!first) out->push_back(',');
    first = false;
    TM_RETURN_IF_ERROR(AppendString(out, f.name()));
    out->push_back(':');
    absl::Status s = AppendValue(out, f.value());
    if (!s.ok()) return Annotate(s, fmt::format("field '{}': ", f.name()));
  }
  out->push_back('}');
  return absl::OkStatus();
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

absl::Status AppendBsonValue(std::string* out, const v1::Value& v) {
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
      out->append("{\"$binary\":{\"base64\":\"");
      AppendBase64(out, v.binary().data());
      fmt::format_to(std::back_inserter(*out), "\",\"subType\":\"{:02x}\"}}}}",
                     v.binary().subtype());
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
        TM_RETURN_IF_ERROR(AppendDocument(out, v.code().scope()));
      }
      out->push_back('}');
      return absl::OkStatus();
    case V::kBsonKey:
      out->append(v.bson_key() == v1::BSON_MAX_KEY ? "{\"$maxKey\":1}" : "{\"$minKey\":1}");
      return absl::OkStatus();
    case V::kDocument:
      return AppendDocument(out, v.document());
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
  using V = v1::Value;
  switch (v.kind_case()) {
    case V::kNullValue:
      out->append("null");
      return absl::OkStatus();
    case V::kBoolValue:
      out->append(v.bool_value() ? "true" : "false");
      return absl::OkStatus();
    case V::kIntValue:
      fmt::format_to(std::back_inserter(*out), "{}", v.int_value());
      return absl::OkStatus();
    case V::kUintValue:
      fmt::format_to(std::back_inserter(*out), "{}", v.uint_value());
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
        absl::Status s = AppendValue(out, e);
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
      return AppendBsonValue(out, v);
    case V::KIND_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("value with no kind set");
}

}  // namespace tidemark::json
