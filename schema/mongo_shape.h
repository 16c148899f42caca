// The table shape of a MongoDB collection (capture/mongo/decoder.h has the whole
// contract): key columns `_id` plus any shard key fields of documentKey, then
// `document` and `update_description`; every column TYPE_JSON with source_type
// "bson", holding typed BSON Values. Shared by the decoder, which builds it, and
// the database sinks (apply/db/mongo_rows.h), which store it as (_id, document)
// tables. Header-only, pure.
#ifndef TIDEMARK_SCHEMA_MONGO_SHAPE_H_
#define TIDEMARK_SCHEMA_MONGO_SHAPE_H_

#include <algorithm>

#include "tidemark/v1/schema.pb.h"

namespace tidemark::mongo_shape {

inline constexpr char kSourceType[] = "bson";
inline constexpr char kIdColumn[] = "_id";
inline constexpr char kDocumentColumn[] = "document";
inline constexpr char kUpdateColumn[] = "update_description";

// True for a schema the MongoDB decoder built: every column is of source type "bson".
inline bool IsMongoSchema(const v1::TableSchema& s) {
  return s.columns_size() > 0 &&
         std::all_of(s.columns().begin(), s.columns().end(),
                     [](const v1::Column& c) { return c.type().source_type() == kSourceType; });
}

}  // namespace tidemark::mongo_shape

#endif  // TIDEMARK_SCHEMA_MONGO_SHAPE_H_
