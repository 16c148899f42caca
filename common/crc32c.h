// CRC-32C (Castagnoli), as used by the journal's record headers. Uses the SSE4.2
// instruction when the CPU has it, a slicing table otherwise; both give the same value.
#ifndef TIDEMARK_COMMON_CRC32C_H_
#define TIDEMARK_COMMON_CRC32C_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tidemark {

// Extends `crc` (0 to start) with `data`.
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t n);
inline uint32_t Crc32c(std::string_view data) { return Crc32cExtend(0, data.data(), data.size()); }

}  // namespace tidemark

#endif  // TIDEMARK_COMMON_CRC32C_H_
