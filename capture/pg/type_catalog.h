// What the pgoutput decoder knows about PostgreSQL types: the built-in oids
// statically, and user types (enums, domains, arrays of them) that the source
// looked up in pg_type. Not thread-safe.
#ifndef TIDEMARK_CAPTURE_PG_TYPE_CATALOG_H_
#define TIDEMARK_CAPTURE_PG_TYPE_CATALOG_H_

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

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

class TypeCatalog {
 public:
  TypeCatalog();  // knows the built-ins
  // nullptr when unknown.
  const PgTypeInfo* Find(uint32_t oid) const;
  void Add(PgTypeInfo info);
  // Every oid reachable from `oid` (itself, domain bases, array elements) that is not known.
  std::vector<uint32_t> Missing(uint32_t oid) const;
  // The ColumnType for a column of type `oid` with modifier `typmod`, or
  // kFailedPrecondition naming the type when tidemark cannot decode it exactly.
  // (Implemented in type_catalog.cc.)
};

}  // namespace tidemark::pg

#endif  // TIDEMARK_CAPTURE_PG_TYPE_CATALOG_H_
