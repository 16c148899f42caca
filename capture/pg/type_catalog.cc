#include "capture/pg/type_catalog.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "capture/pg/text_values.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark::pg {
namespace {

using v1::TypeKind;

// Built-in scalar types tidemark decodes, with their array type oids
// (pg_type.typarray) and the name format_type() prints for them.
struct Builtin {
  uint32_t oid;
  uint32_t array_oid;
  const char* typname;
  const char* sql_name;
  TypeKind kind;
};

constexpr Builtin kBuiltins[] = {
    {16, 1000, "bool", "boolean", v1::TYPE_BOOL},
    {17, 1001, "bytea", "bytea", v1::TYPE_BYTES},
    {19, 1003, "name", "name", v1::TYPE_TEXT},
    {20, 1016, "int8", "bigint", v1::TYPE_INT64},
    {21, 1005, "int2", "smallint", v1::TYPE_INT16},
    {23, 1007, "int4", "integer", v1::TYPE_INT32},
    {25, 1009, "text", "text", v1::TYPE_TEXT},
    {26, 1028, "oid", "oid", v1::TYPE_UINT64},
    {114, 199, "json", "json", v1::TYPE_JSON},
    {650, 651, "cidr", "cidr", v1::TYPE_CIDR},
    {700, 1021, "float4", "real", v1::TYPE_FLOAT32},
    {701, 1022, "float8", "double precision", v1::TYPE_FLOAT64},
    {774, 775, "macaddr8", "macaddr8", v1::TYPE_MACADDR8},
    {790, 791, "money", "money", v1::TYPE_MONEY},
    {829, 1040, "macaddr", "macaddr", v1::TYPE_MACADDR},
    {869, 1041, "inet", "inet", v1::TYPE_INET},
    {1042, 1014, "bpchar", "character", v1::TYPE_TEXT},
    {1043, 1015, "varchar", "character varying", v1::TYPE_TEXT},
    {1082, 1182, "date", "date", v1::TYPE_DATE},
    {1083, 1183, "time", "time", v1::TYPE_TIME},
    {1114, 1115, "timestamp", "timestamp", v1::TYPE_TIMESTAMP},
    {1184, 1185, "timestamptz", "timestamp", v1::TYPE_TIMESTAMPTZ},
    {1186, 1187, "interval", "interval", v1::TYPE_INTERVAL},
    {1266, 1270, "timetz", "time", v1::TYPE_TIMETZ},
    {1560, 1561, "bit", "bit", v1::TYPE_BIT},
    {1562, 1563, "varbit", "bit varying", v1::TYPE_VARBIT},
    {1700, 1231, "numeric", "numeric", v1::TYPE_DECIMAL},
    {2950, 2951, "uuid", "uuid", v1::TYPE_UUID},
    {3802, 3807, "jsonb", "jsonb", v1::TYPE_JSONB},
};

const Builtin* FindBuiltin(uint32_t oid) {
  for (const Builtin& b : kBuiltins) {
    if (b.oid == oid) return &b;
  }
  return nullptr;
}

constexpr int32_t kVarHdrSz = 4;  // VARHDRSZ: char/varchar/numeric typmods include it

// format_type()'s spelling of a built-in scalar type with modifier `typmod`.
std::string SqlName(const Builtin& b, int32_t typmod) {
  switch (b.oid) {
    case 1042:  // bpchar: format_type prints "bpchar" without a length
      return typmod >= kVarHdrSz ? fmt::format("character({})", typmod - kVarHdrSz) : "bpchar";
    case 1043:
      return typmod >= kVarHdrSz ? fmt::format("character varying({})", typmod - kVarHdrSz)
                                 : "character varying";
    case 1700:
      if (typmod >= kVarHdrSz) {
        int32_t t = typmod - kVarHdrSz;
        int precision = (t >> 16) & 0xffff;
        int scale = ((t & 0x7ff) ^ 1024) - 1024;  // 11-bit signed since PostgreSQL 15
        return fmt::format("numeric({},{})", precision, scale);
      }
      return "numeric";
    case 1560:
    case 1562:
      return typmod >= 0 ? fmt::format("{}({})", b.sql_name, typmod) : b.sql_name;
    case 1083:
    case 1114:
    case 1184:
    case 1266: {
      const char* zone = (b.oid == 1184 || b.oid == 1266) ? "with" : "without";
      std::string precision = typmod >= 0 ? fmt::format("({})", typmod) : "";
      return fmt::format("{}{} {} time zone", b.sql_name, precision, zone);
    }
    case 1186: {
      // INTERVAL_PRECISION(typmod) is the low 16 bits; 0xFFFF means "no precision".
      // The field range (YEAR TO MONTH, ...) stays in type_modifier.
      int precision = typmod >= 0 ? (typmod & 0xffff) : 0xffff;
      return precision != 0xffff ? fmt::format("interval({})", precision) : "interval";
    }
    default:
      return b.sql_name;
  }
}

absl::Status Unsupported(std::string_view column, std::string_view type_name, uint32_t oid,
                         std::string_view why) {
  if (type_name.starts_with("pg_catalog.")) type_name.remove_prefix(11);
  return absl::FailedPreconditionError(fmt::format(
      "column {} has type {} (oid {}), which tidemark does not decode{}; exclude the table "
      "from the publication, or change the column to a supported type (for example "
      "ALTER TABLE ... ALTER COLUMN ... TYPE text)",
      column, type_name, oid, why));
}

absl::StatusOr<uint32_t> ParseOid(std::string_view text, std::string_view field) {
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return absl::InvalidArgumentError(
        fmt::format("pg_type row: {} \"{}\" is not an oid", field, text));
  }
  return v;
}

