#include "schema/type_compat.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "common/strings.h"
#include "schema/type_mapping.h"

namespace tidemark {
namespace {

enum class Fam {
  kUnknown, kBool, kInt, kDecimal, kFloat, kMoney, kText, kBytes, kDate, kTime, kTimeTz,
  kTimestamp, kTimestampTz, kInterval, kUuid, kJson, kInet, kMac, kBit, kEnum, kSet, kYear,
  kGeometry, kArray
};

// A type as classified: its family and what it declares (-1: nothing declared).
struct Shape {
  Fam fam = Fam::kUnknown;
  int bits = 0;             // kInt, kFloat
  bool is_unsigned = false;
  int length = -1;          // kText (characters), kBytes (bytes), kBit (bits)
  int precision = -1, scale = -1;  // kDecimal
  int fsp = -1;             // kTime, kTimestamp, kTimestampTz
  bool varying = false;     // kBit: bit varying
  bool jsonb = false, cidr = false, macaddr8 = false;
  std::vector<std::string> labels;  // kEnum, kSet
  std::string element;      // kArray: the element type's spelling
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Strip(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// Labels of "'a','b''c'".
std::vector<std::string> Labels(std::string_view args) {
  std::vector<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] != '\'') continue;
    std::string label;
    for (++i; i < args.size(); ++i) {
      if (args[i] == '\'' && i + 1 < args.size() && args[i + 1] == '\'') {
        label += '\'';
        ++i;
      } else if (args[i] == '\'') {
        break;
      } else {
        label += args[i];
      }
    }
    out.push_back(std::move(label));
  }
  return out;
}

// Classifies a type as PostgreSQL (format_type()) or MySQL (COLUMN_TYPE, or the
// source_type MySQL capture reports) spells it; `mysql` picks the meaning of names
// both use ("text": 64 KiB on MySQL).
Shape Parse(std::string_view spelled, bool mysql) {
  Shape s;
  std::string t = Strip(Lower(spelled));
  if (t.size() > 2 && t.ends_with("[]")) {
    s.fam = Fam::kArray;
    s.element = t.substr(0, t.size() - 2);
    return s;
  }
  for (const char* cut : {" character set", " charset", " collate"}) {
    if (size_t at = t.find(cut); at != std::string::npos) t = Strip(t.substr(0, at));
  }
  if (size_t at = t.find(" zerofill"); at != std::string::npos) t.erase(at, 9);
  if (size_t at = t.find(" unsigned"); at != std::string::npos) {
    s.is_unsigned = true;
    t.erase(at, 9);
  }
  std::string name = t, args, rest;
  if (size_t open = t.find('('); open != std::string::npos) {
    size_t close = t.rfind(')');
    name = Strip(t.substr(0, open));
    args = close == std::string::npos ? "" : t.substr(open + 1, close - open - 1);
    rest = close == std::string::npos ? "" : Strip(t.substr(close + 1));
  } else if (size_t sp = t.find(" with"); sp != std::string::npos) {
    name = t.substr(0, sp);
    rest = Strip(t.substr(sp));
  }
  int a = -1, b = -1;
  if (!args.empty() && args[0] != '\'') {
    if (std::sscanf(args.c_str(), "%d,%d", &a, &b) < 1) a = -1;  // NOLINT
  }
  auto integer = [&](int bits) {
    s.fam = Fam::kInt;
    s.bits = bits;
  };
  auto text = [&](int length) {
    s.fam = Fam::kText;
    s.length = length;
  };
  auto bytes = [&](int length) {
    s.fam = Fam::kBytes;
    s.length = length;
  };
  const bool with_tz = rest.find("with time zone") != std::string::npos &&
                       rest.find("without") == std::string::npos;
  const bool pg_zone_words = rest.find("time zone") != std::string::npos;
  if (name == "boolean" || name == "bool") {
    s.fam = Fam::kBool;
  } else if (name == "tinyint") {
    integer(8);
  } else if (name == "smallint" || name == "int2") {
    integer(16);
  } else if (name == "mediumint") {
    integer(24);
  } else if (name == "int" || name == "integer" || name == "int4") {
    integer(32);
  } else if (name == "bigint" || name == "int8") {
    integer(64);
  } else if (name == "oid") {
    integer(32);
    s.is_unsigned = true;
  } else if (name == "numeric" || name == "decimal") {
    s.fam = Fam::kDecimal;
    s.precision = a;
    s.scale = a >= 0 ? std::max(b, 0) : -1;
  } else if (name == "real" || name == "float4" || name == "float") {
    s.fam = Fam::kFloat;
    s.bits = 32;
  } else if (name == "double precision" || name == "double" || name == "float8") {
    s.fam = Fam::kFloat;
    s.bits = 64;
  } else if (name == "money") {
    s.fam = Fam::kMoney;
  } else if (name == "character varying" || name == "varchar" || name == "character" ||
             name == "char" || name == "bpchar") {
    text(a);
  } else if (name == "text") {
    text(mysql ? 65535 / 4 : -1);
  } else if (name == "tinytext") {
    text(255 / 4);
  } else if (name == "mediumtext" || name == "longtext" || name == "name" || name == "citext") {
    text(name == "name" ? 63 : -1);
  } else if (name == "bytea" || name == "mediumblob" || name == "longblob") {
    bytes(-1);
  } else if (name == "binary" || name == "varbinary") {
    bytes(a);
  } else if (name == "tinyblob") {
    bytes(255);
  } else if (name == "blob") {
    bytes(65535);
  } else if (name == "date") {
    s.fam = Fam::kDate;
  } else if (name == "time" || name == "timetz") {
    s.fam = with_tz || name == "timetz" ? Fam::kTimeTz : Fam::kTime;
    s.fsp = a >= 0 ? a : (pg_zone_words || name == "timetz" ? 6 : 0);  // MySQL: TIME is TIME(0)
  } else if (name == "timestamp" || name == "timestamptz" || name == "datetime") {
    // PostgreSQL spells the zone out; a bare MySQL TIMESTAMP is an instant, DATETIME is not.
    const bool instant = name == "timestamptz" || with_tz || (name == "timestamp" && !pg_zone_words);
    s.fam = instant ? Fam::kTimestampTz : Fam::kTimestamp;
    s.fsp = a >= 0 ? a : (pg_zone_words || name == "timestamptz" ? 6 : 0);
  } else if (name.starts_with("interval")) {
    s.fam = Fam::kInterval;
  } else if (name == "uuid") {
    s.fam = Fam::kUuid;
  } else if (name == "json" || name == "jsonb") {
    s.fam = Fam::kJson;
    s.jsonb = name == "jsonb";
  } else if (name == "inet" || name == "cidr") {
    s.fam = Fam::kInet;
    s.cidr = name == "cidr";
  } else if (name == "macaddr" || name == "macaddr8") {
    s.fam = Fam::kMac;
    s.macaddr8 = name == "macaddr8";
  } else if (name == "bit" || name == "bit varying" || name == "varbit") {
    s.fam = Fam::kBit;
    s.varying = name != "bit";
    s.length = a >= 0 ? a : (s.varying ? -1 : 1);  // bit = bit(1)
  } else if (name == "enum" || name == "set") {
    s.fam = name == "enum" ? Fam::kEnum : Fam::kSet;
    s.labels = Labels(args);
  } else if (name == "year") {
    s.fam = Fam::kYear;
  } else if (name == "geometry" || name == "point" || name == "linestring" || name == "polygon" ||
             name == "multipoint" || name == "multilinestring" || name == "multipolygon" ||
             name == "geometrycollection") {
    s.fam = Fam::kGeometry;
  }
  return s;
}

// The source column's shape: the family its kind says, refined by what its
// source_type declares when that names the same family.
Shape SourceShape(const v1::ColumnType& t) {
  Shape k;
  switch (t.kind()) {
    case v1::TYPE_BOOL: k.fam = Fam::kBool; break;
    case v1::TYPE_INT16: k.fam = Fam::kInt; k.bits = 16; break;
    case v1::TYPE_INT32: k.fam = Fam::kInt; k.bits = 32; break;
    case v1::TYPE_INT64: k.fam = Fam::kInt; k.bits = 64; break;
    case v1::TYPE_UINT64: k.fam = Fam::kInt; k.bits = 64; k.is_unsigned = true; break;
    case v1::TYPE_FLOAT32: k.fam = Fam::kFloat; k.bits = 32; break;
    case v1::TYPE_FLOAT64: k.fam = Fam::kFloat; k.bits = 64; break;
    case v1::TYPE_DECIMAL: k.fam = Fam::kDecimal; break;
    case v1::TYPE_MONEY: k.fam = Fam::kMoney; break;
    case v1::TYPE_TEXT: k.fam = Fam::kText; break;
    case v1::TYPE_BYTES: k.fam = Fam::kBytes; break;
    case v1::TYPE_DATE: k.fam = Fam::kDate; break;
    case v1::TYPE_TIME: k.fam = Fam::kTime; k.fsp = 6; break;
    case v1::TYPE_TIMETZ: k.fam = Fam::kTimeTz; k.fsp = 6; break;
    case v1::TYPE_TIMESTAMP: k.fam = Fam::kTimestamp; k.fsp = 6; break;
    case v1::TYPE_TIMESTAMPTZ: k.fam = Fam::kTimestampTz; k.fsp = 6; break;
    case v1::TYPE_INTERVAL: k.fam = Fam::kInterval; break;
    case v1::TYPE_UUID: k.fam = Fam::kUuid; break;
    case v1::TYPE_JSON: k.fam = Fam::kJson; break;
    case v1::TYPE_JSONB: k.fam = Fam::kJson; k.jsonb = true; break;
    case v1::TYPE_INET: k.fam = Fam::kInet; break;
    case v1::TYPE_CIDR: k.fam = Fam::kInet; k.cidr = true; break;
    case v1::TYPE_MACADDR: k.fam = Fam::kMac; break;
    case v1::TYPE_MACADDR8: k.fam = Fam::kMac; k.macaddr8 = true; break;
    case v1::TYPE_BIT: k.fam = Fam::kBit; break;
    case v1::TYPE_VARBIT: k.fam = Fam::kBit; k.varying = true; break;
    case v1::TYPE_ENUM: k.fam = Fam::kEnum; break;
    case v1::TYPE_SET: k.fam = Fam::kSet; break;
    case v1::TYPE_YEAR: k.fam = Fam::kYear; break;
    case v1::TYPE_GEOMETRY: k.fam = Fam::kGeometry; break;
    case v1::TYPE_ARRAY: k.fam = Fam::kArray; break;
    default: break;
  }
  Shape p = Parse(t.source_type(), !IsPgSourceType(t));
  if (p.fam == k.fam) {
    if (k.fam == Fam::kInt) {  // "tinyint unsigned", "oid": narrower than the kind says
      k.bits = p.bits;
      k.is_unsigned = p.is_unsigned;
    }
    k.length = p.length;
    k.precision = p.precision;
    k.scale = p.scale;
    if (p.fsp >= 0) k.fsp = p.fsp;
    if (k.fam == Fam::kBit) k.varying = p.varying;
  }
  // MySQL capture reports no lengths ("varchar", "blob" for every BLOB/TEXT size).
  if ((k.fam == Fam::kText || k.fam == Fam::kBytes) && !IsPgSourceType(t)) k.length = -1;
  k.labels.assign(t.labels().begin(), t.labels().end());
  return k;
}

bool IntFits(const Shape& t, const Shape& s) {
  if (s.is_unsigned) return t.is_unsigned ? t.bits >= s.bits : t.bits > s.bits;
  return !t.is_unsigned && t.bits >= s.bits;
}

// Decimal digits of the widest value of an integer shape.
int Digits(const Shape& s) {
  switch (s.bits) {
    case 8: return 3;
    case 16: return 5;
    case 24: return 8;
    case 32: return 10;
    default: return s.is_unsigned ? 20 : 19;
  }
}

bool DecimalHolds(const Shape& t, int int_digits, int scale) {
  if (t.precision < 0) return true;
  return t.scale >= scale && t.precision - t.scale >= int_digits;
}

bool Wide(int target, int source) { return target < 0 || source < 0 || target >= source; }

bool TextFits(const Shape& t, const std::vector<std::string>& labels, bool joined) {
  if (t.length < 0) return true;
  size_t need = 0;
  for (const auto& l : labels) need = joined ? need + l.size() + 1 : std::max(need, l.size());
  return static_cast<int>(need) <= t.length;
}

// Whether `t` holds `s` (of `source`); when not, *why may say why.
bool Holds(TargetEngine engine, const Shape& t, const Shape& s, const v1::ColumnType& source,
           std::string* why);

bool HoldsArray(TargetEngine engine, const Shape& t, const v1::ColumnType& source, std::string* why) {
  if (engine == TargetEngine::kMysql) return t.fam == Fam::kJson || t.fam == Fam::kText;
  if (t.fam == Fam::kText) return true;
  if (t.fam != Fam::kArray) return false;
  if (!source.has_element()) return true;
  Shape te = Parse(t.element, false);
  if (te.fam == Fam::kUnknown) return true;
  const bool ok = Holds(engine, te, SourceShape(source.element()), source.element(), why);
  if (!ok) *why = fmt::format("the element type {}", why->empty() ? "differs" : *why);
  return ok;
}

bool Holds(TargetEngine engine, const Shape& t, const Shape& s, const v1::ColumnType& source,
           std::string* why) {
  if (t.fam == Fam::kUnknown) return true;
  const bool pg = engine == TargetEngine::kPostgres;
  const bool text = t.fam == Fam::kText;
  switch (s.fam) {
    case Fam::kBool:
      return t.fam == Fam::kBool || t.fam == Fam::kInt || t.fam == Fam::kDecimal;
    case Fam::kInt:
      if (t.fam == Fam::kInt) {
        if (!IntFits(t, s)) *why = "its integers are narrower";
        return IntFits(t, s);
      }
      if (t.fam == Fam::kDecimal) {
        if (!DecimalHolds(t, Digits(s), 0)) *why = "too few integer digits";
        return DecimalHolds(t, Digits(s), 0);
      }
      return false;
    case Fam::kYear:
      return t.fam == Fam::kYear || (t.fam == Fam::kInt && (t.bits > 8)) ||
             (t.fam == Fam::kDecimal && DecimalHolds(t, 4, 0));
    case Fam::kFloat:
      if (t.fam == Fam::kFloat && t.bits < s.bits) *why = "single precision";
      return t.fam == Fam::kFloat && t.bits >= s.bits;
    case Fam::kDecimal:
      if (text) return true;
      if (t.fam != Fam::kDecimal) return false;
      if (t.precision >= 0 && s.precision < 0) {
        *why = "the source numeric has no declared precision and scale";
        return false;
      }
      if (!DecimalHolds(t, s.precision - s.scale, s.scale)) *why = "fewer digits or a smaller scale";
      return DecimalHolds(t, s.precision - s.scale, s.scale);
    case Fam::kMoney:
      return text || t.fam == Fam::kMoney || (t.fam == Fam::kDecimal && DecimalHolds(t, 17, 2));
    case Fam::kText:
      if (!text) return false;
      if (!Wide(t.length, s.length)) *why = "shorter";
      return Wide(t.length, s.length);
    case Fam::kBytes:
      if (t.fam != Fam::kBytes) return false;
      if (!Wide(t.length, s.length)) *why = "shorter";
      return Wide(t.length, s.length);
    case Fam::kGeometry:
      return t.fam == Fam::kGeometry || (t.fam == Fam::kBytes && t.length < 0);
    case Fam::kDate:
      return text || t.fam == Fam::kDate;
    case Fam::kTime:
      if (text || (pg && t.fam == Fam::kInterval)) return true;
      if (t.fam != Fam::kTime) return false;
      if (pg && !IsPgSourceType(source)) {
        *why = "MySQL TIME is a duration (-838:59:59 to 838:59:59); use interval";
        return false;
      }
      if (!Wide(t.fsp, s.fsp)) *why = "fewer fractional second digits";
      return Wide(t.fsp, s.fsp);
    case Fam::kTimeTz:
      return text || t.fam == Fam::kTimeTz;
    case Fam::kTimestamp:
    case Fam::kTimestampTz: {
      if (text) return true;
      const bool family = t.fam == s.fam || (!pg && s.fam == Fam::kTimestampTz && t.fam == Fam::kTimestamp);
      if (!family) return false;
      if (!Wide(t.fsp, s.fsp)) *why = "fewer fractional second digits";
      return Wide(t.fsp, s.fsp);
    }
    case Fam::kInterval:
      return text || t.fam == Fam::kInterval;
    case Fam::kUuid:
      return t.fam == Fam::kUuid || (text && Wide(t.length, 36));
    case Fam::kJson:
      if (text) return true;
      if (t.fam == Fam::kJson && t.jsonb && !s.jsonb) {
        *why = "jsonb rewrites the JSON text (key order, spacing, duplicate keys); use json";
        return false;
      }
      return t.fam == Fam::kJson;
    case Fam::kInet:
      if (text) return true;
      if (t.fam == Fam::kInet && t.cidr && !s.cidr) *why = "cidr refuses addresses with host bits";
      return t.fam == Fam::kInet && (!t.cidr || s.cidr);
    case Fam::kMac:
      return text || (t.fam == Fam::kMac && (t.macaddr8 || !s.macaddr8));
    case Fam::kBit:
      if (text) return true;
      if (t.fam != Fam::kBit) return false;
      if (pg && !t.varying) {
        if (s.varying || s.length != t.length) *why = "bit(n) takes exactly n bits";
        return !s.varying && s.length == t.length;
      }
      if (!Wide(t.length, s.length) || (t.length >= 0 && s.length < 0)) *why = "fewer bits";
      return Wide(t.length, s.length) && !(t.length >= 0 && s.length < 0);
    case Fam::kEnum:
    case Fam::kSet: {
      const bool joined = s.fam == Fam::kSet;
      if (text) {
        if (!TextFits(t, s.labels, joined)) *why = "shorter than the labels";
        return TextFits(t, s.labels, joined);
      }
      if (t.fam != s.fam) return false;
      for (const auto& l : s.labels) {
        if (!t.labels.empty() && std::find(t.labels.begin(), t.labels.end(), l) == t.labels.end()) {
          *why = fmt::format("it lacks the label '{}'", l);
          return false;
        }
      }
      return true;
    }
    case Fam::kArray:
      return HoldsArray(engine, t, source, why);
    default:
      return true;  // a source tidemark does not classify: the mapping decides when creating
  }
}

}  // namespace

absl::Status TargetTypeHolds(TargetEngine engine, const v1::ColumnType& source,
                             std::string_view target_type) {
  const Shape t = Parse(target_type, engine == TargetEngine::kMysql);
  std::string why;
  if (Holds(engine, t, SourceShape(source), source, &why)) return absl::OkStatus();
  auto mapped = engine == TargetEngine::kPostgres ? PgTargetType(source) : MysqlTargetType(source, false);
  return absl::FailedPreconditionError(fmt::format(
      "target type {} cannot hold source type {}{}{}", target_type, source.source_type(),
      why.empty() ? "" : " (" + why + ")",
      mapped.ok() ? fmt::format("; create_tables would use {}", *mapped) : ""));
}

}  // namespace tidemark
