#include "apply/db/change_fold.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "apply/format/json_value.h"
#include "common/strings.h"
#include "schema/registry.h"

namespace tidemark {
namespace {

bool IsUnchanged(const v1::Value& v) { return v.kind_case() == v1::Value::kUnchanged; }

bool FullImage(const v1::Row& row, int columns) {
  if (row.key_only() || row.values_size() != columns) return false;
  return std::none_of(row.values().begin(), row.values().end(), IsUnchanged);
}

// -1, 0, 1: a against b, for KeyLess; 0 also when the kinds have no order here.
int CompareValue(const v1::Value& a, const v1::Value& b) {
  if (a.kind_case() != b.kind_case()) return a.kind_case() < b.kind_case() ? -1 : 1;
  auto cmp = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  switch (a.kind_case()) {
    case v1::Value::kIntValue: return cmp(a.int_value(), b.int_value());
    case v1::Value::kUintValue: return cmp(a.uint_value(), b.uint_value());
    case v1::Value::kTextValue: return a.text_value().compare(b.text_value());
    case v1::Value::kBytesValue: return a.bytes_value().compare(b.bytes_value());
    case v1::Value::kUuid: return a.uuid().compare(b.uuid());
    case v1::Value::kObjectId: return a.object_id().compare(b.object_id());
    case v1::Value::kEnumLabel: return a.enum_label().compare(b.enum_label());
    case v1::Value::kDateDays: return cmp(a.date_days(), b.date_days());
    case v1::Value::kTimestampMicros: return cmp(a.timestamp_micros(), b.timestamp_micros());
    case v1::Value::kTimestamptzMicros: return cmp(a.timestamptz_micros(), b.timestamptz_micros());
    case v1::Value::kTimeMicros: return cmp(a.time_micros(), b.time_micros());
    default: return 0;
  }
}

// Appends a key value's encoding: kind, then the value; distinct values of one
// kind encode differently and no encoding is a prefix of another of the same kind.
void AppendKeyBytes(std::string* out, const v1::Value& v) {
  auto raw = [out](auto x) {
    char b[sizeof(x)];
    std::memcpy(b, &x, sizeof(x));
    out->append(b, sizeof(x));
  };
  out->push_back(static_cast<char>(v.kind_case()));
  switch (v.kind_case()) {
    case v1::Value::kIntValue: return raw(v.int_value());
    case v1::Value::kUintValue: return raw(v.uint_value());
    case v1::Value::kDateDays: return raw(v.date_days());
    case v1::Value::kTimestampMicros: return raw(v.timestamp_micros());
    case v1::Value::kTimestamptzMicros: return raw(v.timestamptz_micros());
    case v1::Value::kTimeMicros: return raw(v.time_micros());
    case v1::Value::kTextValue:
      raw(static_cast<uint64_t>(v.text_value().size()));
      out->append(v.text_value());
      return;
    default: {
      const std::string bytes = v.SerializeAsString();  // deterministic for one message
      raw(static_cast<uint64_t>(bytes.size()));
      out->append(bytes);
    }
  }
}

}  // namespace

bool KeyLess(const std::vector<v1::Value>& a, const std::vector<v1::Value>& b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (int c = CompareValue(a[i], b[i]); c != 0) return c < 0;
  }
  return a.size() < b.size();
}

std::vector<const KeyState*> TableFold::OrderedStates() const {
  std::vector<const KeyState*> out;
  out.reserve(states_.size());
  for (const auto& [unused, s] : states_) out.push_back(&s);
  std::sort(out.begin(), out.end(),
            [](const KeyState* a, const KeyState* b) { return KeyLess(a->key, b->key); });
  return out;
}

std::string KeyText(const std::vector<v1::Value>& key) {
  std::string out = "(";
  for (size_t i = 0; i < key.size(); ++i) {
    if (i) out += ", ";
    std::string v;
    if (!json::AppendValue(&v, key[i]).ok()) v = key[i].ShortDebugString();
    out += v;
  }
  return out + ")";
}

absl::StatusOr<TableFold> TableFold::Create(const v1::TableSchema& schema,
                                            const std::vector<std::string>& key_columns) {
  std::vector<int> index;
  for (const std::string& k : key_columns) {
    int found = -1;
    for (int i = 0; i < schema.columns_size(); ++i) {
      if (schema.columns(i).name() == k) found = i;
    }
    if (found < 0) {
      return absl::InvalidArgumentError(fmt::format(
          "table {}: key column {} is not a column of schema version {}", TableKey(schema.table()),
          k, schema.version()));
    }
    index.push_back(found);
  }
  return TableFold(schema, std::move(index));
}

std::string TableFold::Where(uint64_t offset) const {
  return fmt::format("table {} at journal offset {}", TableKey(schema_.table()), offset);
}

absl::StatusOr<std::string> TableFold::KeyOf(const v1::Row& row, std::vector<v1::Value>* key,
                                             uint64_t offset, const char* image) const {
  std::string encoded;
  key->clear();
  for (int i : key_index_) {
    if (i >= row.values_size() || IsUnchanged(row.values(i)) ||
        row.values(i).kind_case() == v1::Value::KIND_NOT_SET) {
      return absl::InvalidArgumentError(fmt::format(
          "{}: the {} image has no value for key column {}", Where(offset), image,
          schema_.columns(i).name()));
    }
    const v1::Value& v = row.values(i);
    AppendKeyBytes(&encoded, v);  // kind- and length-prefixed: no two keys collide
    key->push_back(v);
  }
  return encoded;
}

