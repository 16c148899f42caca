#include "schema/registry.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "common/strings.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "tidemark/v1/journal.pb.h"

namespace tidemark {
namespace {

// The registry file is a JournalBatch of schema entries: the format the journal
// already uses for schema records, so there is one encoding of a TableSchema on disk.
std::string Deterministic(const v1::TableSchema& s) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  s.SerializeToCodedStream(&coded);
  coded.Trim();
  return out;
}

// Equal fields, version aside. Byte equality of deterministic serializations: MySQL
// capture interns the schema of every TABLE_MAP (one per table per transaction), and
// MessageDifferencer's reflection took a third of its CPU.
bool SameShape(const v1::TableSchema& a, v1::TableSchema* b) {
  const uint32_t version = b->version();
  b->set_version(a.version());
  const bool same = Deterministic(a) == Deterministic(*b);
  b->set_version(version);
  return same;
}

}  // namespace

std::string TableKey(const v1::TableId& id) {
  std::string key;
  for (const std::string* p : {&id.database(), &id.schema(), &id.table()}) {
    if (p->empty()) continue;
    if (!key.empty()) key += '.';
    key += *p;
  }
  return key;
}

absl::StatusOr<std::unique_ptr<SchemaRegistry>> SchemaRegistry::Open(std::string path) {
  std::unique_ptr<SchemaRegistry> reg(new SchemaRegistry(path));
  if (path.empty()) return reg;
  auto bytes = ReadFile(path);
  if (absl::IsNotFound(bytes.status())) return reg;
  if (!bytes.ok()) return bytes.status();
  v1::JournalBatch batch;
  if (!batch.ParseFromString(*bytes)) {
    return absl::DataLossError(fmt::format("schema registry {} does not parse; restore it from a "
                                                "backup or start a new data_dir", path));
  }
  absl::MutexLock lock(&reg->mu_);
  for (const auto& e : batch.entries()) {
    reg->tables_[TableKey(e.schema().table())][e.schema().version()] = e.schema();
  }
  return reg;
}

std::optional<v1::TableSchema> SchemaRegistry::Latest(const v1::TableId& table) const {
  absl::MutexLock lock(&mu_);
  auto it = tables_.find(TableKey(table));
  if (it == tables_.end() || it->second.empty()) return std::nullopt;
  return it->second.rbegin()->second;
}

absl::StatusOr<v1::TableSchema> SchemaRegistry::Get(const v1::TableId& table,
                                                    uint32_t version) const {
  absl::MutexLock lock(&mu_);
  auto it = tables_.find(TableKey(table));
  if (it != tables_.end()) {
    auto v = it->second.find(version);
    if (v != it->second.end()) return v->second;
  }
  return absl::NotFoundError(fmt::format("no schema version {} of table {} in the schema registry",
                                         version, TableKey(table)));
}

absl::StatusOr<v1::TableSchema> SchemaRegistry::Intern(v1::TableSchema schema, bool* added) {
  *added = false;
  absl::MutexLock lock(&mu_);
  auto& versions = tables_[TableKey(schema.table())];
  if (!versions.empty() && SameShape(versions.rbegin()->second, &schema)) {
    return versions.rbegin()->second;
  }
  schema.set_version(versions.empty() ? 1 : versions.rbegin()->first + 1);
  versions[schema.version()] = schema;
  *added = true;
  TM_RETURN_IF_ERROR(PersistLocked());
  return schema;
}

absl::Status SchemaRegistry::Put(const v1::TableSchema& schema) {
  absl::MutexLock lock(&mu_);
  tables_[TableKey(schema.table())][schema.version()] = schema;
  return PersistLocked();
}

absl::Status SchemaRegistry::PersistLocked() {
  if (path_.empty()) return absl::OkStatus();
  v1::JournalBatch batch;
  for (const auto& [key, versions] : tables_) {
    for (const auto& [v, s] : versions) *batch.add_entries()->mutable_schema() = s;
  }
  return WriteFileAtomically(path_, batch.SerializeAsString());
}

}  // namespace tidemark
