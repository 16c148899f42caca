#include "capture/mysql/json_binary.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>

#include "capture/mysql/column_type.h"
#include "capture/mysql/value_decoder.h"
#include "common/status_macros.h"

namespace tidemark::mysql {
namespace {

enum : uint8_t {
  kSmallObject = 0x00, kLargeObject = 0x01, kSmallArray = 0x02, kLargeArray = 0x03,
  kLiteral = 0x04, kInt16 = 0x05, kUint16 = 0x06, kInt32 = 0x07, kUint32 = 0x08,
  kInt64 = 0x09, kUint64 = 0x0a, kDouble = 0x0b, kString = 0x0c, kOpaque = 0x0f,
};
constexpr int kMaxDepth = 150;

class JsonPrinter {
 public:
  explicit JsonPrinter(std::string_view doc) : doc_(doc) {}

  absl::Status Value(uint8_t type, size_t pos, size_t end, int depth, std::string* out) {
    if (depth > kMaxDepth) return Err(pos, "nesting deeper than 150");
    switch (type) {
      case kSmallObject: case kLargeObject:
        return Container(pos, end, type == kLargeObject, true, depth, out);
      case kSmallArray: case kLargeArray:
        return Container(pos, end, type == kLargeArray, false, depth, out);
      case kLiteral: {
        TM_ASSIGN_OR_RETURN(uint64_t l, Uint(pos, 1, end));
        return Literal(l, pos, out);
      }
      case kInt16: case kUint16: case kInt32: case kUint32: case kInt64: case kUint64: {
        size_t w = type <= kUint16 ? 2 : type <= kUint32 ? 4 : 8;
        TM_ASSIGN_OR_RETURN(uint64_t u, Uint(pos, w, end));
        AppendInt(type, u, w, out);
        return absl::OkStatus();
      }
      case kDouble: {
        TM_ASSIGN_OR_RETURN(uint64_t u, Uint(pos, 8, end));
        double d;
        std::memcpy(&d, &u, 8);
        if (!std::isfinite(d)) return Err(pos, "non-finite double");
        std::string s = fmt::format("{}", d);
        if (s.find_first_of(".e") == std::string::npos) s += ".0";
        out->append(s);
        return absl::OkStatus();
      }
      case kString: {
        size_t p = pos;
        TM_ASSIGN_OR_RETURN(uint64_t len, VarLen(&p, end));
        if (len > end - p) return Err(p, "string past the end");
        AppendJsonString(out, doc_.substr(p, len));
        return absl::OkStatus();
      }
      case kOpaque:
        return Opaque(pos, end, out);
      default:
        return Err(pos, fmt::format("unknown type tag 0x{:02x}", type));
    }
  }

 private:
  absl::Status Err(size_t pos, std::string_view msg) const {
    return absl::InvalidArgumentError(
        fmt::format("binary JSON: {} at byte {} of {}", msg, pos, doc_.size()));
  }

  absl::StatusOr<uint64_t> Uint(size_t pos, size_t w, size_t end) const {
    if (pos > end || w > end - pos) return Err(pos, fmt::format("truncated {}-byte integer", w));
    uint64_t v = 0;
    for (size_t i = 0; i < w; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(doc_[pos + i])) << (8 * i);
    return v;
  }

  absl::StatusOr<uint64_t> VarLen(size_t* pos, size_t end) const {
    uint64_t v = 0;
    for (int i = 0; i < 5; ++i) {
      if (*pos >= end) return Err(*pos, "truncated length");
      uint8_t b = static_cast<uint8_t>(doc_[(*pos)++]);
      v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
      if (!(b & 0x80)) return v;
    }
    return Err(*pos, "length longer than 5 bytes");
  }

  absl::Status Literal(uint64_t l, size_t pos, std::string* out) const {
    if (l == 0) out->append("null");
    else if (l == 1) out->append("true");
    else if (l == 2) out->append("false");
    else return Err(pos, fmt::format("unknown literal {}", l));
    return absl::OkStatus();
  }

  static void AppendInt(uint8_t type, uint64_t u, size_t w, std::string* out) {
    bool is_signed = type == kInt16 || type == kInt32 || type == kInt64;
    if (is_signed) {
      int shift = static_cast<int>(64 - 8 * w);
      out->append(fmt::format("{}", static_cast<int64_t>(u << shift) >> shift));
    } else {
      out->append(fmt::format("{}", u));
    }
  }

