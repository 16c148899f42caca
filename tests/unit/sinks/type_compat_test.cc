// schema/type_compat.h: which existing target column types hold a source column.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>

#include "schema/type_compat.h"
#include "schema/type_mapping.h"

namespace tidemark {
namespace {

using ::testing::HasSubstr;

v1::ColumnType Pg(v1::TypeKind kind, const std::string& spelled) {
  v1::ColumnType t;
  t.set_kind(kind);
  t.set_source_type(spelled);
  t.set_source_oid(1);
  return t;
}
v1::ColumnType My(v1::TypeKind kind, const std::string& spelled) {
  v1::ColumnType t = Pg(kind, spelled);
  t.set_source_oid(0);
  return t;
}
v1::ColumnType WithLabels(v1::ColumnType t, std::initializer_list<const char*> labels) {
  for (const char* l : labels) t.add_labels(l);
  return t;
}
v1::ColumnType ArrayOf(v1::ColumnType e, const std::string& spelled) {
  v1::ColumnType t = Pg(v1::TYPE_ARRAY, spelled);
  *t.mutable_element() = std::move(e);
  return t;
}

bool PgHolds(const v1::ColumnType& s, const std::string& t) {
  return TargetTypeHolds(TargetEngine::kPostgres, s, t).ok();
}
bool MyHolds(const v1::ColumnType& s, const std::string& t) {
  return TargetTypeHolds(TargetEngine::kMysql, s, t).ok();
}

// Source types of every kind the captures report, PostgreSQL and MySQL spellings.
std::vector<v1::ColumnType> Sources() {
  return {Pg(v1::TYPE_BOOL, "boolean"), Pg(v1::TYPE_INT16, "smallint"), Pg(v1::TYPE_INT32, "integer"),
          Pg(v1::TYPE_INT64, "bigint"), Pg(v1::TYPE_UINT64, "oid"), Pg(v1::TYPE_FLOAT32, "real"),
          Pg(v1::TYPE_FLOAT64, "double precision"), Pg(v1::TYPE_DECIMAL, "numeric"),
          Pg(v1::TYPE_DECIMAL, "numeric(10,4)"), Pg(v1::TYPE_MONEY, "money"), Pg(v1::TYPE_TEXT, "text"),
          Pg(v1::TYPE_TEXT, "character varying(20)"), Pg(v1::TYPE_TEXT, "character(5)"),
          Pg(v1::TYPE_BYTES, "bytea"), Pg(v1::TYPE_DATE, "date"),
          Pg(v1::TYPE_TIME, "time(3) without time zone"), Pg(v1::TYPE_TIMETZ, "time with time zone"),
          Pg(v1::TYPE_TIMESTAMP, "timestamp without time zone"),
          Pg(v1::TYPE_TIMESTAMPTZ, "timestamp(3) with time zone"), Pg(v1::TYPE_INTERVAL, "interval"),
          Pg(v1::TYPE_UUID, "uuid"), Pg(v1::TYPE_JSON, "json"), Pg(v1::TYPE_JSONB, "jsonb"),
          Pg(v1::TYPE_INET, "inet"), Pg(v1::TYPE_CIDR, "cidr"), Pg(v1::TYPE_MACADDR, "macaddr"),
          Pg(v1::TYPE_BIT, "bit(4)"), Pg(v1::TYPE_VARBIT, "bit varying(5)"),
          WithLabels(Pg(v1::TYPE_ENUM, "public.mood"), {"sad", "happy"}), Pg(v1::TYPE_INT32, "public.posint"),
          ArrayOf(Pg(v1::TYPE_INT32, "integer"), "integer[]"),
          ArrayOf(WithLabels(Pg(v1::TYPE_ENUM, "public.mood"), {"sad"}), "public.mood[]"),
          My(v1::TYPE_INT16, "tinyint"), My(v1::TYPE_UINT64, "tinyint unsigned"), My(v1::TYPE_INT32, "mediumint"),
          My(v1::TYPE_UINT64, "int unsigned"), My(v1::TYPE_UINT64, "bigint unsigned"),
          My(v1::TYPE_DECIMAL, "decimal(65,30)"), My(v1::TYPE_FLOAT32, "float"), My(v1::TYPE_FLOAT64, "double"),
          My(v1::TYPE_BIT, "bit(64)"), My(v1::TYPE_YEAR, "year"), My(v1::TYPE_DATE, "date"),
          My(v1::TYPE_TIME, "time"), My(v1::TYPE_TIME, "time(6)"), My(v1::TYPE_TIMESTAMP, "datetime(6)"),
          My(v1::TYPE_TIMESTAMPTZ, "timestamp(3)"), My(v1::TYPE_TEXT, "varchar"), My(v1::TYPE_TEXT, "blob"),
          My(v1::TYPE_BYTES, "varbinary"), My(v1::TYPE_BYTES, "blob"),
          WithLabels(My(v1::TYPE_ENUM, "enum"), {"x", "y"}), WithLabels(My(v1::TYPE_SET, "set"), {"p", "q"}),
          My(v1::TYPE_JSON, "json"), My(v1::TYPE_GEOMETRY, "geometry")};
}

// information_schema spells types in lower case and without CHARACTER SET / COLLATE.
std::string AsInformationSchema(std::string ddl) {
  for (const char* cut : {" CHARACTER SET", " COLLATE"}) {
    if (size_t at = ddl.find(cut); at != std::string::npos) ddl = ddl.substr(0, at);
  }
  for (char& c : ddl) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ddl;
}

TEST(TypeCompat, TheTypeCreateTablesWouldUseAlwaysHoldsTheSource) {
  for (const auto& s : Sources()) {
    SCOPED_TRACE(s.ShortDebugString());
    auto pg = PgTargetType(s);
    ASSERT_TRUE(pg.ok()) << pg.status();
    EXPECT_TRUE(TargetTypeHolds(TargetEngine::kPostgres, s, *pg).ok())
        << TargetTypeHolds(TargetEngine::kPostgres, s, *pg);
    for (bool key : {false, true}) {
      auto my = MysqlTargetType(s, key);
      ASSERT_TRUE(my.ok()) << my.status();
      for (const std::string& spelled : {*my, AsInformationSchema(*my)}) {
        EXPECT_TRUE(MyHolds(s, spelled)) << TargetTypeHolds(TargetEngine::kMysql, s, spelled);
      }
    }
  }
}

TEST(TypeCompat, WiderTypesOfTheSameFamilyHold) {
  EXPECT_TRUE(PgHolds(Pg(v1::TYPE_INT16, "smallint"), "bigint"));
  EXPECT_TRUE(PgHolds(Pg(v1::TYPE_INT32, "integer"), "numeric(12,0)"));
  EXPECT_TRUE(PgHolds(Pg(v1::TYPE_DECIMAL, "numeric(10,4)"), "numeric(12,5)"));
  EXPECT_TRUE(PgHolds(Pg(v1::TYPE_TEXT, "character varying(20)"), "character varying(30)"));
  EXPECT_TRUE(PgHolds(Pg(v1::TYPE_FLOAT32, "real"), "double precision"));
  EXPECT_TRUE(PgHolds(Pg(v1::TYPE_JSONB, "jsonb"), "json"));
  EXPECT_TRUE(PgHolds(Pg(v1::TYPE_UUID, "uuid"), "text"));
  EXPECT_TRUE(MyHolds(My(v1::TYPE_INT16, "tinyint"), "tinyint(4)"));  // same DDL on both sides
  EXPECT_TRUE(MyHolds(My(v1::TYPE_UINT64, "int unsigned"), "bigint(20)"));
  EXPECT_TRUE(MyHolds(My(v1::TYPE_TEXT, "varchar"), "varchar(20)"));  // no source length: not judged
  EXPECT_TRUE(MyHolds(My(v1::TYPE_TIMESTAMP, "datetime"), "datetime(3)"));
  EXPECT_TRUE(MyHolds(WithLabels(My(v1::TYPE_ENUM, "enum"), {"x", "y"}), "enum('y','x','z')"));
  EXPECT_TRUE(PgHolds(Pg(v1::TYPE_INT32, "integer"), "public.my_domain"));  // not classified: passes
}

TEST(TypeCompat, NarrowerOrForeignTypesDoNotHoldAndSayWhy) {
  auto why = [](TargetEngine e, const v1::ColumnType& s, const std::string& t) {
    absl::Status st = TargetTypeHolds(e, s, t);
    EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << t;
    return std::string(st.message());
  };
  EXPECT_THAT(why(TargetEngine::kPostgres, Pg(v1::TYPE_TEXT, "text"), "integer"),
              HasSubstr("target type integer cannot hold source type text; create_tables would use text"));
  EXPECT_THAT(why(TargetEngine::kPostgres, Pg(v1::TYPE_INT64, "bigint"), "integer"), HasSubstr("narrower"));
  EXPECT_THAT(why(TargetEngine::kPostgres, Pg(v1::TYPE_DECIMAL, "numeric(10,4)"), "numeric(10,2)"),
              HasSubstr("smaller scale"));
  EXPECT_THAT(why(TargetEngine::kPostgres, Pg(v1::TYPE_DECIMAL, "numeric"), "numeric(30,10)"),
              HasSubstr("no declared precision"));
  EXPECT_THAT(why(TargetEngine::kPostgres, Pg(v1::TYPE_TEXT, "character varying(20)"),
                  "character varying(10)"), HasSubstr("shorter"));
  EXPECT_THAT(why(TargetEngine::kPostgres, Pg(v1::TYPE_JSON, "json"), "jsonb"), HasSubstr("use json"));
  EXPECT_THAT(why(TargetEngine::kPostgres, My(v1::TYPE_TIME, "time"), "time without time zone"),
              HasSubstr("use interval"));
  EXPECT_THAT(why(TargetEngine::kPostgres, Pg(v1::TYPE_TIMESTAMPTZ, "timestamp with time zone"),
                  "timestamp(3) with time zone"), HasSubstr("fractional second"));
  EXPECT_THAT(why(TargetEngine::kPostgres, Pg(v1::TYPE_TIMESTAMPTZ, "timestamp with time zone"),
                  "timestamp without time zone"), HasSubstr("cannot hold"));
  EXPECT_THAT(why(TargetEngine::kPostgres, Pg(v1::TYPE_BIT, "bit(4)"), "bit(8)"), HasSubstr("exactly n bits"));
  EXPECT_THAT(why(TargetEngine::kPostgres, ArrayOf(Pg(v1::TYPE_INT64, "bigint"), "bigint[]"), "integer[]"),
              HasSubstr("element type"));
  EXPECT_THAT(why(TargetEngine::kMysql, My(v1::TYPE_UINT64, "int unsigned"), "int(11)"), HasSubstr("narrower"));
  EXPECT_THAT(why(TargetEngine::kMysql, Pg(v1::TYPE_FLOAT64, "double precision"), "float"),
              HasSubstr("single precision"));
  EXPECT_THAT(why(TargetEngine::kMysql, WithLabels(My(v1::TYPE_ENUM, "enum"), {"x", "y"}), "enum('x')"),
              HasSubstr("lacks the label 'y'"));
  EXPECT_THAT(why(TargetEngine::kMysql, My(v1::TYPE_BYTES, "varbinary"), "varchar(255)"),
              HasSubstr("cannot hold"));
  EXPECT_THAT(why(TargetEngine::kMysql, My(v1::TYPE_TIMESTAMP, "datetime(6)"), "datetime"),
              HasSubstr("fractional second"));
}

}  // namespace
}  // namespace tidemark
