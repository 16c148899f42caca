#include "schema/target_ddl.h"

#include <fmt/format.h>

#include <algorithm>

#include "absl/status/status.h"
#include "common/strings.h"
#include "schema/type_mapping.h"

namespace tidemark {
namespace {

std::string QuoteWith(std::string_view ident, char q) {
  std::string out(1, q);
  for (char c : ident) {
    if (c == q) out += q;
    out += c;
  }
  out += q;
  return out;
}

absl::StatusOr<std::string> ColumnType(TargetEngine engine, const v1::Column& c, bool key) {
  auto t = engine == TargetEngine::kPostgres ? PgTargetType(c.type())
                                             : MysqlTargetType(c.type(), key);
  if (!t.ok()) {
    return absl::Status(t.status().code(),
                        fmt::format("column {}: {}", c.name(), t.status().message()));
  }
  return t;
}

}  // namespace

std::string QuotePgIdent(std::string_view ident) { return QuoteWith(ident, '"'); }
std::string QuoteMysqlIdent(std::string_view ident) { return QuoteWith(ident, '`'); }
std::string QuoteIdent(TargetEngine engine, std::string_view ident) {
  return engine == TargetEngine::kPostgres ? QuotePgIdent(ident) : QuoteMysqlIdent(ident);
}

std::vector<std::string> SourceKey(const v1::TableSchema& schema) {
  const bool pg = schema.source_relation_id() != 0;
  // Under FULL, PG capture reports the primary key when the table has one; every
  // column when it has none (or when it does not know).
  if (pg && schema.replica_identity() == v1::REPLICA_IDENTITY_FULL &&
      schema.key_columns_size() >= schema.columns_size()) {
    return {};
  }
  return {schema.key_columns().begin(), schema.key_columns().end()};
}

absl::StatusOr<std::string> CreateTableSql(TargetEngine engine, const v1::TableSchema& schema,
                                           const std::vector<std::string>& key,
                                           std::string_view qualified) {
  std::string sql = fmt::format("CREATE TABLE {} (", qualified);
  for (int i = 0; i < schema.columns_size(); ++i) {
    const v1::Column& c = schema.columns(i);
    const bool is_key = std::find(key.begin(), key.end(), c.name()) != key.end();
    auto type = ColumnType(engine, c, is_key);
    if (!type.ok()) {
      return absl::Status(type.status().code(),
                          fmt::format("CREATE TABLE {}: {}", qualified, type.status().message()));
    }
    sql += fmt::format("{}{} {}{}", i ? ", " : "", QuoteIdent(engine, c.name()), *type,
                       is_key ? " NOT NULL" : "");
  }
  if (!key.empty()) {
    sql += ", PRIMARY KEY (";
    for (size_t i = 0; i < key.size(); ++i) {
      sql += (i ? ", " : "") + QuoteIdent(engine, key[i]);
    }
    sql += ")";
  }
  return sql + ")";
}

absl::StatusOr<std::string> AddColumnSql(TargetEngine engine, const v1::Column& column,
                                         std::string_view qualified) {
  auto type = ColumnType(engine, column, false);
  if (!type.ok()) return type.status();
  return fmt::format("ALTER TABLE {} ADD COLUMN {} {}", qualified,
                     QuoteIdent(engine, column.name()), *type);
}

std::string DropColumnSql(TargetEngine engine, std::string_view column, std::string_view qualified) {
  return fmt::format("ALTER TABLE {} DROP COLUMN {}", qualified, QuoteIdent(engine, column));
}

}  // namespace tidemark