  absl::Status Container(size_t base, size_t end, bool large, bool object, int depth,
                         std::string* out) {
    size_t w = large ? 4 : 2;
    TM_ASSIGN_OR_RETURN(uint64_t count, Uint(base, w, end));
    TM_ASSIGN_OR_RETURN(uint64_t size, Uint(base + w, w, end));
    if (size > end - base) return Err(base, fmt::format("container size {} past the end", size));
    size_t cend = base + size;
    size_t key_entry = w + 2, value_entry = 1 + w;
    size_t header = 2 * w + count * (object ? key_entry : 0) + count * value_entry;
    if (count > size || header > size) return Err(base, "container header larger than its size");
    out->push_back(object ? '{' : '[');
    for (uint64_t i = 0; i < count; ++i) {
      if (i) out->append(", ");
      if (object) {
        size_t ke = base + 2 * w + i * key_entry;
        TM_ASSIGN_OR_RETURN(uint64_t koff, Uint(ke, w, cend));
        TM_ASSIGN_OR_RETURN(uint64_t klen, Uint(ke + w, 2, cend));
        if (koff > size || klen > size - koff) return Err(ke, "key past the container");
        AppendJsonString(out, doc_.substr(base + koff, klen));
        out->append(": ");
      }
      size_t ve = base + 2 * w + count * (object ? key_entry : 0) + i * value_entry;
      TM_ASSIGN_OR_RETURN(uint64_t t, Uint(ve, 1, cend));
      uint8_t type = static_cast<uint8_t>(t);
      bool inlined = type == kLiteral || type == kInt16 || type == kUint16 ||
                     (large && (type == kInt32 || type == kUint32));
      if (inlined) {
        size_t iw = type == kLiteral ? 1 : (type == kInt16 || type == kUint16) ? 2 : 4;
        TM_ASSIGN_OR_RETURN(uint64_t u, Uint(ve + 1, iw, cend));
        if (type == kLiteral) {
          TM_RETURN_IF_ERROR(Literal(u, ve + 1, out));
        } else {
          AppendInt(type, u, iw, out);
        }
        continue;
      }
      TM_ASSIGN_OR_RETURN(uint64_t off, Uint(ve + 1, w, cend));
      if (off >= size) return Err(ve + 1, fmt::format("value offset {} past the container", off));
      TM_RETURN_IF_ERROR(Value(type, base + off, cend, depth + 1, out));
    }
    out->push_back(object ? '}' : ']');
    return absl::OkStatus();
  }

  absl::Status Opaque(size_t pos, size_t end, std::string* out) {
    TM_ASSIGN_OR_RETURN(uint64_t ft, Uint(pos, 1, end));
    size_t p = pos + 1;
    TM_ASSIGN_OR_RETURN(uint64_t len, VarLen(&p, end));
    if (len > end - p) return Err(p, "opaque value past the end");
    std::string_view data = doc_.substr(p, len);
    switch (ft) {
      case MYSQL_TYPE_NEWDECIMAL: {
        if (data.size() < 2) return Err(p, "opaque decimal without precision and scale");
        int precision = static_cast<uint8_t>(data[0]), scale = static_cast<uint8_t>(data[1]);
        auto d = DecodeDecimal(data.substr(2), precision, scale);
        if (!d.ok()) return Err(p, std::string(d.status().message()));
        out->append(*d);
        return absl::OkStatus();
      }
      case MYSQL_TYPE_DATE: case MYSQL_TYPE_DATETIME: case MYSQL_TYPE_TIMESTAMP:
      case MYSQL_TYPE_TIME: {
        if (data.size() != 8) return Err(p, "opaque temporal value not 8 bytes");
        uint64_t u = 0;
        for (int i = 0; i < 8; ++i) u |= static_cast<uint64_t>(static_cast<uint8_t>(data[i])) << (8 * i);
        int64_t packed = static_cast<int64_t>(u);
        bool neg = packed < 0;
        uint64_t a = static_cast<uint64_t>(neg ? -packed : packed);
        uint64_t frac = a & 0xFFFFFF, rest = a >> 24;
        std::string fs = frac ? fmt::format(".{:06d}", frac) : "";
        std::string s;
        if (ft == MYSQL_TYPE_TIME) {
          uint64_t h = (rest >> 12) & 0x3FF, m = (rest >> 6) & 63, sec = rest & 63;
          s = fmt::format("{}{:02d}:{:02d}:{:02d}{}", neg ? "-" : "", h, m, sec, fs);
        } else {
          uint64_t ymd = rest >> 17, hms = rest & 0x1FFFF, ym = ymd >> 5;
          s = fmt::format("{:04d}-{:02d}-{:02d}", ym / 13, ym % 13, ymd & 31);
          if (ft != MYSQL_TYPE_DATE) {
            s += fmt::format(" {:02d}:{:02d}:{:02d}{}", hms >> 12, (hms >> 6) & 63, hms & 63, fs);
          }
        }
        AppendJsonString(out, s);
        return absl::OkStatus();
      }
      default: {
        static const char* kB64 =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        std::string s = fmt::format("base64:type{}:", ft);
        for (size_t i = 0; i < data.size(); i += 3) {
          uint32_t n = static_cast<uint8_t>(data[i]) << 16;
          if (i + 1 < data.size()) n |= static_cast<uint8_t>(data[i + 1]) << 8;
          if (i + 2 < data.size()) n |= static_cast<uint8_t>(data[i + 2]);
          s.push_back(kB64[(n >> 18) & 63]);
          s.push_back(kB64[(n >> 12) & 63]);
          s.push_back(i + 1 < data.size() ? kB64[(n >> 6) & 63] : '=');
          s.push_back(i + 2 < data.size() ? kB64[n & 63] : '=');
        }
        AppendJsonString(out, s);
        return absl::OkStatus();
      }
    }
  }

  std::string_view doc_;
};

}  // namespace

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char ch : s) {
    uint8_t c = static_cast<uint8_t>(ch);
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default:
        if (c < 0x20) {
          out->append(fmt::format("\\u{:04x}", c));
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

absl::StatusOr<std::string> JsonBinaryToText(std::string_view doc) {
  if (doc.empty()) return std::string("null");
  std::string out;
  JsonPrinter p(doc);
  TM_RETURN_IF_ERROR(p.Value(static_cast<uint8_t>(doc[0]), 1, doc.size(), 0, &out));
  return out;
}

}  // namespace tidemark::mysql
