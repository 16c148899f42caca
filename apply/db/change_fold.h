// Folding of one table's changes inside a database sink's batch (DESIGN.md §1
// Apply): repeated changes to one key become the key's last state, so a batch
// writes each key at most once. Pure; not thread-safe (one applier thread).
//
// Keyed tables (the sink found a key, see TableFold::Create):
//   INSERT/READ k        → k: upsert(after)
//   UPDATE k → k         → k: upsert(after); an `unchanged` column (PG TOAST) takes
//                          the value of k's earlier upsert in this batch, else of a
//                          full before image; otherwise it stays unchanged (the
//                          target keeps its value)
//   UPDATE k → k' (k≠k') → k: delete, k': upsert(after); an unchanged column that no
//                          earlier state or before image supplies is an error (the
//                          value lives under k on the target)
//   DELETE k             → k: delete
//   TRUNCATE             → every state dropped; the table is truncated first
// The final states are independent per key, so the sink applies all deletes, then
// all upserts.
// Unkeyed tables (full-row match): nothing folds; operations keep their order, and
// UPDATE/DELETE need a full before image (REPLICA IDENTITY FULL, binlog_row_image=FULL).
#ifndef TIDEMARK_APPLY_DB_CHANGE_FOLD_H_
#define TIDEMARK_APPLY_DB_CHANGE_FOLD_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tidemark/v1/event.pb.h"
#include "tidemark/v1/schema.pb.h"

namespace tidemark {

// A row a fold refers to: a view of a row inside a folded event (the common case:
// no copy) or, where the fold filled in `unchanged` columns, a row of its own.
class RowRef {
 public:
  RowRef() = default;
  static RowRef View(const v1::Row& row) {
    RowRef r;
    r.row_ = &row;
    return r;
  }
  static RowRef Own(v1::Row row) {
    RowRef r;
    r.own_ = std::make_unique<v1::Row>(std::move(row));
    r.row_ = r.own_.get();
    return r;
  }
  const v1::Row& operator*() const { return *row_; }
  const v1::Row* operator->() const { return row_; }

 private:
  std::unique_ptr<v1::Row> own_;
  const v1::Row* row_ = nullptr;
};

// The final state of one key.
struct KeyState {
  bool deleted = false;
  std::vector<v1::Value> key;   // key values, in key order
  RowRef row;                   // upsert: one value per column (may hold `unchanged`)
  uint64_t offset = 0;          // journal offset of the change that set this state
};

// One change of an unkeyed table, in order.
struct RowOp {
  v1::Op op = v1::OP_INSERT;    // OP_INSERT, OP_UPDATE or OP_DELETE
  RowRef before;                // full before image (UPDATE, DELETE)
  RowRef after;                 // INSERT, UPDATE
  uint64_t offset = 0;
};

class TableFold {
 public:
  // `key_columns` empty: an unkeyed table (full-row match). Each key column must be
  // a column of `schema` (kInvalidArgument naming it otherwise).
  static absl::StatusOr<TableFold> Create(const v1::TableSchema& schema,
                                          const std::vector<std::string>& key_columns);

  // Folds `ev` (an event of this table and schema version) at journal `offset`.
  // Errors (kFailedPrecondition / kInvalidArgument) name the table, offset and
  // what the source must send. The fold keeps views of `ev`'s rows: `ev` must
  // outlive the fold (a database sink keeps its batch's journal records alive).
  absl::Status AddView(const v1::ChangeEvent& ev, uint64_t offset);
  // The same for an event the fold keeps itself.
  absl::Status Add(v1::ChangeEvent ev, uint64_t offset);

  const v1::TableSchema& schema() const { return schema_; }
  bool keyed() const { return !key_index_.empty(); }
  const std::vector<int>& key_index() const { return key_index_; }
  bool truncate() const { return truncate_; }
  // Keyed: states by encoded key (no order). Unkeyed: ops in order.
  const absl::node_hash_map<std::string, KeyState>& states() const { return states_; }
  // The states in KeyLess order of their keys (the order sinks write them in).
  std::vector<const KeyState*> OrderedStates() const;
  const std::vector<RowOp>& ops() const { return ops_; }
  bool empty() const { return !truncate_ && states_.empty() && ops_.empty(); }
  size_t size() const { return states_.size() + ops_.size(); }

 private:
  TableFold(v1::TableSchema schema, std::vector<int> key_index)
      : schema_(std::move(schema)), key_index_(std::move(key_index)) {}
  absl::StatusOr<std::string> KeyOf(const v1::Row& row, std::vector<v1::Value>* key,
                                    uint64_t offset, const char* image) const;
  std::string Where(uint64_t offset) const;

  v1::TableSchema schema_;
  std::vector<int> key_index_;
  bool truncate_ = false;
  absl::node_hash_map<std::string, KeyState> states_;
  std::vector<RowOp> ops_;
  std::unique_ptr<std::deque<v1::ChangeEvent>> owned_;  // events passed to Add
};

// An order of keys that follows the target's index for the common key types
// (integers numerically, text and bytes bytewise, dates and times in time order),
// so that a batch's rows reach the target in index order: each index and heap page
// is then visited once per batch, not once per row. Other kinds order by kind only
// (still a strict weak order, as equal keys never occur twice in a fold).
bool KeyLess(const std::vector<v1::Value>& a, const std::vector<v1::Value>& b);

// "(1, 'abc')"-style text of key values for messages.
std::string KeyText(const std::vector<v1::Value>& key);

}  // namespace tidemark

#endif  // TIDEMARK_APPLY_DB_CHANGE_FOLD_H_
