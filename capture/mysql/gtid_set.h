// GTID sets (pure). MariaDB: one "domain-server-seq" per domain, comma separated
// ("0-1-42,1-2-7"); the newest seq of each domain is the position. MySQL:
// "uuid:1-5:7,uuid2:1-3" interval sets. Parse and print in the server's own notation.
#ifndef TIDEMARK_CAPTURE_MYSQL_GTID_SET_H_
#define TIDEMARK_CAPTURE_MYSQL_GTID_SET_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace tidemark::mysql {

class GtidSet {
 public:
  // Parses either notation (empty: empty set). kInvalidArgument naming the bad part.
  static absl::StatusOr<GtidSet> Parse(std::string_view text);

  // MariaDB: domain's position becomes server-seq.
  void AddMaria(uint32_t domain, uint32_t server, uint64_t seq);
  // MySQL: adds one transaction number of `uuid` (text form).
  void AddMysql(const std::string& uuid, int64_t gno);
  // Replaces the MariaDB part (GTID_LIST at the start of a binlog file).
  void SetMaria(std::map<uint32_t, std::pair<uint32_t, uint64_t>> domains) {
    maria_ = std::move(domains);
  }

  bool empty() const { return maria_.empty() && mysql_.empty(); }
  bool is_maria() const { return !maria_.empty(); }
  bool is_mysql() const { return !mysql_.empty(); }
  std::string ToString() const;
  // The MySQL part in the server's binary encoding (Gtid_set::encode, the data of
  // COM_BINLOG_DUMP_GTID): n_sids:8, then per uuid sid:16 n_intervals:8 and per interval
  // start:8 end:8 with `end` exclusive; little-endian.
  std::string EncodeMysql() const;

 private:
  std::map<uint32_t, std::pair<uint32_t, uint64_t>> maria_;       // domain → (server, seq)
  std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> mysql_;  // uuid → [a,b] inclusive
};

// "3e11fa47-71ca-11e1-9e33-c80aa9429562" from 16 bytes.
std::string UuidText(const uint8_t* sid);
// The 16 bytes of a uuid in text form; false when `text` is not one.
bool UuidBytes(std::string_view text, std::string* out);

// The COM_BINLOG_DUMP_GTID request after the command byte (MySQL
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_binlog_dump_gtid.html):
// flags:2 server_id:4 filename_len:4 filename pos:8, and with flag BINLOG_THROUGH_GTID
// (0x04, always set here) data_size:4 data (GtidSet::EncodeMysql). Little-endian.
std::string EncodeBinlogDumpGtid(uint32_t server_id, std::string_view file, uint64_t pos,
                                 const GtidSet& gtids);

}  // namespace tidemark::mysql

#endif  // TIDEMARK_CAPTURE_MYSQL_GTID_SET_H_
