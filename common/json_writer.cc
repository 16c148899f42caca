#include "common/json_writer.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <cstring>

namespace tidemark::json {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence starting at s[i], 0 when invalid (RFC 3629 §4).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t c = b(i);
  if (c < 0x80) return 1;
  size_t n;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // UTF-16 surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // > U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  }
  return n;
}

void AppendEscapedByte(std::string* out, uint8_t c) {
  out->append("\\u00");
  out->push_back(kHex[c >> 4]);
  out->push_back(kHex[c & 0xF]);
}

// True when none of the 8 bytes at p needs attention: all are in [0x20, 0x7F) and
// none is '"' or '\\' (SWAR; a false "no" only sends the bytes through the slow path).
inline bool PlainWord(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  const auto has_zero = [](uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  const uint64_t below_space = (w - 0x20 * kOnes) & ~w & kHigh;
  const uint64_t high_or_del = (w | (w + kOnes)) & kHigh;  // >= 0x80, or 0x7F
  return (below_space | high_or_del | has_zero(w ^ (0x22 * kOnes)) | has_zero(w ^ (0x5C * kOnes))) == 0;
}

// Escapes s into out; `strict` decides whether invalid UTF-8 fails or is escaped.
absl::Status AppendStringImpl(std::string* out, std::string_view s, bool strict) {
  out->push_back('"');
  size_t run = 0;  // start of the pending run of bytes that need no escaping
  size_t i = 0;
  const auto flush = [&](size_t end) { out->append(s.data() + run, end - run); };
  while (i < s.size()) {
    if (i + 8 <= s.size() && PlainWord(s.data() + i)) {  // 8 bytes that need no escaping
      i += 8;
      continue;
    }
    const uint8_t c = static_cast<uint8_t>(s[i]);
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c < 0x80) {
      flush(i);
      switch (c) {
        case '"': out->append("\\\""); break;
        case '\\': out->append("\\\\"); break;
        case '\b': out->append("\\b"); break;
        case '\f': out->append("\\f"); break;
        case '\n': out->append("\\n"); break;
        case '\r': out->append("\\r"); break;
        case '\t': out->append("\\t"); break;
        default: AppendEscapedByte(out, c); break;
      }
      run = ++i;
      continue;
    }
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      if (strict) {
        return absl::InvalidArgumentError(
            fmt::format("invalid UTF-8 at byte {} of {}", i, s.size()));
      }
      flush(i);
      AppendEscapedByte(out, c);
      run = ++i;
      continue;
    }
    // U+2028 / U+2029 are E2 80 A8 / E2 80 A9.
    if (n == 3 && c == 0xE2 && static_cast<uint8_t>(s[i + 1]) == 0x80 &&
        (static_cast<uint8_t>(s[i + 2]) & 0xFE) == 0xA8) {
      flush(i);
      out->append(static_cast<uint8_t>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029");
      i += 3;
      run = i;
      continue;
    }
    i += n;
  }
  flush(i);
  out->push_back('"');
  return absl::OkStatus();
}

// Recursive-descent validator/minifier over RFC 8259's grammar.
class Minifier {
 public:
  Minifier(std::string_view in, std::string* out) : in_(in), out_(out) {}

  absl::Status Run() {
    SkipSpace();
    if (!Value(0)) return Fail();
    SkipSpace();
    if (pos_ != in_.size()) {
      error_ = "trailing characters after the JSON value";
      return Fail();
    }
    return absl::OkStatus();
  }

 private:
  static constexpr int kMaxDepth = 1000;

