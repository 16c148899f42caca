// Counters of a TCP socket's receiving side, from the kernel (TCP_INFO).
#ifndef TIDEMARK_CAPTURE_PG_TCP_COUNTERS_H_
#define TIDEMARK_CAPTURE_PG_TCP_COUNTERS_H_

#include <cstdint>
#include <optional>

namespace tidemark::pg {

struct TcpReceiveCounters {
  uint64_t bytes = 0;     // payload bytes received (tcpi_bytes_received)
  uint64_t segments = 0;  // segments received, data and pure ACKs (tcpi_segs_in)
  uint32_t mss = 0;       // the largest segment this side accepts (tcpi_advmss)
};

// What arrived between two readings of the counters.
struct TcpReceiveDelta {
  uint64_t bytes = 0;
  uint32_t segments = 0;
  // Bytes per segment (the bytes when no segment was counted).
  uint64_t average_segment() const { return bytes / (segments == 0 ? 1 : segments); }
};
// `now` - `earlier`. tcpi_segs_in is 32 bits wide in the kernel: the count may wrap.
inline TcpReceiveDelta Since(const TcpReceiveCounters& now, const TcpReceiveCounters& earlier) {
  return {now.bytes - earlier.bytes, static_cast<uint32_t>(now.segments - earlier.segments)};
}

// Nullopt when `fd` is not a TCP socket or the kernel is older than Linux 4.6.
std::optional<TcpReceiveCounters> ReadTcpReceiveCounters(int fd);

}  // namespace tidemark::pg

#endif  // TIDEMARK_CAPTURE_PG_TCP_COUNTERS_H_
