// A sink's view of table schemas: the schema records it has read from the journal,
// falling back to the pipeline's SchemaRegistry for versions recorded before the
// sink's start offset. Every sink needs exactly this to print or apply a ChangeEvent.
// Not thread-safe: owned by one applier.
#ifndef TIDEMARK_SCHEMA_SCHEMA_CACHE_H_
#define TIDEMARK_SCHEMA_SCHEMA_CACHE_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "schema/registry.h"
#include "tidemark/v1/event.pb.h"
#include "tidemark/v1/schema.pb.h"

namespace tidemark {

class SchemaCache {
 public:
  // `registry` may be null (then only remembered schemas are known); it must
  // outlive the cache.
  explicit SchemaCache(const SchemaRegistry* registry) : registry_(registry) {}

  // A schema record read from the journal.
  void Remember(const v1::TableSchema& schema);

  // The schema version `ev` references. The pointer stays valid for the cache's
  // lifetime. kNotFound naming table and version when neither the journal nor the
  // registry has it.
  absl::StatusOr<const v1::TableSchema*> For(const v1::ChangeEvent& ev);

 private:
  const SchemaRegistry* registry_;
  std::map<std::pair<std::string, uint32_t>, v1::TableSchema> schemas_;
  // What For() returned lately, for which table id and version: events of a few
  // tables interleave (one per table of a transaction), so a handful of entries
  // spare most lookups their key string. Newest first.
  struct Recent {
    const v1::TableSchema* schema;
    v1::TableId table;
    uint32_t version;
  };
  static constexpr size_t kRecent = 8;
  std::vector<Recent> recent_;
};

}  // namespace tidemark

#endif  // TIDEMARK_SCHEMA_SCHEMA_CACHE_H_
