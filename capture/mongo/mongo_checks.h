// `tidemark check` for MongoDB: every unmet prerequisite with its fix.
//   - a replica set or a sharded cluster (hello: setName or msg "isdbgrid");
//   - privileges (connectionStatus showPrivileges): find and changeStream on the
//     watched database (or cluster-wide for a deployment stream); skipped when the
//     server runs without authentication (nobody is authenticated);
//   - capture_mode pre_post_images: changeStreamPreAndPostImages enabled on every
//     watched collection (listCollections; needs source.database).
#ifndef TIDEMARK_CAPTURE_MONGO_MONGO_CHECKS_H_
#define TIDEMARK_CAPTURE_MONGO_MONGO_CHECKS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "capture/mongo/change_stream.h"
#include "capture/source.h"

namespace tidemark::mongo {

// A non-OK status only when the checks could not run (server unreachable).
absl::StatusOr<std::vector<Prerequisite>> CheckMongo(MongoClient& client, const WatchOptions& o);

}  // namespace tidemark::mongo

#endif  // TIDEMARK_CAPTURE_MONGO_MONGO_CHECKS_H_
