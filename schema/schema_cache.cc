#include "schema/schema_cache.h"

#include <fmt/format.h>

#include "common/status_macros.h"

namespace tidemark {

void SchemaCache::Remember(const v1::TableSchema& schema) {
  schemas_[{TableKey(schema.table()), schema.version()}] = schema;
}

absl::StatusOr<const v1::TableSchema*> SchemaCache::For(const v1::ChangeEvent& ev) {
  // Runs of events of one table version are the common case: no key string to build.
  const v1::TableId& t = ev.table();
  if (last_ != nullptr && ev.schema_version() == last_version_ &&
      t.table() == last_table_.table() && t.schema() == last_table_.schema() &&
      t.database() == last_table_.database()) {
    return last_;
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
  last_ = &it->second;
  last_table_ = t;
  last_version_ = ev.schema_version();
  return last_;
}

}  // namespace tidemark
