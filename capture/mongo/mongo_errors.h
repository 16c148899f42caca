// The one place where libmongoc / libbson errors become absl::Status (DESIGN.md §6):
//   history lost (286 ChangeStreamHistoryLost, 280 ChangeStreamFatalError about a
//     resume point, "resume point may no longer be in the oplog")  → kOutOfRange:
//     the resume point is gone, a snapshot is needed
//   auth (13 Unauthorized, 18 AuthenticationFailed, 11 UserNotFound),
//     40573 (change streams need a replica set), 40324 (unknown stage)  → kFailedPrecondition
//   network, server selection, stepdown / not primary / shutdown codes  → kUnavailable
//   any other server error                                              → kFailedPrecondition
// Messages name the operation (`what`), the server's code and text, and the fix.
#ifndef TIDEMARK_CAPTURE_MONGO_MONGO_ERRORS_H_
#define TIDEMARK_CAPTURE_MONGO_MONGO_ERRORS_H_

#include <mongoc/mongoc.h>

#include <string_view>

#include "absl/status/status.h"

namespace tidemark::mongo {

absl::Status MongoStatus(const bson_error_t& error, std::string_view what);

}  // namespace tidemark::mongo

#endif  // TIDEMARK_CAPTURE_MONGO_MONGO_ERRORS_H_
