#include "capture/mysql/value_decoder.h"

#include <fmt/format.h>

#include <cstring>

#include "capture/mysql/column_type.h"
#include "capture/mysql/json_binary.h"
#include "common/json_writer.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark::mysql {
namespace {

constexpr int kDig2Bytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};

uint64_t BigEndian(std::string_view b) {
  uint64_t v = 0;
  for (char c : b) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

absl::Status Invalid(const ColumnDef& col, std::string_view msg) {
  return absl::InvalidArgumentError(fmt::format("column {} ({}): {}", col.name,
                                                TypeName(col.real_type), msg));
}

// Fractional seconds (fsp digits) stored big-endian in (fsp+1)/2 bytes → micros.
absl::StatusOr<int64_t> ReadFrac(ByteReader& r, int fsp) {
  if (fsp <= 0) return 0;
  int n = (fsp + 1) / 2;
  TM_ASSIGN_OR_RETURN(std::string_view b, r.Bytes(n, "fractional seconds"));
  int64_t v = static_cast<int64_t>(BigEndian(b));
  return n == 1 ? v * 10000 : n == 2 ? v * 100 : v;
}

std::string FracText(int64_t micros, int fsp) {
  if (fsp <= 0) return "";
  std::string f = fmt::format("{:06d}", micros);
  return "." + f.substr(0, fsp);
}

v1::Value ZeroDate(std::string text) {
  v1::Value v;
  v.set_text_value(std::move(text));
  return v;
}

absl::StatusOr<v1::Value> DateValue(const ColumnDef& col, uint64_t year, unsigned month,
                                    unsigned day, int64_t time_micros, int fsp, bool with_time,
                                    unsigned h, unsigned mi, unsigned s, int64_t frac) {
  if (month == 0 || day == 0) {
    std::string t = fmt::format("{:04d}-{:02d}-{:02d}", year, month, day);
    if (with_time) t += fmt::format(" {:02d}:{:02d}:{:02d}{}", h, mi, s, FracText(frac, fsp));
    return ZeroDate(std::move(t));
  }
  if (month > 12 || day > 31 || h > 23 || mi > 59 || s > 59) {
    return Invalid(col, fmt::format("invalid date-time {:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}",
                                    year, month, day, h, mi, s));
  }
  v1::Value v;
  int64_t days = DaysFromCivil(static_cast<int64_t>(year), month, day);
  if (with_time) {
    v.set_timestamp_micros(days * 86400000000LL + time_micros);
  } else {
    v.set_date_days(static_cast<int32_t>(days));
  }
  return v;
}

absl::StatusOr<v1::Value> DecodeString(ByteReader& r, const ColumnDef& col, size_t len_bytes) {
  TM_ASSIGN_OR_RETURN(uint64_t len, r.UintLE(len_bytes, "string length"));
  TM_ASSIGN_OR_RETURN(std::string_view bytes, r.Bytes(len, "string bytes"));
  v1::Value v;
  if (col.charset == "binary" || col.charset.empty()) {
    if (col.charset.empty() && col.real_type != MYSQL_TYPE_BLOB &&
        col.real_type != MYSQL_TYPE_TINY_BLOB && col.real_type != MYSQL_TYPE_MEDIUM_BLOB &&
        col.real_type != MYSQL_TYPE_LONG_BLOB) {
      return absl::FailedPreconditionError(fmt::format(
          "column {} ({}): character set unknown (the table map has no charset metadata and "
          "the schema history has none); set binlog_row_metadata=FULL",
          col.name, TypeName(col.real_type)));
    }
    std::string b(bytes);
    if (col.real_type == MYSQL_TYPE_STRING) {
      uint32_t n = StringFieldLength(col.meta);
      if (b.size() < n) b.resize(n, '\0');  // BINARY(n) is zero-padded
    }
    v.set_bytes_value(std::move(b));
    return v;
  }
  auto text = ToUtf8(bytes, col.charset);
  if (!text.ok()) {
    return absl::Status(text.status().code(),
                        fmt::format("column {}: {}", col.name, text.status().message()));
  }
  // MariaDB JSON is LONGTEXT whose CHECK (json_valid) the server enforces; a value
  // that is not JSON all the same (written with check_constraint_checks=0) is kept as
  // the exact string rather than embedded as broken JSON.
  std::string scratch;
  if (col.is_json && json::AppendMinified(&scratch, *text).ok()) {
    v.set_json_text(std::move(*text));
  } else {
    v.set_text_value(std::move(*text));
  }
  return v;
}

}  // namespace

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