constexpr int kMaxDepth = 16;  // domains over domains over arrays...; PG has no cycles

}  // namespace

// Enum labels as text[] (array_agg would be NULL for non-enums; ARRAY() gives {}).
const char kDescribeTypeSql[] =
    "SELECT t.oid, n.nspname || '.' || t.typname, t.typtype, t.typbasetype, "
    "CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE 0::oid END, "
    "ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid "
    "ORDER BY e.enumsortorder) "
    "FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
    "WHERE t.oid = $1";

absl::StatusOr<PgTypeInfo> PgTypeInfoFromRow(std::string_view oid, std::string_view name,
                                             std::string_view typtype,
                                             std::string_view typbasetype,
                                             std::string_view typelem,
                                             std::string_view enum_labels) {
  PgTypeInfo info;
  TM_ASSIGN_OR_RETURN(info.oid, ParseOid(oid, "oid"));
  info.name = std::string(name);
  if (typtype.size() != 1) {
    return absl::InvalidArgumentError(
        fmt::format("pg_type row for {}: typtype \"{}\" is not one character", name, typtype));
  }
  info.typtype = typtype[0];
  TM_ASSIGN_OR_RETURN(info.base_oid, ParseOid(typbasetype, "typbasetype"));
  TM_ASSIGN_OR_RETURN(info.element_oid, ParseOid(typelem, "typelem"));
  auto labels = SplitArrayLiteral(enum_labels);
  if (!labels.ok()) {
    return absl::InvalidArgumentError(fmt::format("pg_type row for {}: enum labels: {}", name,
                                                  labels.status().message()));
  }
  for (auto& label : *labels) {
    if (!label.has_value()) {
      return absl::InvalidArgumentError(
          fmt::format("pg_type row for {}: NULL enum label", name));
    }
    info.enum_labels.push_back(std::move(*label));
  }
  return info;
}

TypeCatalog::TypeCatalog() {
  for (const Builtin& b : kBuiltins) {
    PgTypeInfo scalar;
    scalar.oid = b.oid;
    scalar.name = b.typname;
    types_[b.oid] = scalar;
    PgTypeInfo array;
    array.oid = b.array_oid;
    array.name = std::string("_") + b.typname;
    array.element_oid = b.oid;
    types_[b.array_oid] = array;
  }
}

const PgTypeInfo* TypeCatalog::Find(uint32_t oid) const {
  auto it = types_.find(oid);
  return it == types_.end() ? nullptr : &it->second;
}

