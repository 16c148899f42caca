// Low-level JSON text helpers for the envelope and JSON logs (DESIGN.md §4 "JSON form"): string
// escaping with UTF-8 validation, and a validating minifier for embedded JSON
// documents. Everything appends to a caller-owned std::string; nothing allocates
// per call beyond the output's growth. Pure functions, thread-compatible.
#ifndef TIDEMARK_COMMON_JSON_WRITER_H_
#define TIDEMARK_COMMON_JSON_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace tidemark::json {

// Appends `s` as a quoted JSON string. Escapes '"', '\\', control characters
// (\b \f \n \r \t, the others as \u00XX), DEL as \u007f and U+2028/U+2029 (legal
// JSON but line breaks in JavaScript). Other UTF-8 passes through unchanged.
// Invalid UTF-8 (overlong forms, surrogates, stray continuation bytes, truncated
// sequences, code points > U+10FFFF) is kInvalidArgument naming the byte offset:
// data is never silently replaced, and the output never becomes invalid JSON.
// On error `out` may hold a partial string; callers discard the whole line.
absl::Status AppendString(std::string* out, std::string_view s);

// Same, for text known to be valid UTF-8 (names tidemark itself produced).
// Invalid bytes are escaped as \u00XX of the byte value instead of failing.
void AppendTrustedString(std::string* out, std::string_view s);

// Validates `doc` as one JSON value (RFC 8259: objects, arrays, strings with valid
// escapes and valid UTF-8, numbers, true/false/null) and appends it with the
// insignificant whitespace removed, so that a pretty-printed PG `json` value keeps
// a JSON Lines file one line per event. Strings and numbers are copied byte for
// byte (escapes are not re-encoded; key order and duplicate keys are kept).
// Nesting deeper than 1000 levels or any syntax error is kInvalidArgument naming
// the byte offset.
absl::Status AppendMinified(std::string* out, std::string_view doc);

// Appends the decimal form of an integer (std::to_chars: no locale, no format
// string to parse): the hot path of every number in the envelope.
void AppendInt(std::string* out, int64_t v);
void AppendUint(std::string* out, uint64_t v);

// Standard base64 with padding (RFC 4648 §4), as Debezium's binary.handling.mode=bytes.
void AppendBase64(std::string* out, std::string_view bytes);

// Byte offset of the first invalid UTF-8 sequence in `s`, or npos when valid.
size_t FindInvalidUtf8(std::string_view s);

}  // namespace tidemark::json

#endif  // TIDEMARK_COMMON_JSON_WRITER_H_
