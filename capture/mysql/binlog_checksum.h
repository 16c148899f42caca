// The binlog event checksum: CRC-32 (the zlib/IEEE polynomial) of an event's header
// and body. libdeflate computes it with carry-less multiplication where the CPU has
// it (about ten times zlib's crc32 on this project's machines), so verifying every
// event costs little of the binlog reader's thread.
#ifndef TIDEMARK_CAPTURE_MYSQL_BINLOG_CHECKSUM_H_
#define TIDEMARK_CAPTURE_MYSQL_BINLOG_CHECKSUM_H_

#include <cstddef>
#include <cstdint>

#include <libdeflate.h>

namespace tidemark::mysql {

inline uint32_t BinlogCrc32(const void* data, size_t n) { return libdeflate_crc32(0, data, n); }

}  // namespace tidemark::mysql

#endif  // TIDEMARK_CAPTURE_MYSQL_BINLOG_CHECKSUM_H_
