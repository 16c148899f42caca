#include "capture/pg/type_catalog.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/capture_pg/pg_test_util.h"

namespace tidemark::pg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

v1::ColumnType Resolve(const TypeCatalog& c, uint32_t oid, int32_t typmod = -1) {
  auto t = c.ColumnTypeFor(oid, typmod, "public.t.c");
  EXPECT_TRUE(t.ok()) << oid << ": " << t.status();
  return t.value_or(v1::ColumnType());
}

TEST(TypeCatalog, BuiltinsWithModifiers) {
  TypeCatalog c;
  struct Case {
    uint32_t oid;
    int32_t typmod;
    v1::TypeKind kind;
    const char* source_type;
  } cases[] = {
      {16, -1, v1::TYPE_BOOL, "boolean"},
      {17, -1, v1::TYPE_BYTES, "bytea"},
      {19, -1, v1::TYPE_TEXT, "name"},
      {20, -1, v1::TYPE_INT64, "bigint"},
      {21, -1, v1::TYPE_INT16, "smallint"},
      {23, -1, v1::TYPE_INT32, "integer"},
      {25, -1, v1::TYPE_TEXT, "text"},
      {26, -1, v1::TYPE_UINT64, "oid"},
      {114, -1, v1::TYPE_JSON, "json"},
      {650, -1, v1::TYPE_CIDR, "cidr"},
      {700, -1, v1::TYPE_FLOAT32, "real"},
      {701, -1, v1::TYPE_FLOAT64, "double precision"},
      {774, -1, v1::TYPE_MACADDR8, "macaddr8"},
      {790, -1, v1::TYPE_MONEY, "money"},
      {829, -1, v1::TYPE_MACADDR, "macaddr"},
      {869, -1, v1::TYPE_INET, "inet"},
      {1042, 9, v1::TYPE_TEXT, "character(5)"},
      {1043, 24, v1::TYPE_TEXT, "character varying(20)"},
      {1043, -1, v1::TYPE_TEXT, "character varying"},
      {1082, -1, v1::TYPE_DATE, "date"},
      {1083, -1, v1::TYPE_TIME, "time without time zone"},
      {1114, 3, v1::TYPE_TIMESTAMP, "timestamp(3) without time zone"},
      {1184, -1, v1::TYPE_TIMESTAMPTZ, "timestamp with time zone"},
      {1186, -1, v1::TYPE_INTERVAL, "interval"},
      {1266, 0, v1::TYPE_TIMETZ, "time(0) with time zone"},
      {1560, 4, v1::TYPE_BIT, "bit(4)"},
      {1562, -1, v1::TYPE_VARBIT, "bit varying"},
      {1700, (12 << 16 | 4) + 4, v1::TYPE_DECIMAL, "numeric(12,4)"},
      {1700, (5 << 16 | (-2 & 0x7ff)) + 4, v1::TYPE_DECIMAL, "numeric(5,-2)"},
      {1700, -1, v1::TYPE_DECIMAL, "numeric"},
      {2950, -1, v1::TYPE_UUID, "uuid"},
      {3802, -1, v1::TYPE_JSONB, "jsonb"},
  };
  for (const Case& k : cases) {
    v1::ColumnType t = Resolve(c, k.oid, k.typmod);
    EXPECT_EQ(t.kind(), k.kind) << k.oid;
    EXPECT_EQ(t.source_type(), k.source_type) << k.oid;
    EXPECT_EQ(t.source_oid(), k.oid);
    EXPECT_EQ(t.type_modifier(), k.typmod);
  }
}

TEST(TypeCatalog, BuiltinArrays) {
  TypeCatalog c;
  v1::ColumnType t = Resolve(c, 1007);
  EXPECT_EQ(t.kind(), v1::TYPE_ARRAY);
  EXPECT_EQ(t.source_type(), "integer[]");
  EXPECT_EQ(t.element().kind(), v1::TYPE_INT32);
  EXPECT_EQ(t.element().source_oid(), 23u);
  t = Resolve(c, 1015, 24);
  EXPECT_EQ(t.source_type(), "character varying(20)[]");
  EXPECT_EQ(Resolve(c, 1231, (10 << 16 | 2) + 4).source_type(), "numeric(10,2)[]");
  for (uint32_t oid : {1000u, 1001u, 1003u, 1016u, 1005u, 1009u, 1028u, 199u, 651u, 1021u,
                       1022u, 775u, 791u, 1040u, 1041u, 1014u, 1182u, 1183u, 1115u, 1185u,
                       1187u, 1270u, 1561u, 1563u, 2951u, 3807u}) {
    EXPECT_EQ(Resolve(c, oid).kind(), v1::TYPE_ARRAY) << oid;
    EXPECT_EQ(c.Find(oid)->name[0], '_') << oid;
  }
}

