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

// Nullopt when `fd` is not a TCP socket or the kernel is older than Linux 4.6.
std::optional<TcpReceiveCounters> ReadTcpReceiveCounters(int fd);

}  // namespace tidemark::pg

#endif  // TIDEMARK_CAPTURE_PG_TCP_COUNTERS_H_
