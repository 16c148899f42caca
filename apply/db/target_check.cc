#include "apply/db/target_check.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/strings.h"
#include "schema/registry.h"
#include "schema/type_compat.h"

namespace tidemark {
namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
  return out;
}

bool SameSet(std::vector<std::string> a, std::vector<std::string> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

}  // namespace

std::vector<std::string> MissingTableProblems(const DbSinkOptions& options,
                                              const v1::TableSchema& source,
                                              const std::string& target_name) {
  if (options.create_tables) return {};
  return {fmt::format("sink {}: target table {} (for source table {}) does not exist; create it, "
                      "or set create_tables: true on the sink",
                      options.name, target_name, TableKey(source.table()))};
}

std::vector<std::string> TargetTableProblems(const DbSinkOptions& options, TargetEngine engine,
                                             const v1::TableSchema& source,
                                             const TargetTableInfo& target) {
  std::vector<std::string> out;
  const std::string table = TableKey(source.table());
  std::vector<std::string> missing;
  for (const v1::Column& c : source.columns()) {
    auto it = std::find_if(target.columns.begin(), target.columns.end(),
                           [&](const auto& t) { return t.first == c.name(); });
    if (it == target.columns.end()) {
      if (!options.apply_schema_changes) missing.push_back(c.name());
      continue;
    }
    if (absl::Status s = TargetTypeHolds(engine, c.type(), it->second); !s.ok()) {
      out.push_back(fmt::format("sink {}: column {} of target table {} (source table {}): {}; "
                                "alter the target column",
                                options.name, c.name(), target.name, table, s.message()));
    }
  }
  if (!missing.empty()) {
    out.push_back(fmt::format("sink {}: target table {} lacks column(s) {} of source table {}; add "
                              "them to the target, or set schema_changes: apply on the sink",
                              options.name, target.name, Join(missing), table));
  }
  std::vector<std::string> key = SourceKey(source);
  if (key.empty() && target.has_primary_key) key = target.unique_keys.front();
  if (!key.empty()) {
    if (!std::any_of(target.unique_keys.begin(), target.unique_keys.end(),
                     [&](const auto& u) { return SameSet(u, key); })) {
      out.push_back(fmt::format("sink {}: target table {} has no primary key or unique index on "
                                "({}), the key of source table {}; add one",
                                options.name, target.name, Join(key), table));
    }
  } else if (source.replica_identity() != v1::REPLICA_IDENTITY_FULL) {
    out.push_back(fmt::format("sink {}: source table {} has no primary key and the source does not "
                              "send full before images, so updates and deletes cannot be matched "
                              "on the target; add a primary key, or on PostgreSQL run ALTER TABLE "
                              "{} REPLICA IDENTITY FULL",
                              options.name, table, table));
  }
  return out;
}

}  // namespace tidemark