TEST(TypeCatalog, UserTypesFromDescribeRows) {
  TypeCatalog c;
  EXPECT_THAT(c.Missing(16385), ElementsAre(16385u));
  auto mood = PgTypeInfoFromRow("16385", "public.mood", "e", "0", "0",
                                R"({happy,sad,"very \"odd\", mood"})");
  ASSERT_TRUE(mood.ok()) << mood.status();
  EXPECT_THAT(mood->enum_labels, ElementsAre("happy", "sad", "very \"odd\", mood"));
  c.Add(*mood);
  auto moods = PgTypeInfoFromRow("16384", "public._mood", "b", "0", "16385", "{}");
  ASSERT_TRUE(moods.ok());
  c.Add(*moods);
  auto posint = PgTypeInfoFromRow("16392", "public.posint", "d", "23", "0", "{}");
  ASSERT_TRUE(posint.ok());
  EXPECT_THAT(c.Missing(16400), ElementsAre(16400u));
  c.Add(*posint);
  // A domain over a domain array over an unknown enum: every missing oid reported.
  c.Add(testing::Info(16500, "public.d1", 'd', 16501, 0));
  c.Add(testing::Info(16501, "public._e", 'b', 0, 16502));
  EXPECT_THAT(c.Missing(16500), ElementsAre(16502u));
  EXPECT_THAT(c.Missing(16384), IsEmpty());
  EXPECT_THAT(c.Missing(23), IsEmpty());

  v1::ColumnType t = Resolve(c, 16385);
  EXPECT_EQ(t.kind(), v1::TYPE_ENUM);
  EXPECT_EQ(t.source_type(), "public.mood");
  EXPECT_THAT(t.labels(), ElementsAre("happy", "sad", "very \"odd\", mood"));
  t = Resolve(c, 16384);
  EXPECT_EQ(t.kind(), v1::TYPE_ARRAY);
  EXPECT_EQ(t.source_type(), "public.mood[]");
  EXPECT_EQ(t.element().kind(), v1::TYPE_ENUM);
  t = Resolve(c, 16392);
  EXPECT_EQ(t.kind(), v1::TYPE_INT32);
  EXPECT_EQ(t.source_type(), "public.posint");
  EXPECT_EQ(t.source_oid(), 16392u);

  for (auto row : {std::vector<std::string>{"x", "a", "e", "0", "0", "{}"},
                   std::vector<std::string>{"1", "a", "ee", "0", "0", "{}"},
                   std::vector<std::string>{"1", "a", "e", "0", "0", "happy"},
                   std::vector<std::string>{"1", "a", "e", "0", "0", "{a,NULL}"}}) {
    EXPECT_EQ(PgTypeInfoFromRow(row[0], row[1], row[2], row[3], row[4], row[5]).status().code(),
              absl::StatusCode::kInvalidArgument)
        << row[0] << row[2] << row[5];
  }
}

TEST(TypeCatalog, UndecodedTypesNameColumnTypeAndFix) {
  TypeCatalog c;
  auto unknown = c.ColumnTypeFor(3614, -1, "public.docs.body");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(unknown.status().message(), HasSubstr("public.docs.body has type oid 3614"));

  c.Add(testing::Info(3614, "pg_catalog.tsvector", 'b', 0, 0));
  auto tsv = c.ColumnTypeFor(3614, -1, "public.docs.body");
  EXPECT_EQ(tsv.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(tsv.status().message(),
              HasSubstr("column public.docs.body has type tsvector (oid 3614), which tidemark "
                        "does not decode; exclude the table"));
  c.Add(testing::Info(3643, "pg_catalog._tsvector", 'b', 0, 3614));
  EXPECT_THAT(c.ColumnTypeFor(3643, -1, "public.docs.tags").status().message(),
              HasSubstr("type _tsvector (oid 3643)"));
  c.Add(testing::Info(16600, "public.addr", 'c', 0, 0));
  EXPECT_THAT(c.ColumnTypeFor(16600, -1, "public.t.a").status().message(),
              HasSubstr("a composite type"));
  c.Add(testing::Info(3904, "pg_catalog.int4range", 'r', 0, 0));
  EXPECT_THAT(c.ColumnTypeFor(3904, -1, "public.t.r").status().message(),
              HasSubstr("a range type"));
  c.Add(testing::Info(600, "pg_catalog.point", 'b', 0, 0));
  EXPECT_EQ(c.ColumnTypeFor(600, -1, "public.t.p").status().code(),
            absl::StatusCode::kFailedPrecondition);
  c.Add(testing::Info(16700, "public.dpoint", 'd', 600, 0));
  EXPECT_THAT(c.ColumnTypeFor(16700, -1, "public.t.p").status().message(),
              HasSubstr("a domain over an undecoded type"));
}

TEST(TypeCatalog, RecordScriptUsesTheDescribeQuery) {
  // record.sh PREPAREs the same statement, so types.tsv holds what a source gets.
  std::string script = testing::ReadFileOrDie(testing::FixturePath("record.sh"));
  EXPECT_THAT(script, HasSubstr(std::string("PREPARE describe_type(oid) AS ") +
                                kDescribeTypeSql + ";"));
}

}  // namespace
}  // namespace tidemark::pg