  absl::Status Fail() const {
    return absl::InvalidArgumentError(
        fmt::format("invalid JSON: {} at byte {} of {}", error_.empty() ? "syntax error" : error_,
                    pos_, in_.size()));
  }
  bool At(char c) const { return pos_ < in_.size() && in_[pos_] == c; }
  bool Error(const char* what) {
    if (error_.empty()) error_ = what;
    return false;
  }
  void SkipSpace() {
    while (pos_ < in_.size() &&
           (in_[pos_] == ' ' || in_[pos_] == '\t' || in_[pos_] == '\n' || in_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool Literal(std::string_view word) {
    if (in_.substr(pos_, word.size()) != word) return Error("unexpected character");
    out_->append(word);
    pos_ += word.size();
    return true;
  }

  bool Value(int depth) {
    if (pos_ >= in_.size()) return Error("unexpected end");
    switch (in_[pos_]) {
      case '{': return Container(depth, '{', '}');
      case '[': return Container(depth, '[', ']');
      case '"': return String();
      case 't': return Literal("true");
      case 'f': return Literal("false");
      case 'n': return Literal("null");
      default: return Number();
    }
  }

  bool Container(int depth, char open, char close) {
    if (depth >= kMaxDepth) return Error("nesting deeper than 1000 levels");
    out_->push_back(open);
    ++pos_;
    SkipSpace();
    if (At(close)) {
      out_->push_back(close);
      ++pos_;
      return true;
    }
    while (true) {
      if (open == '{') {
        if (!At('"')) return Error("expected a string key");
        if (!String()) return false;
        SkipSpace();
        if (!At(':')) return Error("expected ':'");
        out_->push_back(':');
        ++pos_;
        SkipSpace();
      }
      if (!Value(depth + 1)) return false;
      SkipSpace();
      if (At(',')) {
        out_->push_back(',');
        ++pos_;
        SkipSpace();
        continue;
      }
      if (At(close)) {
        out_->push_back(close);
        ++pos_;
        return true;
      }
      return Error(open == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
    }
  }

  static bool IsHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  bool String() {
    const size_t start = pos_++;
    while (true) {
      if (pos_ >= in_.size()) return Error("unterminated string");
      const uint8_t c = static_cast<uint8_t>(in_[pos_]);
      if (c == '"') break;
      if (c < 0x20) return Error("control character in string");
      if (c == '\\') {
        if (pos_ + 1 >= in_.size()) return Error("unterminated string");
        const char e = in_[pos_ + 1];
        if (e == 'u') {
          if (pos_ + 6 > in_.size()) return Error("truncated \\u escape");
          for (size_t k = 2; k < 6; ++k) {
            if (!IsHex(in_[pos_ + k])) return Error("bad \\u escape");
          }
          pos_ += 6;
        } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                   e == 'r' || e == 't') {
          pos_ += 2;
        } else {
          return Error("bad escape");
        }
        continue;
      }
      if (c < 0x80) {
        ++pos_;
        continue;
      }
      const size_t n = Utf8SequenceLength(in_, pos_);
      if (n == 0) return Error("invalid UTF-8");
      pos_ += n;
    }
    ++pos_;
    out_->append(in_.substr(start, pos_ - start));
    return true;
  }

  bool Digits() {
    const size_t start = pos_;
    while (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') ++pos_;
    return pos_ > start;
  }

  bool Number() {
    const size_t start = pos_;
    if (At('-')) ++pos_;
    if (At('0')) {
      ++pos_;
    } else if (pos_ >= in_.size() || in_[pos_] < '1' || in_[pos_] > '9') {
      return Error("unexpected character");
    } else {
      Digits();
    }
    if (At('.')) {
      ++pos_;
      if (!Digits()) return Error("digit expected after '.'");
    }
    if (At('e') || At('E')) {
      ++pos_;
      if (At('+') || At('-')) ++pos_;
      if (!Digits()) return Error("digit expected in exponent");
    }
    out_->append(in_.substr(start, pos_ - start));
    return true;
  }

  std::string_view in_;
  std::string* out_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace

absl::Status AppendString(std::string* out, std::string_view s) {
  return AppendStringImpl(out, s, /*strict=*/true);
}

void AppendTrustedString(std::string* out, std::string_view s) {
  (void)AppendStringImpl(out, s, /*strict=*/false);
}

absl::Status AppendMinified(std::string* out, std::string_view doc) {
  return Minifier(doc, out).Run();
}

void AppendInt(std::string* out, int64_t v) {
  char buf[24];
  out->append(buf, static_cast<size_t>(std::to_chars(buf, buf + sizeof(buf), v).ptr - buf));
}

void AppendUint(std::string* out, uint64_t v) {
  char buf[24];
  out->append(buf, static_cast<size_t>(std::to_chars(buf, buf + sizeof(buf), v).ptr - buf));
}

void AppendBase64(std::string* out, std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out->reserve(out->size() + (bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  const auto b = [&](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = b(i) << 16 | b(i + 1) << 8 | b(i + 2);
    out->push_back(kAlphabet[(v >> 18) & 63]);
    out->push_back(kAlphabet[(v >> 12) & 63]);
    out->push_back(kAlphabet[(v >> 6) & 63]);
    out->push_back(kAlphabet[v & 63]);
  }
  const size_t rest = bytes.size() - i;
  if (rest == 0) return;
  const uint32_t v = b(i) << 16 | (rest == 2 ? b(i + 1) << 8 : 0);
  out->push_back(kAlphabet[(v >> 18) & 63]);
  out->push_back(kAlphabet[(v >> 12) & 63]);
  out->push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
  out->push_back('=');
}

size_t FindInvalidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

}  // namespace tidemark::json
