#include "schema/schema_cache.h"

#include <fmt/format.h>

#include "common/status_macros.h"

namespace tidemark {

void SchemaCache::Remember(const v1::TableSchema& schema) {
  schemas_[{TableKey(schema.table()), schema.version()}] = schema;
}

absl::StatusOr<const v1::TableSchema*> SchemaCache::For(const v1::ChangeEvent& ev) {
  const v1::TableId& t = ev.table();
  for (size_t i = 0; i < recent_.size(); ++i) {
    const Recent& r = recent_[i];
    if (r.version == ev.schema_version() && r.table.table() == t.table() &&
        r.table.schema() == t.schema() && r.table.database() == t.database()) {
      const v1::TableSchema* found = r.schema;
      if (i > 0) std::swap(recent_[i], recent_[i - 1]);  // frequent ones move to the front
      return found;
    }
  }
  auto key = std::make_pair(TableKey(t), ev.schema_version());
  auto it = schemas_.find(key);
  if (it == schemas_.end()) {
    if (registry_ == nullptr) {
      return absl::NotFoundError(fmt::format(
          "no schema for table {} version {}: not in the journal read so far and no registry",
          key.first, key.second));
    }
    TM_ASSIGN_OR_RETURN(v1::TableSchema schema, registry_->Get(t, ev.schema_version()));
    it = schemas_.emplace(std::move(key), std::move(schema)).first;
  }
  if (recent_.size() == kRecent) recent_.pop_back();
  recent_.insert(recent_.begin(), Recent{&it->second, t, ev.schema_version()});
  return &it->second;
}

}  // namespace tidemark
