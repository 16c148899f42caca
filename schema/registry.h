// The schema registry: every version of every table's schema the pipeline has
// seen, persisted in DATA_DIR/schemas.pb so that appliers starting in the middle
// of the journal (after retention dropped the schema record) still know column
// names and types. Thread-safe: capture puts, appliers read.
#ifndef TIDEMARK_SCHEMA_REGISTRY_H_
#define TIDEMARK_SCHEMA_REGISTRY_H_

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "tidemark/v1/schema.pb.h"

namespace tidemark {

// "db.schema.table" (empty parts left out).
std::string TableKey(const v1::TableId& id);

class SchemaRegistry {
 public:
  // Loads `path` when it exists; an empty registry otherwise. An empty path keeps
  // the registry in memory only (tests).
  static absl::StatusOr<std::unique_ptr<SchemaRegistry>> Open(std::string path);

  // The newest version of `table`, if any.
  std::optional<v1::TableSchema> Latest(const v1::TableId& table) const;
  // A specific version; kNotFound naming the table and version when missing.
  absl::StatusOr<v1::TableSchema> Get(const v1::TableId& table, uint32_t version) const;

  // Records `schema` unless it equals the newest version of its table (columns,
  // key and identity compared, version ignored). Returns the version to use: the
  // existing one when equal, else latest+1 (written into the stored copy) and
  // `*added` set. Persists (temp file, fsync, rename) before returning.
  absl::StatusOr<v1::TableSchema> Intern(v1::TableSchema schema, bool* added);

  // Records a schema read back from the journal (version already assigned).
  absl::Status Put(const v1::TableSchema& schema);

 private:
  explicit SchemaRegistry(std::string path) : path_(std::move(path)) {}
  absl::Status PersistLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::map<uint32_t, v1::TableSchema>> tables_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tidemark

#endif  // TIDEMARK_SCHEMA_REGISTRY_H_
