#include "capture/mongo/mongo_errors.h"

#include <fmt/format.h>

#include <string>

namespace tidemark::mongo {

absl::Status MongoStatus(const bson_error_t& error, std::string_view what) {
  const std::string msg = error.message;
  const uint32_t code = error.code;
  const bool server = error.domain == MONGOC_ERROR_SERVER || error.domain == MONGOC_ERROR_QUERY ||
                      error.domain == MONGOC_ERROR_WRITE_CONCERN;
  std::string where = fmt::format("mongo: {}: {} (error {}.{})", what, msg, error.domain, code);
  if (server && (code == 286 || msg.find("no longer be in the oplog") != std::string::npos ||
                 (code == 280 && msg.find("resume") != std::string::npos))) {
    return absl::OutOfRangeError(fmt::format(
        "{}; the change stream's resume point is gone from the oplog (ChangeStreamHistoryLost): "
        "events after it cannot be read any more, so a snapshot is needed (re-copy the "
        "collections, then start a new pipeline data_dir; a larger oplog avoids this)",
        where));
  }
  if (server && (code == 13 || code == 18 || code == 11)) {
    return absl::FailedPreconditionError(fmt::format(
        "{}; the user needs the find and changeStream actions on the watched namespaces (e.g. "
        "the read role) and valid credentials in source.uri",
        where));
  }
  if (server && code == 40573) {
    return absl::FailedPreconditionError(fmt::format(
        "{}; change streams need a replica set or a sharded cluster: start mongod with "
        "--replSet and run rs.initiate()",
        where));
  }
  switch (code) {  // stepdown, shutdown, not primary, network-ish server codes
    case 6: case 7: case 89: case 91: case 189: case 262: case 9001: case 10107: case 11600:
    case 11602: case 13435: case 13436: case 63: case 150: case 13388: case 234: case 133:
    case 43:
      if (server) return absl::UnavailableError(fmt::format("{}; reconnecting", where));
      break;
    default:
      break;
  }
  if (!server) {
    // Stream, socket, server selection, client-side protocol errors: the connection.
    return absl::UnavailableError(fmt::format(
        "{}; check that the server in source.uri is up and reachable", where));
  }
  return absl::FailedPreconditionError(where);
}

}  // namespace tidemark::mongo
