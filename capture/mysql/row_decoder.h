// Rows event body → row images (layer 2). Pure.
//   rows   := row+                          (WRITE, DELETE: one image per row)
//            | (before_image after_image)+  (UPDATE, PARTIAL_UPDATE)
//   image  := [value_options:packed [partial_bits]]   (PARTIAL_UPDATE after image only)
//             null_bitmap:(present columns+7)/8 value*   (one per present, non-NULL column)
// Spec: https://dev.mysql.com/doc/dev/mysql-server/latest/classbinary__log_1_1Rows__event.html
// Columns absent from an image (binlog_row_image=MINIMAL/NOBLOB): in a before image
// the row is marked key_only and absent columns carry null_value (DESIGN: "keys-only
// before images"); in an after image an absent column is Value.unchanged.
// A PARTIAL_UPDATE JSON diff (binlog_row_value_options=PARTIAL_JSON) is refused with
// kFailedPrecondition naming the column: applying diffs needs a JSON path engine.
#ifndef TIDEMARK_CAPTURE_MYSQL_ROW_DECODER_H_
#define TIDEMARK_CAPTURE_MYSQL_ROW_DECODER_H_

#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "capture/mysql/binlog_event.h"
#include "capture/mysql/value_decoder.h"
#include "tidemark/v1/event.pb.h"

namespace tidemark::mysql {

struct RowChange {
  std::optional<v1::Row> before;
  std::optional<v1::Row> after;
};

// `columns` must have ev.column_count entries. `where` names the event for errors
// ("mariadb-bin.000001:1234 cdc.t"); byte offsets in errors are within the event.
absl::StatusOr<std::vector<RowChange>> DecodeRows(const RowsEvent& ev,
                                                  const std::vector<ColumnDef>& columns,
                                                  std::string_view where);

}  // namespace tidemark::mysql

#endif  // TIDEMARK_CAPTURE_MYSQL_ROW_DECODER_H_
