// Every MariaDB column type MariaDB capture covers (see
// MariaPipeline.EveryTypeRoundTripsExactly), with edge values, for the tests of
// MariaDB → database sink pipelines: each value is compared through a canonical text
// that the source and the target server render themselves.
#ifndef TIDEMARK_TESTS_INTEGRATION_MARIA_TYPES_H_
#define TIDEMARK_TESTS_INTEGRATION_MARIA_TYPES_H_

#include <string>
#include <vector>

#include "tests/integration/maria_harness.h"
#include "tests/integration/workload.h"

namespace tidemark::itest {

struct MariaTypeCase {
  std::string type;     // MariaDB column type
  std::string literal;  // a value, as MariaDB SQL (session sql_mode '', time_zone +00:00)
  std::string maria;    // its canonical text on MariaDB (source, or a MariaDB target): SQL over v
  std::string pg;       // the same text on a PostgreSQL target; empty: no PostgreSQL type holds it
};
const std::vector<MariaTypeCase>& MariaTypeCases();

// Creates t<i> (id INT PRIMARY KEY, v <type>) on `src` for every case the target
// holds, runs tidemark (pipeline in `dir`, one sink `sink_yaml` that creates its
// tables), inserts, updates (NULL → value), changes a key and deletes in each, and
// expects every column to read the same on `dst` (where the tables are named
// `target_prefix` + "t<i>") as on the source. Stops tidemark cleanly; then
// `tidemark check` passes against the tables create_tables made.
void RunMariaEveryType(MariaDb& src, const Endpoint& dst, const std::string& sink_yaml,
                       const std::string& target_prefix, const std::string& dir);

}  // namespace tidemark::itest

#endif  // TIDEMARK_TESTS_INTEGRATION_MARIA_TYPES_H_
