#include "capture/mysql/row_decoder.h"

#include <fmt/format.h>

#include "capture/mysql/binlog_parser.h"
#include "capture/mysql/column_type.h"
#include "capture/mysql/context_buf.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark::mysql {
namespace {

constexpr uint64_t kPartialJsonUpdates = 1;

absl::StatusOr<v1::Row> DecodeImage(ByteReader& r, const RowsEvent& ev,
                                    const std::vector<ColumnDef>& columns,
                                    const std::vector<bool>& present, bool before,
                                    bool partial_after, std::string_view where) {
  std::vector<bool> partial;
  if (partial_after) {
    TM_ASSIGN_OR_RETURN(uint64_t options, ReadPacked(r, "value_options"));
    if (options & kPartialJsonUpdates) {
      size_t json_cols = 0;
      for (size_t i = 0; i < columns.size(); ++i) {
        if (ev.columns_present[i] && columns[i].real_type == MYSQL_TYPE_JSON) ++json_cols;
      }
      TM_ASSIGN_OR_RETURN(partial, ReadBitmap(r, json_cols, "partial_bits"));
    }
  }
  size_t n_present = 0;
  for (bool p : present) n_present += p;
  // The null bitmap is read in place (no vector per row image).
  TM_ASSIGN_OR_RETURN(std::string_view nulls, r.Bytes((n_present + 7) / 8, "null_bitmap"));
  auto is_null_bit = [&nulls](size_t k) { return ((static_cast<uint8_t>(nulls[k / 8]) >> (k % 8)) & 1) != 0; };
  v1::Row row;
  row.mutable_values()->Reserve(static_cast<int>(columns.size()));
  size_t k = 0, json_k = 0;
  bool missing = false;
  for (size_t i = 0; i < columns.size(); ++i) {
    v1::Value* v = row.add_values();
    if (!present[i]) {
      missing = true;
      if (before) {
        v->set_null_value(v1::NULL_VALUE);
      } else {
        v->mutable_unchanged();
      }
      continue;
    }
    bool is_null = is_null_bit(k++);
    bool is_partial = false;
    if (columns[i].real_type == MYSQL_TYPE_JSON && ev.columns_present[i]) {
      is_partial = json_k < partial.size() && partial[json_k];
      ++json_k;
    }
    if (is_null) {
      v->set_null_value(v1::NULL_VALUE);
      continue;
    }
    if (is_partial) {
      return absl::FailedPreconditionError(fmt::format(
          "{}: column {} carries a partial JSON update (binlog_row_value_options=PARTIAL_JSON), "
          "which tidemark does not apply; set binlog_row_value_options='' on the server",
          where, columns[i].name));
    }
    size_t at = r.position();
    auto value = DecodeValue(r, columns[i]);
    if (!value.ok()) {
      return absl::Status(value.status().code(),
                          fmt::format("{}: {} image, column {} at byte {}: {}", where,
                                      before ? "before" : "after", columns[i].name,
                                      ev.rows_offset + at, value.status().message()));
    }
    *v = std::move(*value);
  }
  if (before && missing) row.set_key_only(true);
  return row;
}

}  // namespace

absl::StatusOr<std::vector<RowChange>> DecodeRows(const RowsEvent& ev,
                                                  const std::vector<ColumnDef>& columns,
                                                  std::string_view where) {
  if (columns.size() != ev.column_count) {
    return absl::DataLossError(fmt::format("{}: rows event has {} columns, table map {}", where,
                                           ev.column_count, columns.size()));
  }
  bool update = ev.type_code == UPDATE_ROWS_EVENT || ev.type_code == UPDATE_ROWS_EVENT_V1 ||
                ev.type_code == PARTIAL_UPDATE_ROWS_EVENT;
  bool del = ev.type_code == DELETE_ROWS_EVENT || ev.type_code == DELETE_ROWS_EVENT_V1;
  ContextBuf ctx;
  ctx << "rows of " << where;
  ByteReader r(ev.rows, ctx.view());
  std::vector<RowChange> out;
  while (!r.empty()) {
    RowChange rc;
    if (update || del) {
      TM_ASSIGN_OR_RETURN(rc.before, DecodeImage(r, ev, columns, ev.columns_present, true, false,
                                                 where));
    }
    if (update) {
      TM_ASSIGN_OR_RETURN(rc.after,
                          DecodeImage(r, ev, columns, ev.columns_present_after, false,
                                      ev.type_code == PARTIAL_UPDATE_ROWS_EVENT, where));
    } else if (!del) {
      TM_ASSIGN_OR_RETURN(rc.after, DecodeImage(r, ev, columns, ev.columns_present, false, false,
                                                where));
    }
    out.push_back(std::move(rc));
  }
  if (out.empty()) return absl::DataLossError(fmt::format("{}: rows event without rows", where));
  return out;
}

}  // namespace tidemark::mysql
