#include "capture/pg/tcp_counters.h"

// linux/tcp.h has the whole struct tcp_info (glibc's netinet/tcp.h stops short of the
// counters); this file includes no other TCP header, so the two cannot clash.
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>

namespace tidemark::pg {

std::optional<TcpReceiveCounters> ReadTcpReceiveCounters(int fd) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return std::nullopt;
  if (len < offsetof(tcp_info, tcpi_segs_in) + sizeof info.tcpi_segs_in) return std::nullopt;
  return TcpReceiveCounters{info.tcpi_bytes_received, info.tcpi_segs_in, info.tcpi_advmss};
}

}  // namespace tidemark::pg