absl::Status TableFold::Add(v1::ChangeEvent ev, uint64_t offset) {
  if (owned_ == nullptr) owned_ = std::make_unique<std::deque<v1::ChangeEvent>>();
  owned_->push_back(std::move(ev));
  return AddView(owned_->back(), offset);
}

absl::Status TableFold::AddView(const v1::ChangeEvent& ev, uint64_t offset) {
  const int n = schema_.columns_size();
  switch (ev.op()) {
    case v1::OP_TRUNCATE:
      truncate_ = true;
      states_.clear();
      ops_.clear();
      return absl::OkStatus();
    case v1::OP_INSERT:
    case v1::OP_READ:
    case v1::OP_UPDATE:
    case v1::OP_DELETE:
      break;
    default:
      return absl::OkStatus();  // DDL statements are not replayed; schema records carry changes
  }
  const bool has_after = ev.op() != v1::OP_DELETE;
  if (has_after && ev.after().values_size() != n) {
    return absl::InvalidArgumentError(fmt::format("{}: the after image has {} values for {} columns",
                                                  Where(offset), ev.after().values_size(), n));
  }
  if (!keyed()) {
    RowOp op;
    op.op = ev.op() == v1::OP_READ ? v1::OP_INSERT : ev.op();
    op.offset = offset;
    if (op.op != v1::OP_INSERT) {
      if (!ev.has_before() || !FullImage(ev.before(), n)) {
        return absl::FailedPreconditionError(fmt::format(
            "{}: the table has no primary key, so rows are matched by all their columns, but the "
            "source sent no full before image; on PostgreSQL run ALTER TABLE {} REPLICA IDENTITY "
            "FULL, on MySQL/MariaDB set binlog_row_image=FULL, or add a primary key",
            Where(offset), TableKey(schema_.table())));
      }
      op.before = RowRef::View(ev.before());
    }
    if (has_after) {
      if (std::any_of(ev.after().values().begin(), ev.after().values().end(), IsUnchanged)) {
        // Fill unchanged columns of a key-less update from the full before image.
        v1::Row after = ev.after();
        for (int i = 0; i < n; ++i) {
          if (IsUnchanged(after.values(i))) *after.mutable_values(i) = ev.before().values(i);
        }
        op.after = RowRef::Own(std::move(after));
      } else {
        op.after = RowRef::View(ev.after());
      }
    }
    ops_.push_back(std::move(op));
    return absl::OkStatus();
  }

  std::vector<v1::Value> old_key;
  std::string old_encoded;
  if (ev.op() == v1::OP_DELETE || (ev.op() == v1::OP_UPDATE && ev.has_before())) {
    if (!ev.has_before()) {
      return absl::InvalidArgumentError(fmt::format("{}: DELETE without a before image", Where(offset)));
    }
    auto k = KeyOf(ev.before(), &old_key, offset, "before");
    if (!k.ok()) return k.status();
    old_encoded = std::move(*k);
  }
  if (ev.op() == v1::OP_DELETE) {
    KeyState& s = states_[old_encoded];
    s = KeyState();
    s.deleted = true;
    s.key = std::move(old_key);
    s.offset = offset;
    return absl::OkStatus();
  }
  std::vector<v1::Value> new_key;
  auto k = KeyOf(ev.after(), &new_key, offset, "after");
  if (!k.ok()) return k.status();
  const bool key_changed = !old_encoded.empty() && old_encoded != *k;
  // The after image as it is, unless a column must be filled in: then a copy.
  std::optional<v1::Row> filled;
  if (ev.after().key_only()) {
    filled = ev.after();
    filled->clear_key_only();
  }
  // Resolve unchanged columns from what this batch or the event already knows.
  const KeyState* prev = nullptr;
  if (auto it = states_.find(*k); it != states_.end() && !it->second.deleted) prev = &it->second;
  if (key_changed) {
    if (auto it = states_.find(old_encoded); it != states_.end() && !it->second.deleted) {
      prev = &it->second;
    }
  }
  const bool before_full = ev.has_before() && !ev.before().key_only() &&
                           ev.before().values_size() == n;
  for (int i = 0; i < n; ++i) {
    if (!IsUnchanged(ev.after().values(i))) continue;
    const v1::Value* known = nullptr;
    if (prev != nullptr && !IsUnchanged(prev->row->values(i))) {
      known = &prev->row->values(i);
    } else if (before_full && !IsUnchanged(ev.before().values(i))) {
      known = &ev.before().values(i);
    }
    if (known != nullptr) {
      if (!filled.has_value()) filled = ev.after();
      *filled->mutable_values(i) = *known;
    } else if (key_changed) {
      return absl::FailedPreconditionError(fmt::format(
          "{}: an UPDATE moved the row from key {} to {} and left column {} unchanged (TOAST), so "
          "its value is not in the stream; run ALTER TABLE {} REPLICA IDENTITY FULL on the source "
          "so before images carry it",
          Where(offset), KeyText(old_key), KeyText(new_key), schema_.columns(i).name(),
          TableKey(schema_.table())));
    }
  }
  if (key_changed) {
    KeyState& d = states_[old_encoded];
    d = KeyState();
    d.deleted = true;
    d.key = std::move(old_key);
    d.offset = offset;
  }
  KeyState& s = states_[*k];
  s.deleted = false;
  s.key = std::move(new_key);
  s.row = filled.has_value() ? RowRef::Own(*std::move(filled)) : RowRef::View(ev.after());
  s.offset = offset;
  return absl::OkStatus();
}

}  // namespace tidemark