size_t DecimalBinarySize(int precision, int scale) {
  int intg = precision - scale;
  return static_cast<size_t>((intg / 9) * 4 + kDig2Bytes[intg % 9] + (scale / 9) * 4 +
                             kDig2Bytes[scale % 9]);
}

absl::StatusOr<std::string> DecodeDecimal(std::string_view in, int precision, int scale) {
  if (precision <= 0 || precision > 65 || scale < 0 || scale > 30 || scale > precision) {
    return absl::InvalidArgumentError(fmt::format("DECIMAL({},{}) out of range", precision, scale));
  }
  size_t size = DecimalBinarySize(precision, scale);
  if (in.size() != size) {
    return absl::DataLossError(
        fmt::format("DECIMAL({},{}) needs {} bytes, got {}", precision, scale, size, in.size()));
  }
  std::string b(in);
  bool negative = (static_cast<uint8_t>(b[0]) & 0x80) == 0;
  b[0] = static_cast<char>(b[0] ^ 0x80);
  if (negative) {
    for (char& c : b) c = static_cast<char>(~c);
  }
  int intg = precision - scale;
  size_t pos = 0;
  auto take = [&](int n) {
    uint64_t v = BigEndian(std::string_view(b).substr(pos, n));
    pos += n;
    return v;
  };
  std::string int_digits;
  if (intg % 9) int_digits += fmt::format("{:0{}d}", take(kDig2Bytes[intg % 9]), intg % 9);
  for (int i = 0; i < intg / 9; ++i) int_digits += fmt::format("{:09d}", take(4));
  std::string frac_digits;
  for (int i = 0; i < scale / 9; ++i) frac_digits += fmt::format("{:09d}", take(4));
  if (scale % 9) frac_digits += fmt::format("{:0{}d}", take(kDig2Bytes[scale % 9]), scale % 9);
  if (int_digits.size() > static_cast<size_t>(intg) ||
      frac_digits.size() > static_cast<size_t>(scale)) {
    return absl::InvalidArgumentError(
        fmt::format("DECIMAL({},{}) digit group out of range", precision, scale));
  }
  size_t nz = int_digits.find_first_not_of('0');
  int_digits = nz == std::string::npos ? "0" : int_digits.substr(nz);
  std::string out = negative ? "-" : "";
  out += int_digits;
  if (scale > 0) out += "." + frac_digits;
  return out;
}

