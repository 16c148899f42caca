#include "schema/schema_cache.h"

#include <gtest/gtest.h>

namespace tidemark {
namespace {

v1::TableSchema Schema(const std::string& db, const std::string& schema, const std::string& table,
                       uint32_t version, const std::string& column) {
  v1::TableSchema s;
  s.mutable_table()->set_database(db);
  s.mutable_table()->set_schema(schema);
  s.mutable_table()->set_table(table);
  s.set_version(version);
  s.add_columns()->set_name(column);
  return s;
}

v1::ChangeEvent Event(const v1::TableSchema& s) {
  v1::ChangeEvent ev;
  *ev.mutable_table() = s.table();
  ev.set_schema_version(s.version());
  return ev;
}

// Runs of one table's events take a fast path: it must still answer each event with
// its own table and version, whatever order they come in.
TEST(SchemaCache, AnswersEachEventWithItsOwnTableAndVersion) {
  SchemaCache cache(nullptr);
  const auto a1 = Schema("", "public", "a", 1, "a1");
  const auto a2 = Schema("", "public", "a", 2, "a2");
  const auto b1 = Schema("", "public", "b", 1, "b1");
  const auto b1_other_schema = Schema("", "other", "b", 1, "other_b1");
  for (const auto& s : {a1, a2, b1, b1_other_schema}) cache.Remember(s);
  const std::vector<std::pair<v1::TableSchema, std::string>> order = {
      {a1, "a1"}, {a1, "a1"}, {b1, "b1"}, {b1, "b1"}, {a1, "a1"}, {a2, "a2"}, {a2, "a2"},
      {a1, "a1"}, {b1_other_schema, "other_b1"}, {b1, "b1"}, {b1_other_schema, "other_b1"}};
  for (const auto& [schema, column] : order) {
    auto got = cache.For(Event(schema));
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ((*got)->columns(0).name(), column);
  }
  // The pointer is stable: the same entry for the same table version.
  EXPECT_EQ(*cache.For(Event(a1)), *cache.For(Event(a1)));
  // A schema record that replaces a version is what the next event sees.
  cache.Remember(Schema("", "public", "a", 1, "a1_again"));
  EXPECT_EQ((*cache.For(Event(a1)))->columns(0).name(), "a1_again");
}

TEST(SchemaCache, UnknownVersionIsNotFoundEvenRightAfterAHit) {
  SchemaCache cache(nullptr);
  const auto a1 = Schema("", "public", "a", 1, "a1");
  cache.Remember(a1);
  ASSERT_TRUE(cache.For(Event(a1)).ok());
  auto missing = cache.For(Event(Schema("", "public", "a", 3, "x")));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
  missing = cache.For(Event(Schema("db", "public", "a", 1, "x")));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
}

}  // namespace
}  // namespace tidemark