void TypeCatalog::Add(PgTypeInfo info) {
  uint32_t oid = info.oid;
  types_[oid] = std::move(info);
}

void TypeCatalog::MissingInto(uint32_t oid, int depth, std::vector<uint32_t>* out) const {
  if (depth > kMaxDepth || oid == 0) return;
  const PgTypeInfo* info = Find(oid);
  if (info == nullptr) {
    if (std::find(out->begin(), out->end(), oid) == out->end()) out->push_back(oid);
    return;
  }
  if (info->typtype == 'd') MissingInto(info->base_oid, depth + 1, out);
  if (info->element_oid != 0) MissingInto(info->element_oid, depth + 1, out);
}

std::vector<uint32_t> TypeCatalog::Missing(uint32_t oid) const {
  std::vector<uint32_t> out;
  MissingInto(oid, 0, &out);
  return out;
}

absl::StatusOr<v1::ColumnType> TypeCatalog::ColumnTypeFor(uint32_t oid, int32_t typmod,
                                                          std::string_view column) const {
  return Resolve(oid, typmod, column, 0);
}

absl::StatusOr<v1::ColumnType> TypeCatalog::Resolve(uint32_t oid, int32_t typmod,
                                                    std::string_view column, int depth) const {
  const PgTypeInfo* info = Find(oid);
  if (info == nullptr) {
    return absl::FailedPreconditionError(fmt::format(
        "column {} has type oid {}, which the type catalog does not know; the source must "
        "describe it (kDescribeTypeSql) before decoding the Relation message",
        column, oid));
  }
  if (depth > kMaxDepth) {
    return Unsupported(column, info->name, oid, " (domains or arrays nested too deeply)");
  }
  v1::ColumnType type;
  type.set_source_oid(oid);
  type.set_type_modifier(typmod);
  if (info->element_oid != 0) {
    // An array: pgoutput's atttypmod of an array column is its element's modifier.
    auto element = Resolve(info->element_oid, typmod, column, depth + 1);
    if (!element.ok()) {
      if (element.status().code() != absl::StatusCode::kFailedPrecondition) return element;
      return Unsupported(column, info->name, oid,
                         fmt::format(" (its element type is not decoded: {})",
                                     element.status().message()));
    }
    type.set_kind(v1::TYPE_ARRAY);
    type.set_source_type(element->source_type() + "[]");
    *type.mutable_element() = std::move(*element);
    return type;
  }
  switch (info->typtype) {
    case 'e':
      type.set_kind(v1::TYPE_ENUM);
      type.set_source_type(info->name);
      for (const auto& label : info->enum_labels) type.add_labels(label);
      return type;
    case 'd': {
      // The column's atttypmod is -1 for a domain; the domain's own typtypmod is not
      // part of kDescribeTypeSql, so the base keeps no modifier.
      auto base = Resolve(info->base_oid, -1, column, depth + 1);
      if (!base.ok()) {
        if (base.status().code() != absl::StatusCode::kFailedPrecondition) return base;
        return Unsupported(column, info->name, oid,
                           fmt::format(" (a domain over an undecoded type: {})",
                                       base.status().message()));
      }
      type = std::move(*base);
      type.set_source_oid(oid);
      type.set_type_modifier(typmod);
      type.set_source_type(info->name);
      return type;
    }
    case 'b': {
      const Builtin* b = FindBuiltin(oid);
      if (b == nullptr) break;
      type.set_kind(b->kind);
      type.set_source_type(SqlName(*b, typmod));
      return type;
    }
    default:
      break;
  }
  static constexpr std::pair<char, const char*> kWhy[] = {
      {'c', " (a composite type)"}, {'r', " (a range type)"},
      {'m', " (a multirange type)"}, {'p', " (a pseudo-type)"}};
  for (const auto& [t, why] : kWhy) {
    if (info->typtype == t) return Unsupported(column, info->name, oid, why);
  }
  return Unsupported(column, info->name, oid, "");
}

}  // namespace tidemark::pg
