// What the pgoutput decoder knows about PostgreSQL types: the built-in oids
// statically, and user types (enums, domains, arrays of them) that the source
// looked up in pg_type. Not thread-safe.
#ifndef TIDEMARK_CAPTURE_PG_TYPE_CATALOG_H_
#define TIDEMARK_CAPTURE_PG_TYPE_CATALOG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "tidemark/v1/schema.pb.h"

namespace tidemark::pg {

struct PgTypeInfo {
  uint32_t oid = 0;
  std::string name;          // qualified for user types: "public.mood"; "int4" for built-ins
  char typtype = 'b';        // b base, e enum, d domain, c composite, r range, m multirange, p pseudo
  uint32_t base_oid = 0;     // domains: typbasetype
  uint32_t element_oid = 0;  // arrays: typelem (0 when not an array)
  std::vector<std::string> enum_labels;  // enums, in enumsortorder
};

// The SQL a source runs to describe type `$1` (one row: oid, qualified name, typtype,
// typbasetype, typelem-if-array, enum labels as text[]).
extern const char kDescribeTypeSql[];

// Builds a PgTypeInfo from the six text columns of a kDescribeTypeSql row (as
// printed by PostgreSQL: oids in decimal, typtype one character, labels as a
// text[] literal such as {happy,"very sad"}). kInvalidArgument when a field does
// not parse, naming it.
absl::StatusOr<PgTypeInfo> PgTypeInfoFromRow(std::string_view oid, std::string_view name,
                                             std::string_view typtype,
                                             std::string_view typbasetype,
                                             std::string_view typelem,
                                             std::string_view enum_labels);

class TypeCatalog {
 public:
  TypeCatalog();  // knows the built-ins
  // nullptr when unknown.
  const PgTypeInfo* Find(uint32_t oid) const;
  void Add(PgTypeInfo info);
  // Every oid reachable from `oid` (itself, domain bases, array elements) that is not known.
  std::vector<uint32_t> Missing(uint32_t oid) const;
  // The ColumnType for a column of type `oid` with modifier `typmod`, or
  // kFailedPrecondition naming `column` ("public.t.c"), the type and the fix when
  // tidemark cannot decode it exactly (composite, range, geometric, tsvector, xml,
  // ... or an oid nobody described yet).
  // source_type is spelled as format_type() does ("numeric(12,4)",
  // "character varying(20)", "integer[]"); enums and domains by qualified name
  // ("public.mood"). A domain takes its base type's kind (and element / labels),
  // keeps its own name and oid in source_type / source_oid.
  absl::StatusOr<v1::ColumnType> ColumnTypeFor(uint32_t oid, int32_t typmod,
                                               std::string_view column) const;

 private:
  absl::StatusOr<v1::ColumnType> Resolve(uint32_t oid, int32_t typmod, std::string_view column,
                                         int depth) const;
  void MissingInto(uint32_t oid, int depth, std::vector<uint32_t>* out) const;

  std::unordered_map<uint32_t, PgTypeInfo> types_;
};

}  // namespace tidemark::pg

#endif  // TIDEMARK_CAPTURE_PG_TYPE_CATALOG_H_
