#include "schema/registry.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace tidemark {
namespace {

v1::TableSchema Orders(const std::string& col) {
  v1::TableSchema s;
  s.mutable_table()->set_database("shop");
  s.mutable_table()->set_schema("public");
  s.mutable_table()->set_table("orders");
  auto* c = s.add_columns();
  c->set_name(col);
  c->mutable_type()->set_kind(v1::TYPE_INT64);
  return s;
}

TEST(SchemaRegistry, InternAssignsVersionsAndPersists) {
  std::string path = ::testing::TempDir() + "/registry_test.pb";
  std::filesystem::remove(path);
  {
    auto reg = SchemaRegistry::Open(path);
    ASSERT_TRUE(reg.ok());
    bool added = false;
    auto v1s = (*reg)->Intern(Orders("id"), &added);
    ASSERT_TRUE(v1s.ok());
    EXPECT_TRUE(added);
    EXPECT_EQ(v1s->version(), 1u);
    auto again = (*reg)->Intern(Orders("id"), &added);
    EXPECT_FALSE(added);
    EXPECT_EQ(again->version(), 1u);
    auto v2s = (*reg)->Intern(Orders("order_id"), &added);
    EXPECT_TRUE(added);
    EXPECT_EQ(v2s->version(), 2u);
    // Compared with the latest version only; any field but the version counts.
    auto v3s = (*reg)->Intern(Orders("id"), &added);
    EXPECT_TRUE(added);
    EXPECT_EQ(v3s->version(), 3u);
    v1::TableSchema full = Orders("id");
    full.set_replica_identity(v1::REPLICA_IDENTITY_FULL);
    auto v4s = (*reg)->Intern(full, &added);
    EXPECT_TRUE(added);
    EXPECT_EQ(v4s->version(), 4u);
    full.set_version(17);  // the caller's version is ignored
    auto same = (*reg)->Intern(full, &added);
    EXPECT_FALSE(added);
    EXPECT_EQ(same->version(), 4u);
  }
  auto reopened = SchemaRegistry::Open(path);
  ASSERT_TRUE(reopened.ok());
  auto got = (*reopened)->Get(Orders("x").table(), 1);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->columns(0).name(), "id");
  EXPECT_EQ((*reopened)->Latest(Orders("x").table())->version(), 4u);
  EXPECT_EQ((*reopened)->Get(Orders("x").table(), 9).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace tidemark
