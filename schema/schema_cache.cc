#include "schema/schema_cache.h"

#include <fmt/format.h>

#include "common/status_macros.h"

namespace tidemark {

void SchemaCache::Remember(const v1::TableSchema& schema) {
  schemas_[{TableKey(schema.table()), schema.version()}] = schema;
}

absl::StatusOr<const v1::TableSchema*> SchemaCache::For(const v1::ChangeEvent& ev) {
  auto key = std::make_pair(TableKey(ev.table()), ev.schema_version());
  auto it = schemas_.find(key);
  if (it != schemas_.end()) return &it->second;
  if (registry_ == nullptr) {
    return absl::NotFoundError(fmt::format(
        "no schema for table {} version {}: not in the journal read so far and no registry",
        key.first, key.second));
  }
  TM_ASSIGN_OR_RETURN(v1::TableSchema schema, registry_->Get(ev.table(), ev.schema_version()));
  return &schemas_.emplace(std::move(key), std::move(schema)).first->second;
}

}  // namespace tidemark
