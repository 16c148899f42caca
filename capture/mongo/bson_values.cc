#include "capture/mongo/bson_values.h"

#include <fmt/format.h>

#include <limits>

#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark::mongo {
namespace {

std::string Child(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

// Fields of the document or array `it` points into (it is positioned by bson_iter_recurse).
absl::Status ReadFields(bson_iter_t* child, std::string_view path, v1::Document* doc,
                        v1::ValueArray* array) {
  while (bson_iter_next(child)) {
    std::string_view key(bson_iter_key(child), bson_iter_key_len(child));
    TM_ASSIGN_OR_RETURN(v1::Value v, BsonValueToValue(*child, Child(path, key)));
    if (doc != nullptr) {
      v1::DocumentField* f = doc->add_fields();
      f->set_name(std::string(key));
      *f->mutable_value() = std::move(v);
    } else {
      *array->add_elements() = std::move(v);
    }
  }
  return absl::OkStatus();
}

absl::Status CheckUtf8(const char* s, uint32_t len, std::string_view path, std::string_view what) {
  if (!bson_utf8_validate(s, len, /*allow_null=*/true)) {
    return absl::DataLossError(fmt::format("BSON {} at {} is not valid UTF-8", what, path));
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view BsonTypeName(bson_type_t type) {
  switch (type) {
    case BSON_TYPE_DOUBLE: return "double";
    case BSON_TYPE_UTF8: return "string";
    case BSON_TYPE_DOCUMENT: return "object";
    case BSON_TYPE_ARRAY: return "array";
    case BSON_TYPE_BINARY: return "binData";
    case BSON_TYPE_UNDEFINED: return "undefined";
    case BSON_TYPE_OID: return "objectId";
    case BSON_TYPE_BOOL: return "bool";
    case BSON_TYPE_DATE_TIME: return "date";
    case BSON_TYPE_NULL: return "null";
    case BSON_TYPE_REGEX: return "regex";
    case BSON_TYPE_DBPOINTER: return "dbPointer";
    case BSON_TYPE_CODE: return "javascript";
    case BSON_TYPE_SYMBOL: return "symbol";
    case BSON_TYPE_CODEWSCOPE: return "javascriptWithScope";
    case BSON_TYPE_INT32: return "int";
    case BSON_TYPE_TIMESTAMP: return "timestamp";
    case BSON_TYPE_INT64: return "long";
    case BSON_TYPE_DECIMAL128: return "decimal";
    case BSON_TYPE_MINKEY: return "minKey";
    case BSON_TYPE_MAXKEY: return "maxKey";
    default: return "unknown";
  }
}

absl::StatusOr<v1::Value> BsonValueToValue(const bson_iter_t& it_in, std::string_view path) {
  bson_iter_t it = it_in;
  v1::Value v;
  const bson_type_t type = bson_iter_type(&it);
  switch (type) {
    case BSON_TYPE_DOUBLE:
      v.set_double_value(bson_iter_double(&it));
      return v;
    case BSON_TYPE_UTF8: {
      uint32_t len = 0;
      const char* s = bson_iter_utf8(&it, &len);
      TM_RETURN_IF_ERROR(CheckUtf8(s, len, path, "string"));
      v.set_text_value(std::string(s, len));
      return v;
    }
    case BSON_TYPE_DOCUMENT:
    case BSON_TYPE_ARRAY: {
      bson_iter_t child;
      if (!bson_iter_recurse(&it, &child)) {
        return absl::DataLossError(fmt::format("malformed embedded BSON {} at {}",
                                               BsonTypeName(type), path));
      }
      if (type == BSON_TYPE_DOCUMENT) {
        TM_RETURN_IF_ERROR(ReadFields(&child, path, v.mutable_document(), nullptr));
      } else {
        TM_RETURN_IF_ERROR(ReadFields(&child, path, nullptr, v.mutable_array()));
      }
      return v;
    }
    case BSON_TYPE_BINARY: {
      bson_subtype_t subtype;
      uint32_t len = 0;
      const uint8_t* data = nullptr;
      bson_iter_binary(&it, &subtype, &len, &data);
      std::string bytes(reinterpret_cast<const char*>(data), len);
      if (subtype == BSON_SUBTYPE_BINARY) {
        v.set_bytes_value(std::move(bytes));
      } else if (subtype == BSON_SUBTYPE_UUID && len == 16) {
        v.set_uuid(std::move(bytes));
      } else {
        v.mutable_binary()->set_data(std::move(bytes));
        v.mutable_binary()->set_subtype(static_cast<uint32_t>(subtype));
      }
      return v;
    }
    case BSON_TYPE_OID:
      v.set_object_id(std::string(reinterpret_cast<const char*>(bson_iter_oid(&it)->bytes), 12));
      return v;
    case BSON_TYPE_BOOL:
      v.set_bool_value(bson_iter_bool(&it));
      return v;
    case BSON_TYPE_DATE_TIME: {
      const int64_t ms = bson_iter_date_time(&it);
      constexpr int64_t kMax = std::numeric_limits<int64_t>::max() / 1000;
      if (ms > kMax || ms < -kMax) {
        return absl::OutOfRangeError(fmt::format(
            "BSON date {} ms at {} is beyond the int64 microsecond range tidemark keeps", ms, path));
      }
      v.set_timestamptz_micros(ms * 1000);
      return v;
    }
    case BSON_TYPE_NULL:
      v.set_null_value(v1::NULL_VALUE);
      return v;
    case BSON_TYPE_REGEX: {
      const char* options = nullptr;
      const char* pattern = bson_iter_regex(&it, &options);
      v.mutable_regex()->set_pattern(pattern ? pattern : "");
      v.mutable_regex()->set_options(options ? options : "");
      return v;
    }
    case BSON_TYPE_CODE: {
      uint32_t len = 0;
      const char* code = bson_iter_code(&it, &len);
      TM_RETURN_IF_ERROR(CheckUtf8(code, len, path, "code"));
      v.mutable_code()->set_code(std::string(code, len));
      return v;
    }
    case BSON_TYPE_CODEWSCOPE: {
      uint32_t len = 0, scope_len = 0;
      const uint8_t* scope = nullptr;
      const char* code = bson_iter_codewscope(&it, &len, &scope_len, &scope);
      TM_RETURN_IF_ERROR(CheckUtf8(code, len, path, "code"));
      v.mutable_code()->set_code(std::string(code, len));
      bson_t scope_doc;
      if (!bson_init_static(&scope_doc, scope, scope_len)) {
        return absl::DataLossError(fmt::format("malformed code scope at {}", path));
      }
      TM_ASSIGN_OR_RETURN(v1::Value s, BsonDocumentToValue(scope_doc, Child(path, "$scope")));
      *v.mutable_code()->mutable_scope() = std::move(*s.mutable_document());
      return v;
    }
    case BSON_TYPE_SYMBOL: {
      uint32_t len = 0;
      const char* sym = bson_iter_symbol(&it, &len);
      TM_RETURN_IF_ERROR(CheckUtf8(sym, len, path, "symbol"));
      v.set_bson_symbol(std::string(sym, len));
      return v;
    }
    case BSON_TYPE_INT32:
      v.set_int_value(bson_iter_int32(&it));
      v.set_bson_int32(true);
      return v;
    case BSON_TYPE_INT64:
      v.set_int_value(bson_iter_int64(&it));
      return v;
    case BSON_TYPE_TIMESTAMP: {
      uint32_t t = 0, i = 0;
      bson_iter_timestamp(&it, &t, &i);
      v.mutable_bson_timestamp()->set_t(t);
      v.mutable_bson_timestamp()->set_i(i);
      return v;
    }
    case BSON_TYPE_DECIMAL128: {
      bson_decimal128_t d;
      bson_iter_decimal128(&it, &d);
      char buf[BSON_DECIMAL128_STRING];
      bson_decimal128_to_string(&d, buf);
      v.set_decimal_value(buf);
      return v;
    }
    case BSON_TYPE_MINKEY:
      v.set_bson_key(v1::BSON_MIN_KEY);
      return v;
    case BSON_TYPE_MAXKEY:
      v.set_bson_key(v1::BSON_MAX_KEY);
      return v;
    case BSON_TYPE_UNDEFINED:
    case BSON_TYPE_DBPOINTER:
      return absl::FailedPreconditionError(fmt::format(
          "BSON type {} (deprecated) at {} has no exact tidemark value; convert the field "
          "(e.g. to null or a DBRef document) at the source",
          BsonTypeName(type), path));
    default:
      break;
  }
  return absl::DataLossError(
      fmt::format("unknown BSON type 0x{:02x} at {}", static_cast<int>(type), path));
}

absl::StatusOr<v1::Value> BsonDocumentToValue(const bson_t& doc, std::string_view path) {
  bson_iter_t it;
  if (!bson_iter_init(&it, &doc)) {
    return absl::DataLossError(fmt::format("malformed BSON document at {}", path));
  }
  v1::Value v;
  v.mutable_document();
  TM_RETURN_IF_ERROR(ReadFields(&it, path, v.mutable_document(), nullptr));
  return v;
}

}  // namespace tidemark::mongo
