// Small file helpers shared by the journal, checkpoint store and schema registry.
#ifndef TIDEMARK_COMMON_FILE_UTIL_H_
#define TIDEMARK_COMMON_FILE_UTIL_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tidemark {

// Writes `data` to `path` atomically: PATH.tmp, fsync, rename, fsync of the directory.
// After a crash the file holds either the old or the new content, never a mix.
absl::Status WriteFileAtomically(const std::string& path, std::string_view data);

// The whole file; kNotFound when it does not exist.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// mkdir -p.
absl::Status MakeDirs(const std::string& path);

// fsync of a directory (after creating, renaming or removing files in it).
absl::Status SyncDir(const std::string& dir);

// "<what> <path>: <strerror(errno)>" with the code errno implies (kNotFound, kPermissionDenied,
// kResourceExhausted for ENOSPC, else kInternal).
absl::Status ErrnoError(std::string_view what, std::string_view path, int err);

}  // namespace tidemark

#endif  // TIDEMARK_COMMON_FILE_UTIL_H_
