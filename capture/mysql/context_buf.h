// A short error-context string built on the stack: binlog parsing makes one for every
// event ("QUERY_EVENT at mariadb-bin.000003:1234") but reads it only on errors, so it
// must cost neither a heap allocation nor format-string parsing. Longer text is cut.
#ifndef TIDEMARK_CAPTURE_MYSQL_CONTEXT_BUF_H_
#define TIDEMARK_CAPTURE_MYSQL_CONTEXT_BUF_H_

#include <charconv>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace tidemark::mysql {

class ContextBuf {
 public:
  ContextBuf& operator<<(std::string_view s) {
    size_t n = std::min(s.size(), sizeof(buf_) - n_);
    std::memcpy(buf_ + n_, s.data(), n);
    n_ += n;
    return *this;
  }
  ContextBuf& operator<<(uint64_t v) {
    char digits[24];
    auto r = std::to_chars(digits, digits + sizeof digits, v);
    return *this << std::string_view(digits, static_cast<size_t>(r.ptr - digits));
  }
  std::string_view view() const { return {buf_, n_}; }

 private:
  char buf_[400];
  size_t n_ = 0;
};

}  // namespace tidemark::mysql

#endif  // TIDEMARK_CAPTURE_MYSQL_CONTEXT_BUF_H_
