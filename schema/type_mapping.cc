#include "schema/type_mapping.h"

#include <fmt/format.h>

#include <string_view>

#include "absl/status/status.h"
#include "tidemark/v1/schema.pb.h"

namespace tidemark {
namespace {

constexpr const char* kMysqlText = " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin";

// "(p,s)" or "(n)" at the end of a source type spelling → the numbers inside; false
// when absent.
bool TrailingArgs(std::string_view s, int* a, int* b) {
  size_t open = s.find('(');
  size_t close = s.find(')', open);
  if (open == std::string_view::npos || close == std::string_view::npos) return false;
  *a = -1;
  *b = -1;
  std::string inner(s.substr(open + 1, close - open - 1));
  if (std::sscanf(inner.c_str(), "%d,%d", a, b) < 1) return false;  // NOLINT
  return *a >= 0;
}

absl::Status Unmappable(const v1::ColumnType& t, std::string_view target) {
  return absl::UnimplementedError(fmt::format(
      "no {} column type holds source type '{}' (kind {}) exactly; create the target table "
      "yourself with a suitable column, or leave the table out of this sink",
      target, t.source_type(), v1::TypeKind_Name(t.kind())));
}

}  // namespace

absl::StatusOr<std::string> PgTargetType(const v1::ColumnType& t) {
  // A PG source's built-in types (no schema-qualified name: not an enum or domain)
  // are valid DDL as format_type() spelled them.
  const bool pg_builtin = IsPgSourceType(t) && t.kind() != v1::TYPE_ENUM &&
                          t.source_type().find('.') == std::string::npos &&
                          !t.source_type().empty();
  switch (t.kind()) {
    case v1::TYPE_ARRAY: {
      if (!t.has_element()) return Unmappable(t, "PostgreSQL");
      auto element = PgTargetType(t.element());
      if (!element.ok()) return element.status();
      return *element + "[]";
    }
    case v1::TYPE_BOOL: return std::string("boolean");
    case v1::TYPE_INT16: return std::string("smallint");
    case v1::TYPE_INT32: return std::string("integer");
    case v1::TYPE_INT64: return std::string("bigint");
    case v1::TYPE_UINT64:
      return std::string(pg_builtin && t.source_type() == "oid" ? "oid" : "numeric(20,0)");
    case v1::TYPE_FLOAT32: return std::string("real");
    case v1::TYPE_FLOAT64: return std::string("double precision");
    case v1::TYPE_DECIMAL: {
      if (pg_builtin) return t.source_type();
      int p, s;
      if (TrailingArgs(t.source_type(), &p, &s)) return fmt::format("numeric({},{})", p, std::max(s, 0));
      return std::string("numeric");
    }
    case v1::TYPE_MONEY: return std::string(pg_builtin ? "money" : "numeric");
    case v1::TYPE_TEXT: return pg_builtin ? t.source_type() : std::string("text");
    case v1::TYPE_BYTES: return std::string("bytea");
    case v1::TYPE_DATE: return std::string("date");
    // MySQL TIME is a duration (-838:59:59 .. 838:59:59): only interval holds it.
    case v1::TYPE_TIME: return pg_builtin ? t.source_type() : std::string("interval");
    case v1::TYPE_TIMETZ: return pg_builtin ? t.source_type() : std::string("time with time zone");
    case v1::TYPE_TIMESTAMP:
      return pg_builtin ? t.source_type() : std::string("timestamp without time zone");
    case v1::TYPE_TIMESTAMPTZ:
      return pg_builtin ? t.source_type() : std::string("timestamp with time zone");
    case v1::TYPE_INTERVAL: return pg_builtin ? t.source_type() : std::string("interval");
    case v1::TYPE_UUID: return std::string("uuid");
    case v1::TYPE_JSON: return std::string("json");
    case v1::TYPE_JSONB: return std::string("jsonb");
    case v1::TYPE_INET: return std::string("inet");
    case v1::TYPE_CIDR: return std::string("cidr");
    case v1::TYPE_MACADDR: return std::string("macaddr");
    case v1::TYPE_MACADDR8: return std::string("macaddr8");
    case v1::TYPE_BIT:
    case v1::TYPE_VARBIT: {
      if (pg_builtin) return t.source_type();
      int n, unused;
      // MySQL BIT(n) values arrive as exactly n bits.
      if (TrailingArgs(t.source_type(), &n, &unused)) return fmt::format("bit({})", n);
      return std::string("bit varying");
    }
    case v1::TYPE_ENUM: return std::string("text");        // the label
    case v1::TYPE_SET: return std::string("text");         // labels joined by ',' as MySQL prints them
    case v1::TYPE_GEOMETRY: return std::string("bytea");   // MySQL internal form: SRID (LE) + WKB
    case v1::TYPE_YEAR: return std::string("smallint");
    default: return Unmappable(t, "PostgreSQL");
  }
}

absl::StatusOr<std::string> MysqlTargetType(const v1::ColumnType& t, bool key) {
  const bool pg = IsPgSourceType(t);
  int a = -1, b = -1;
  const bool args = TrailingArgs(t.source_type(), &a, &b);
  auto text = [&](int n) -> std::string {
    if (key || n > 0) return fmt::format("VARCHAR({}){}", n > 0 && n <= 255 ? n : 255, kMysqlText);
    return fmt::format("LONGTEXT{}", kMysqlText);
  };
  switch (t.kind()) {
    case v1::TYPE_BOOL: return std::string("BOOLEAN");
    case v1::TYPE_INT16: return std::string("SMALLINT");
    case v1::TYPE_INT32: return std::string("INT");
    case v1::TYPE_INT64: return std::string("BIGINT");
    case v1::TYPE_UINT64: return std::string("BIGINT UNSIGNED");
    case v1::TYPE_FLOAT32: return std::string("FLOAT");
    case v1::TYPE_FLOAT64: return std::string("DOUBLE");
    case v1::TYPE_DECIMAL:
      // DECIMAL(p,s) holds every value of a constrained numeric except NaN (which the
      // target then rejects); unconstrained numeric has any scale: text.
      if (args && a >= 1 && a <= 65 && b >= 0 && b <= 30) return fmt::format("DECIMAL({},{})", a, b);
      return text(key ? 255 : 0);
    case v1::TYPE_MONEY: return std::string("DECIMAL(19,2)");
    case v1::TYPE_TEXT:
      // PG varchar(n)/char(n) count characters, as MySQL VARCHAR(n) does; char(n)
      // padding is kept by storing it in VARCHAR (MySQL CHAR strips it).
      return text(pg && args ? a : 0);
    case v1::TYPE_BYTES: return std::string(key ? "VARBINARY(255)" : "LONGBLOB");
    case v1::TYPE_DATE: return std::string("DATE");
    case v1::TYPE_TIME: return std::string("TIME(6)");
    case v1::TYPE_TIMETZ: return std::string("VARCHAR(32) CHARACTER SET ascii");
    case v1::TYPE_TIMESTAMP: return std::string("DATETIME(6)");
    case v1::TYPE_TIMESTAMPTZ: return std::string("DATETIME(6)");  // the UTC instant
    case v1::TYPE_INTERVAL: return std::string("VARCHAR(64) CHARACTER SET ascii");  // ISO 8601
    case v1::TYPE_UUID: return std::string("CHAR(36) CHARACTER SET ascii");
    case v1::TYPE_JSON:
    case v1::TYPE_JSONB: return std::string("JSON");
    case v1::TYPE_INET:
    case v1::TYPE_CIDR: return std::string("VARCHAR(64) CHARACTER SET ascii");
    case v1::TYPE_MACADDR:
    case v1::TYPE_MACADDR8: return std::string("VARCHAR(32) CHARACTER SET ascii");
    case v1::TYPE_BIT:
      if (args && a >= 1 && a <= 64) return fmt::format("BIT({})", a);
      return text(0);
    case v1::TYPE_VARBIT: return text(args ? a : 0);  // '0'/'1' text keeps the length
    case v1::TYPE_ENUM:
    case v1::TYPE_SET: {
      if (t.labels_size() == 0) return text(0);
      std::string out = t.kind() == v1::TYPE_ENUM ? "ENUM(" : "SET(";
      for (int i = 0; i < t.labels_size(); ++i) {
        if (i > 0) out += ",";
        out += "'";
        for (char c : t.labels(i)) {
          if (c == '\'' || c == '\\') out += c;
          out += c;
        }
        out += "'";
      }
      return out + ")" + kMysqlText;
    }
    case v1::TYPE_ARRAY: return std::string("JSON");  // elements as the JSON form encodes them
    case v1::TYPE_GEOMETRY: return std::string("GEOMETRY");
    case v1::TYPE_YEAR: return std::string("YEAR");
    default: return Unmappable(t, "MySQL/MariaDB");
  }
}

}  // namespace tidemark