absl::StatusOr<v1::Value> DecodeValue(ByteReader& r, const ColumnDef& col) {
  v1::Value v;
  switch (col.real_type) {
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_LONGLONG: {
      size_t w = col.real_type == MYSQL_TYPE_TINY    ? 1
                 : col.real_type == MYSQL_TYPE_SHORT ? 2
                 : col.real_type == MYSQL_TYPE_INT24 ? 3
                 : col.real_type == MYSQL_TYPE_LONG  ? 4
                                                     : 8;
      TM_ASSIGN_OR_RETURN(uint64_t u, r.UintLE(w, "integer"));
      if (col.is_unsigned) {
        v.set_uint_value(u);
      } else {
        int shift = static_cast<int>(64 - 8 * w);
        v.set_int_value(static_cast<int64_t>(u << shift) >> shift);
      }
      return v;
    }
    case MYSQL_TYPE_FLOAT: {
      TM_ASSIGN_OR_RETURN(uint64_t u, r.UintLE(4, "float"));
      uint32_t u32 = static_cast<uint32_t>(u);
      float f;
      std::memcpy(&f, &u32, 4);
      v.set_float_value(f);
      return v;
    }
    case MYSQL_TYPE_DOUBLE: {
      TM_ASSIGN_OR_RETURN(uint64_t u, r.UintLE(8, "double"));
      double d;
      std::memcpy(&d, &u, 8);
      v.set_double_value(d);
      return v;
    }
    case MYSQL_TYPE_NEWDECIMAL: {
      int precision = col.meta >> 8, scale = col.meta & 0xff;
      TM_ASSIGN_OR_RETURN(std::string_view b,
                          r.Bytes(DecimalBinarySize(precision, scale), "decimal"));
      auto d = DecodeDecimal(b, precision, scale);
      if (!d.ok()) return Invalid(col, SV(d.status().message()));
      v.set_decimal_value(std::move(*d));
      return v;
    }
    case MYSQL_TYPE_YEAR: {
      TM_ASSIGN_OR_RETURN(uint8_t y, r.U8("year"));
      v.set_int_value(y == 0 ? 0 : 1900 + y);
      return v;
    }
    case MYSQL_TYPE_BIT: {
      unsigned nbits = (col.meta >> 8) * 8 + (col.meta & 0xff);
      TM_ASSIGN_OR_RETURN(std::string_view b, r.Bytes((nbits + 7) / 8, "bit"));
      uint64_t u = BigEndian(b);
      std::string s(nbits, '0');
      for (unsigned i = 0; i < nbits; ++i) {
        if ((u >> (nbits - 1 - i)) & 1) s[i] = '1';
      }
      v.set_bit_string(std::move(s));
      return v;
    }
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_NEWDATE: {
      TM_ASSIGN_OR_RETURN(uint64_t u, r.UintLE(3, "date"));
      return DateValue(col, u >> 9, (u >> 5) & 15, u & 31, 0, 0, false, 0, 0, 0, 0);
    }
    case MYSQL_TYPE_DATETIME2: {
      int fsp = col.meta;
      TM_ASSIGN_OR_RETURN(std::string_view b, r.Bytes(5, "datetime"));
      int64_t packed = static_cast<int64_t>(BigEndian(b)) - 0x8000000000LL;
      TM_ASSIGN_OR_RETURN(int64_t frac, ReadFrac(r, fsp));
      if (packed < 0) return Invalid(col, "negative DATETIME");
      uint64_t ymd = static_cast<uint64_t>(packed) >> 17, ym = ymd >> 5;
      uint64_t hms = static_cast<uint64_t>(packed) & 0x1FFFF;
      unsigned h = static_cast<unsigned>(hms >> 12), mi = (hms >> 6) & 63, s = hms & 63;
      int64_t tm = ((h * 60 + mi) * 60 + s) * 1000000LL + frac;
      return DateValue(col, ym / 13, static_cast<unsigned>(ym % 13),
                       static_cast<unsigned>(ymd & 31), tm, fsp, true, h, mi, s, frac);
    }
    case MYSQL_TYPE_DATETIME: {
      TM_ASSIGN_OR_RETURN(uint64_t u, r.UintLE(8, "datetime"));
      uint64_t d = u / 1000000, t = u % 1000000;
      unsigned h = static_cast<unsigned>(t / 10000), mi = (t / 100) % 100, s = t % 100;
      return DateValue(col, d / 10000, (d / 100) % 100, d % 100,
                       ((h * 60 + mi) * 60 + s) * 1000000LL, 0, true, h, mi, s, 0);
    }
    case MYSQL_TYPE_TIMESTAMP2:
    case MYSQL_TYPE_TIMESTAMP: {
      int fsp = col.real_type == MYSQL_TYPE_TIMESTAMP2 ? col.meta : 0;
      uint64_t sec;
      if (col.real_type == MYSQL_TYPE_TIMESTAMP2) {
        TM_ASSIGN_OR_RETURN(std::string_view b, r.Bytes(4, "timestamp"));
        sec = BigEndian(b);
      } else {
        TM_ASSIGN_OR_RETURN(sec, r.UintLE(4, "timestamp"));
      }
      TM_ASSIGN_OR_RETURN(int64_t frac, ReadFrac(r, fsp));
      if (sec == 0 && frac == 0) {
        return ZeroDate("0000-00-00 00:00:00" + FracText(0, fsp));
      }
      v.set_timestamptz_micros(static_cast<int64_t>(sec) * 1000000 + frac);
      return v;
    }
    case MYSQL_TYPE_TIME2: {
      int fsp = col.meta;
      TM_ASSIGN_OR_RETURN(std::string_view b, r.Bytes(3 + (fsp + 1) / 2, "time"));
      int64_t packed;  // MySQL my_time_packed_from_binary
      int64_t intpart = static_cast<int64_t>(BigEndian(b.substr(0, 3))) - 0x800000;
      if (fsp == 0) {
        packed = intpart * (1LL << 24);
      } else if (fsp <= 2) {
        int64_t frac = static_cast<uint8_t>(b[3]);
        if (intpart < 0 && frac) { intpart++; frac -= 0x100; }
        packed = intpart * (1LL << 24) + frac * 10000;
      } else if (fsp <= 4) {
        int64_t frac = static_cast<int64_t>(BigEndian(b.substr(3, 2)));
        if (intpart < 0 && frac) { intpart++; frac -= 0x10000; }
        packed = intpart * (1LL << 24) + frac * 100;
      } else {
        packed = static_cast<int64_t>(BigEndian(b)) - 0x800000000000LL;
      }
      bool neg = packed < 0;
      uint64_t p = static_cast<uint64_t>(neg ? -packed : packed);
      uint64_t hms = p >> 24, frac = p & 0xFFFFFF;
      uint64_t h = (hms >> 12) & 0x3FF, mi = (hms >> 6) & 63, s = hms & 63;
      if (mi > 59 || s > 59 || frac > 999999) return Invalid(col, "invalid TIME");
      int64_t micros = static_cast<int64_t>(((h * 60 + mi) * 60 + s) * 1000000 + frac);
      v.set_time_micros(neg ? -micros : micros);
      return v;
    }
    case MYSQL_TYPE_TIME: {
      TM_ASSIGN_OR_RETURN(uint64_t u, r.UintLE(3, "time"));
      int64_t t = static_cast<int64_t>(u << 40) >> 40;
      bool neg = t < 0;
      if (neg) t = -t;
      int64_t micros = ((t / 10000) * 3600 + ((t / 100) % 100) * 60 + t % 100) * 1000000;
      v.set_time_micros(neg ? -micros : micros);
      return v;
    }
    case MYSQL_TYPE_VARCHAR:
    case MYSQL_TYPE_VAR_STRING:
      return DecodeString(r, col, col.meta > 255 ? 2 : 1);
    case MYSQL_TYPE_STRING:
      return DecodeString(r, col, StringFieldLength(col.meta) > 255 ? 2 : 1);
    case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
    case MYSQL_TYPE_BLOB:
      if (col.meta < 1 || col.meta > 4) return Invalid(col, "BLOB length size not 1..4");
      return DecodeString(r, col, col.meta);
    case MYSQL_TYPE_ENUM: {
      size_t w = col.meta & 0xff;
      if (w != 1 && w != 2) return Invalid(col, fmt::format("ENUM pack length {}", w));
      TM_ASSIGN_OR_RETURN(uint64_t idx, r.UintLE(w, "enum index"));
      if (idx == 0) {
        v.set_enum_label("");
      } else if (idx <= col.labels.size()) {
        v.set_enum_label(col.labels[idx - 1]);
      } else {
        return absl::FailedPreconditionError(fmt::format(
            "column {} (ENUM): index {} but {} labels known; set binlog_row_metadata=FULL or "
            "check the schema history",
            col.name, idx, col.labels.size()));
      }
      return v;
    }
    case MYSQL_TYPE_SET: {
      size_t w = col.meta & 0xff;
      if (w < 1 || w > 8) return Invalid(col, fmt::format("SET pack length {}", w));
      TM_ASSIGN_OR_RETURN(uint64_t bits, r.UintLE(w, "set bits"));
      auto* set = v.mutable_set_labels();
      for (unsigned i = 0; i < 64; ++i) {
        if (!((bits >> i) & 1)) continue;
        if (i >= col.labels.size()) {
          return absl::FailedPreconditionError(fmt::format(
              "column {} (SET): member bit {} but {} labels known; set binlog_row_metadata=FULL",
              col.name, i, col.labels.size()));
        }
        set->add_labels(col.labels[i]);
      }
      return v;
    }
    case MYSQL_TYPE_JSON: {
      if (col.meta < 1 || col.meta > 4) return Invalid(col, "JSON length size not 1..4");
      TM_ASSIGN_OR_RETURN(uint64_t len, r.UintLE(col.meta, "json length"));
      TM_ASSIGN_OR_RETURN(std::string_view b, r.Bytes(len, "json"));
      auto text = JsonBinaryToText(b);
      if (!text.ok()) return Invalid(col, SV(text.status().message()));
      v.set_json_text(std::move(*text));
      return v;
    }
    case MYSQL_TYPE_GEOMETRY: {
      if (col.meta < 1 || col.meta > 4) return Invalid(col, "GEOMETRY length size not 1..4");
      TM_ASSIGN_OR_RETURN(uint64_t len, r.UintLE(col.meta, "geometry length"));
      if (len < 4) return Invalid(col, fmt::format("geometry of {} bytes has no SRID", len));
      TM_ASSIGN_OR_RETURN(uint64_t srid, r.UintLE(4, "srid"));
      TM_ASSIGN_OR_RETURN(std::string_view wkb, r.Bytes(len - 4, "wkb"));
      v.mutable_geometry()->set_srid(static_cast<uint32_t>(srid));
      v.mutable_geometry()->set_wkb(std::string(wkb));
      return v;
    }
    default:
      return absl::FailedPreconditionError(fmt::format(
          "column {}: binlog type {} is not decoded by tidemark", col.name, TypeName(col.real_type)));
  }
}

}  // namespace tidemark::mysql
