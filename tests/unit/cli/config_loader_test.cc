// Config loading: every validation error with its exact message (key, line,
// column), defaults, sizes and durations, secrets from env and file.
#include "cli/config_loader.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli/config_loader_yaml.h"

namespace tidemark {
namespace {

constexpr char kBase[] =
    "pipeline: shop\n"                                  // 1
    "source:\n"                                         // 2
    "  type: postgres\n"                                // 3
    "  dsn: \"host=127.0.0.1 dbname=shop\"\n"           // 4
    "  tables: [public.orders, public.customers]\n"     // 5
    "sinks:\n"                                          // 6
    "  - name: audit\n"                                 // 7
    "    type: file\n"                                  // 8
    "    path: ./var/shop/audit.jsonl\n";               // 9

v1::PipelineConfig Ok(const std::string& yaml) {
  absl::StatusOr<v1::PipelineConfig> c = LoadConfigFromString(yaml, "p.yaml");
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : v1::PipelineConfig();
}

std::string Err(const std::string& yaml) {
  absl::StatusOr<v1::PipelineConfig> c = LoadConfigFromString(yaml, "p.yaml");
  EXPECT_FALSE(c.ok());
  if (c.ok()) return "";
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(c.status().message());
}

// kBase with `from` replaced by `to` (which must occur).
std::string Edit(const std::string& from, const std::string& to, std::string yaml = kBase) {
  const size_t at = yaml.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) yaml.replace(at, from.size(), to);
  return yaml;
}

constexpr char kPgKeys[] =
    "(allowed: type, dsn, password_env, password_file, slot, publication, tables, create_slot, "
    "create_publication, status_interval_ms, chunk_events, catchup_linger_ms, receive_buffer_bytes)";

TEST(ConfigLoader, MinimalConfigGetsEveryDefault) {
  v1::PipelineConfig c = Ok(kBase);
  EXPECT_EQ(c.pipeline(), "shop");
  EXPECT_EQ(c.data_dir(), "./var/shop");
  EXPECT_EQ(c.config_path(), "p.yaml");
  const auto& s = c.source();
  EXPECT_EQ(s.type(), "postgres");
  EXPECT_EQ(s.dsn(), "host=127.0.0.1 dbname=shop");
  EXPECT_EQ(s.password(), "");
  EXPECT_EQ(s.slot(), "tidemark_shop");
  EXPECT_EQ(s.publication(), "tidemark_shop");
  ASSERT_EQ(s.tables_size(), 2);
  EXPECT_EQ(s.tables(1), "public.customers");
  EXPECT_TRUE(s.create_slot());
  EXPECT_TRUE(s.create_publication());
  EXPECT_EQ(s.status_interval_ms(), 1000u);
  EXPECT_EQ(s.chunk_events(), 2048u);
  EXPECT_EQ(s.catchup_linger_ms(), 20u);
  EXPECT_EQ(s.receive_buffer_bytes(), 512u * 1024);
  ASSERT_EQ(c.sinks_size(), 1);
  const auto& k = c.sinks(0);
  EXPECT_EQ(k.name(), "audit");
  EXPECT_EQ(k.type(), "file");
  EXPECT_EQ(k.path(), "./var/shop/audit.jsonl");
  EXPECT_TRUE(k.fsync());
  EXPECT_EQ(k.batch_events(), 4096u);
  EXPECT_EQ(k.batch_ms(), 100u);
  const auto& j = c.journal();
  EXPECT_EQ(j.max_bytes(), 10ull << 30);
  EXPECT_EQ(j.retain_seconds(), 86400u);
  EXPECT_EQ(j.retain_bytes(), 0u);
  EXPECT_EQ(j.segment_bytes(), 64ull << 20);
  EXPECT_EQ(j.group_commit_ms(), 5u);
  EXPECT_EQ(j.group_commit_bytes(), 1ull << 20);
  EXPECT_EQ(j.cache_bytes(), 16ull << 20);
  EXPECT_EQ(c.snapshot().mode(), "initial");
  EXPECT_EQ(c.snapshot().chunk_rows(), 10000u);
  EXPECT_EQ(c.reconcile().every_seconds(), 0u);
  EXPECT_EQ(c.metrics().listen(), "");
}

TEST(ConfigLoader, DesignDocExampleLoads) {
  ::setenv("TM_TEST_SHOP_PG", "s3cret", 1);
  v1::PipelineConfig c = Ok(
      "pipeline: shop                      # names the slot\n"
      "data_dir: ./var/shop\n"
      "source:\n"
      "  type: postgres\n"
      "  dsn: \"host=127.0.0.1 port=5432 dbname=shop user=tidemark\"\n"
      "  password_env: TM_TEST_SHOP_PG\n"
      "  slot: tidemark_shop\n"
      "  publication: tidemark_shop\n"
      "  tables: [public.orders, public.customers]\n"
      "sinks:\n"
      "  - name: audit\n"
      "    type: file\n"
      "    path: ./var/shop/audit.jsonl\n"
      "  - name: replica\n"
      "    type: postgres\n"
      "    dsn: \"host=127.0.0.1 port=5433 dbname=replica user=tidemark\"\n"
      "    create_tables: true\n"
      "  - name: events\n"
      "    type: kafka\n"
      "    brokers: 127.0.0.1:9092\n"
      "    topic: \"shop.{schema}.{table}\"\n"
      "    format: json\n"
      "journal: {max_bytes: 10GiB, retain: 24h}\n"
      "snapshot: {mode: initial}\n"
      "reconcile: {every: 6h}\n"
      "metrics: {listen: 127.0.0.1:9187}\n");
  EXPECT_EQ(c.source().password(), "s3cret");
  EXPECT_EQ(c.source().password_source(), "env:TM_TEST_SHOP_PG");
  ASSERT_EQ(c.sinks_size(), 3);
  EXPECT_TRUE(c.sinks(1).create_tables());
  EXPECT_EQ(c.sinks(2).topic(), "shop.{schema}.{table}");
  EXPECT_EQ(c.sinks(2).format(), "json");
  EXPECT_EQ(c.reconcile().every_seconds(), 6u * 3600);
  EXPECT_EQ(c.metrics().listen(), "127.0.0.1:9187");
  ::unsetenv("TM_TEST_SHOP_PG");
}

TEST(ConfigLoader, ExampleConfigInConfLoads) {
  const std::string path = std::string(TIDEMARK_SOURCE_DIR) + "/conf/pg-file.yaml";
  absl::StatusOr<v1::PipelineConfig> c = LoadConfig(path);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->pipeline(), "demo");
  EXPECT_EQ(c->source().dsn(), "host=127.0.0.1 port=54329 dbname=demo user=postgres");
  ASSERT_EQ(c->source().tables_size(), 2);
  EXPECT_EQ(c->source().tables(0), "public.customers");
  EXPECT_EQ(c->source().tables(1), "public.orders");
  ASSERT_EQ(c->sinks_size(), 1);
  EXPECT_EQ(c->sinks(0).path(), "./var/demo/events.jsonl");
  EXPECT_EQ(c->data_dir(), "./var/demo");
}

// --- unknown keys ---------------------------------------------------------------

TEST(ConfigLoader, UnknownKeyInSource) {
  EXPECT_EQ(Err(Edit("  tables:", "  tabels:")),
            std::string("p.yaml:5:3: unknown key 'tabels' in source ") + kPgKeys);
}

TEST(ConfigLoader, UnknownKeyAtTopLevel) {
  EXPECT_EQ(Err(std::string(kBase) + "jounral: {max_bytes: 1GiB}\n"),
            "p.yaml:10:1: unknown key 'jounral' at the top level (allowed: pipeline, data_dir, "
            "source, sinks, journal, snapshot, reconcile, metrics)");
}

TEST(ConfigLoader, UnknownKeyInSinkListsTheKeysOfItsType) {
  EXPECT_EQ(Err(std::string(kBase) + "    fsnyc: false\n"),
            "p.yaml:10:5: unknown key 'fsnyc' in sinks[0] (allowed: name, type, path, fsync, "
            "batch_events, batch_ms)");
  // A key of another sink type is unknown for this one.
  EXPECT_EQ(Err(std::string(kBase) + "    brokers: x:9092\n"),
            "p.yaml:10:5: unknown key 'brokers' in sinks[0] (allowed: name, type, path, fsync, "
            "batch_events, batch_ms)");
}

TEST(ConfigLoader, UnknownKeyInJournalSnapshotReconcileMetrics) {
  EXPECT_EQ(Err(std::string(kBase) + "journal:\n  retention: 24h\n"),
            "p.yaml:11:3: unknown key 'retention' in journal (allowed: max_bytes, retain, "
            "retain_bytes, segment_bytes, group_commit_ms, group_commit_bytes, cache_bytes)");
  EXPECT_EQ(Err(std::string(kBase) + "snapshot: {mdoe: never}\n"),
            "p.yaml:10:12: unknown key 'mdoe' in snapshot (allowed: mode, chunk_rows)");
  EXPECT_EQ(Err(std::string(kBase) + "reconcile: {each: 1h}\n"),
            "p.yaml:10:13: unknown key 'each' in reconcile (allowed: every)");
  EXPECT_EQ(Err(std::string(kBase) + "metrics: {port: 9187}\n"),
            "p.yaml:10:11: unknown key 'port' in metrics (allowed: listen)");
}

TEST(ConfigLoader, DuplicateKey) {
  EXPECT_EQ(Err(Edit("  tables:", "  dsn: other\n  tables:")),
            "p.yaml:5:3: duplicate key 'dsn' in source (first at line 4)");
}

// --- wrong types ---------------------------------------------------------------

TEST(ConfigLoader, MapWhereAStringBelongs) {
  EXPECT_EQ(Err(Edit("  dsn: \"host=127.0.0.1 dbname=shop\"", "  dsn: {host: x}")),
            "p.yaml:4:8: source.dsn: expected a string, got a map");
}

TEST(ConfigLoader, WordWhereANumberBelongs) {
  EXPECT_EQ(Err(std::string(kBase) + "    batch_events: ten\n"),
            "p.yaml:10:19: sinks[0].batch_events: expected a whole number, got 'ten'");
  EXPECT_EQ(Err(std::string(kBase) + "    batch_events: -5\n"),
            "p.yaml:10:19: sinks[0].batch_events: expected a whole number, got '-5'");
  EXPECT_EQ(Err(std::string(kBase) + "    batch_events: 0\n"),
            "p.yaml:10:19: sinks[0].batch_events: must be at least 1");
  EXPECT_EQ(Err(std::string(kBase) + "    batch_events: 4294967296\n"),
            "p.yaml:10:19: sinks[0].batch_events: 4294967296 is too large (at most 4294967295)");
}

TEST(ConfigLoader, BadBool) {
  EXPECT_EQ(Err(std::string(kBase) + "    fsync: maybe\n"),
            "p.yaml:10:12: sinks[0].fsync: expected true or false, got 'maybe'");
}

TEST(ConfigLoader, ListWhereAListBelongs) {
  EXPECT_EQ(Err(Edit("[public.orders, public.customers]", "public.orders")),
            "p.yaml:5:11: source.tables: expected a list like [a, b], got 'public.orders'");
  EXPECT_EQ(Err(Edit("[public.orders, public.customers]", "[public.orders, {a: b}]")),
            "p.yaml:5:27: source.tables[1]: expected a string, got a map");
}

TEST(ConfigLoader, SectionsOfTheWrongShape) {
  EXPECT_EQ(Err(std::string(kBase) + "journal: 10GiB\n"),
            "p.yaml:10:10: journal: expected a map, got '10GiB'");
  EXPECT_EQ(Err("pipeline: shop\nsource: postgres\n"),
            "p.yaml:2:9: source: expected a map, got 'postgres'");
  EXPECT_EQ(Err(Edit("sinks:\n  - name: audit\n    type: file\n    path: ./var/shop/audit.jsonl\n",
                     "sinks:\n  name: audit\n")),
            "p.yaml:7:3: sinks: expected a list of maps, got a map");
  EXPECT_EQ(Err(Edit("  - name: audit\n", "  - audit\n  - name: audit\n")),
            "p.yaml:7:5: sinks[0]: expected a map, got 'audit'");
}

TEST(ConfigLoader, EmptyValueIsNotAString) {
  EXPECT_EQ(Err(Edit("  dsn: \"host=127.0.0.1 dbname=shop\"", "  dsn:")),
            "p.yaml:4:3: source.dsn: expected a string, got an empty value");
  // `null` spelled out is the null sink's type, an empty value is not.
  EXPECT_EQ(Ok(Edit("    type: file\n    path: ./var/shop/audit.jsonl\n", "    type: null\n"))
                .sinks(0)
                .type(),
            "null");
  EXPECT_EQ(Err(Edit("    type: file\n    path: ./var/shop/audit.jsonl\n", "    type:\n")),
            "p.yaml:8:5: sinks[0].type: expected a string, got an empty value");
}

// --- missing required -------------------------------------------------------------

TEST(ConfigLoader, MissingRequiredKeys) {
  EXPECT_EQ(Err(Edit("pipeline: shop\n", "")),
            "p.yaml:1:1: missing required key 'pipeline' at the top level");
  EXPECT_EQ(Err("pipeline: shop\nsinks: []\n"),
            "p.yaml:1:1: missing required key 'source' at the top level");
  EXPECT_EQ(Err(Edit("  type: postgres\n", "")),
            "p.yaml:3:3: missing required key 'type' in source");
  EXPECT_EQ(Err(Edit("  dsn: \"host=127.0.0.1 dbname=shop\"\n", "")),
            "p.yaml:3:3: missing required key 'dsn' in source");
  EXPECT_EQ(Err(Edit("  tables: [public.orders, public.customers]\n", "")),
            "p.yaml:3:3: missing required key 'tables' in source");
  EXPECT_EQ(Err(Edit("sinks:\n  - name: audit\n    type: file\n    path: ./var/shop/audit.jsonl\n", "")),
            "p.yaml:1:1: missing required key 'sinks' at the top level");
  EXPECT_EQ(Err(std::string(kBase) + "  - path: x\n"),
            "p.yaml:10:5: missing required key 'name' in sinks[1]");
  EXPECT_EQ(Err(Edit("    type: file\n", "")),
            "p.yaml:7:5: missing required key 'type' in sinks[0]");
  EXPECT_EQ(Err(Edit("    path: ./var/shop/audit.jsonl\n", "")),
            "p.yaml:7:5: missing required key 'path' in sinks[0]");
}

TEST(ConfigLoader, EmptyListsAreRefused) {
  EXPECT_EQ(Err(Edit("[public.orders, public.customers]", "[]")),
            "p.yaml:5:11: source.tables: list at least one table (schema.table)");
  EXPECT_EQ(Err(Edit("sinks:\n  - name: audit\n    type: file\n    path: ./var/shop/audit.jsonl\n",
                     "sinks: []\n")),
            "p.yaml:6:8: sinks: list at least one sink");
}

TEST(ConfigLoader, EmptyOrNonMapDocument) {
  EXPECT_EQ(Err(""), "p.yaml: the config is empty; it needs at least pipeline, source and sinks");
  EXPECT_EQ(Err("# only a comment\n"),
            "p.yaml: the config is empty; it needs at least pipeline, source and sinks");
  EXPECT_EQ(Err("- a\n- b\n"),
            "p.yaml:1:1: expected a map of keys (pipeline, source, sinks, ...) at the top level, got a list");
}

TEST(ConfigLoader, YamlSyntaxErrorIsLocated) {
  EXPECT_EQ(Err("pipeline: shop\nsource: {type: postgres\n"),
            "p.yaml:3:1: YAML syntax error: end of map flow not found");
}

// --- enums and names ---------------------------------------------------------------

TEST(ConfigLoader, BadEnumValuesListTheAllowedOnes) {
  EXPECT_EQ(Err(Edit("type: postgres", "type: pg")),
            "p.yaml:3:9: source.type: unknown value 'pg' (allowed: postgres, mysql, mongo)");
  EXPECT_EQ(Err(Edit("type: file", "type: s3")),
            "p.yaml:8:11: sinks[0].type: unknown value 's3' (allowed: file, null, postgres, mysql, "
            "kafka)");
  EXPECT_EQ(Err(std::string(kBase) + "snapshot: {mode: sometimes}\n"),
            "p.yaml:10:18: snapshot.mode: unknown value 'sometimes' (allowed: initial, never, "
            "always)");
  EXPECT_EQ(Err(Edit("    type: file\n    path: ./var/shop/audit.jsonl\n",
                     "    type: kafka\n    brokers: k:9092\n    format: avro\n")),
            "p.yaml:10:13: sinks[0].format: unknown value 'avro' (allowed: json, protobuf)");
}

TEST(ConfigLoader, PipelineNameIsRestricted) {
  EXPECT_EQ(Err(Edit("pipeline: shop", "pipeline: Shop-1")),
            "p.yaml:1:11: pipeline: 'Shop-1' is not a valid pipeline name: use 1 to 54 of a-z, "
            "0-9 and _ (it names the replication slot)");
  EXPECT_EQ(Err(Edit("pipeline: shop", "pipeline: " + std::string(55, 'a'))).substr(0, 22),
            "p.yaml:1:11: pipeline:");
  Ok(Edit("pipeline: shop", "pipeline: " + std::string(54, 'a')));
  EXPECT_EQ(Err(Edit("name: audit", "name: Audit Log")),
            "p.yaml:7:11: sinks[0].name: 'Audit Log' is not a valid sink name: use 1 to 64 of "
            "a-z, 0-9, _ and - (it names the checkpoint file)");
}

TEST(ConfigLoader, DuplicateSinkNamesAndFiles) {
  EXPECT_EQ(Err(std::string(kBase) + "  - name: audit\n    type: null\n"),
            "p.yaml:10:11: sinks[1].name: duplicate sink name 'audit' (first at line 7)");
  EXPECT_EQ(Err(std::string(kBase) + "  - name: audit2\n    type: file\n"
                                     "    path: ./var/shop/audit.jsonl\n"),
            "p.yaml:12:11: sinks[1].path: sink 'audit' already writes to this file");
}

TEST(ConfigLoader, TablesMustBeQualified) {
  EXPECT_EQ(Err(Edit("[public.orders, public.customers]", "[public.orders, customers]")),
            "p.yaml:5:27: source.tables[1]: 'customers' must be written as schema.table (e.g. "
            "public.orders)");
}

TEST(ConfigLoader, LiteralPasswordIsRefusedWithoutEchoingIt) {
  std::string e = Err(Edit("  tables:", "  password: hunter2\n  tables:"));
  EXPECT_EQ(e,
            "p.yaml:5:13: source.password: passwords are not written in the config; use "
            "password_env (an environment variable) or password_file");
  EXPECT_EQ(e.find("hunter2"), std::string::npos);
}

// --- sizes and durations ----------------------------------------------------------

TEST(ConfigLoader, SizesWithUnits) {
  using config::ParseSize;
  EXPECT_EQ(*ParseSize("0"), 0u);
  EXPECT_EQ(*ParseSize("512"), 512u);
  EXPECT_EQ(*ParseSize("512B"), 512u);
  EXPECT_EQ(*ParseSize("4KiB"), 4096u);
  EXPECT_EQ(*ParseSize("4KB"), 4000u);
  EXPECT_EQ(*ParseSize("64MiB"), 64ull << 20);
  EXPECT_EQ(*ParseSize("3MB"), 3'000'000u);
  EXPECT_EQ(*ParseSize("10GiB"), 10ull << 30);
  EXPECT_EQ(*ParseSize("10 GB"), 10'000'000'000u);
  EXPECT_EQ(*ParseSize("2TiB"), 2ull << 40);
  EXPECT_EQ(ParseSize("10gb").status().message(),
            "'10gb' is not a size; a size is a whole number with an optional unit: B, KB, MB, GB, "
            "TB, KiB, MiB, GiB, TiB (e.g. 10GiB)");
  EXPECT_FALSE(ParseSize("1.5GiB").ok());
  EXPECT_FALSE(ParseSize("GiB").ok());
  EXPECT_FALSE(ParseSize("").ok());
  EXPECT_EQ(ParseSize("20000000TiB").status().message(), "'20000000TiB' is too large");
  EXPECT_EQ(ParseSize("99999999999999999999").status().message(),
            "'99999999999999999999' is not a size; a size is a whole number with an optional "
            "unit: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB (e.g. 10GiB)");
}

TEST(ConfigLoader, DurationsWithUnits) {
  using config::ParseDurationMs;
  EXPECT_EQ(*ParseDurationMs("500ms", false), 500u);
  EXPECT_EQ(*ParseDurationMs("30s", false), 30'000u);
  EXPECT_EQ(*ParseDurationMs("5m", false), 300'000u);
  EXPECT_EQ(*ParseDurationMs("6h", false), 21'600'000u);
  EXPECT_EQ(*ParseDurationMs("1d", false), 86'400'000u);
  EXPECT_EQ(*ParseDurationMs("1h30m", false), 5'400'000u);
  EXPECT_EQ(*ParseDurationMs("250", true), 250u);
  EXPECT_EQ(ParseDurationMs("250", false).status().message(),
            "'250' is not a duration; write whole numbers with units ms, s, m, h, d (e.g. 500ms, "
            "30s, 1h30m)");
  EXPECT_FALSE(ParseDurationMs("1w", false).ok());
  EXPECT_FALSE(ParseDurationMs("h", false).ok());
  EXPECT_FALSE(ParseDurationMs("", true).ok());
  EXPECT_FALSE(ParseDurationMs("1h 30m", false).ok());
}

TEST(ConfigLoader, JournalSizesAndDurations) {
  v1::PipelineConfig c = Ok(std::string(kBase) +
                            "journal:\n"
                            "  max_bytes: 2GiB\n"
                            "  retain: 1h30m\n"
                            "  retain_bytes: 512MiB\n"
                            "  segment_bytes: 8MiB\n"
                            "  group_commit_ms: 20\n"
                            "  group_commit_bytes: 256KiB\n"
                            "reconcile: {every: 1d}\n");
  EXPECT_EQ(c.journal().max_bytes(), 2ull << 30);
  EXPECT_EQ(c.journal().retain_seconds(), 5400u);
  EXPECT_EQ(c.journal().retain_bytes(), 512ull << 20);
  EXPECT_EQ(c.journal().segment_bytes(), 8ull << 20);
  EXPECT_EQ(c.journal().group_commit_ms(), 20u);
  EXPECT_EQ(c.journal().group_commit_bytes(), 256u << 10);
  EXPECT_EQ(c.reconcile().every_seconds(), 86400u);
  EXPECT_EQ(Ok(std::string(kBase) + "journal: {group_commit_ms: 2s}\n").journal().group_commit_ms(),
            2000u);
  EXPECT_EQ(Ok(std::string(kBase) + "journal: {max_bytes: 0}\n").journal().max_bytes(), 0u);
}

TEST(ConfigLoader, PostgresReceiveBufferTakesASizeUpTo1GiB) {
  EXPECT_EQ(Ok(Edit("  tables:", "  receive_buffer_bytes: 2MiB\n  tables:")).source().receive_buffer_bytes(),
            2u * 1024 * 1024);
  EXPECT_EQ(Ok(Edit("  tables:", "  receive_buffer_bytes: 0\n  tables:")).source().receive_buffer_bytes(),
            0u);
  const std::string e = Err(Edit("  tables:", "  receive_buffer_bytes: 2GiB\n  tables:"));
  EXPECT_NE(e.find("source.receive_buffer_bytes: must be at most 1GiB (0: the kernel's own tuning)"),
            std::string::npos)
      << e;
}

TEST(ConfigLoader, SizeAndDurationErrorsAreLocated) {
  EXPECT_EQ(Err(std::string(kBase) + "journal: {max_bytes: ten}\n"),
            "p.yaml:10:22: journal.max_bytes: 'ten' is not a size; a size is a whole number with "
            "an optional unit: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB (e.g. 10GiB)");
  EXPECT_EQ(Err(std::string(kBase) + "journal: {retain: 24}\n"),
            "p.yaml:10:19: journal.retain: '24' is not a duration; write whole numbers with units "
            "ms, s, m, h, d (e.g. 500ms, 30s, 1h30m)");
  EXPECT_EQ(Err(std::string(kBase) + "journal: {retain: 1500ms}\n"),
            "p.yaml:10:19: journal.retain: must be a whole number of seconds");
  EXPECT_EQ(Err(std::string(kBase) + "    batch_ms: soon\n"),
            "p.yaml:10:15: sinks[0].batch_ms: 'soon' is not a duration; write whole numbers with "
            "units ms, s, m, h, d (e.g. 500ms, 30s, 1h30m), or a number of milliseconds");
  EXPECT_EQ(Err(std::string(kBase) + "journal: {max_bytes: 1MiB}\n"),
            "p.yaml:10:22: journal.max_bytes: must be at least segment_bytes (or 0 for no cap)");
  EXPECT_EQ(Err(std::string(kBase) + "metrics: {listen: localhost}\n"),
            "p.yaml:10:19: metrics.listen: 'localhost' is not host:port (e.g. 127.0.0.1:9187)");
}

// --- other source and sink types -----------------------------------------------------

TEST(ConfigLoader, MysqlAndMongoSources) {
  v1::PipelineConfig my = Ok(Edit("  type: postgres\n  dsn: \"host=127.0.0.1 dbname=shop\"\n"
                                  "  tables: [public.orders, public.customers]\n",
                                  "  type: mysql\n  dsn: mysql://tm@127.0.0.1:3306/shop\n"
                                  "  start: mysql-bin.000003:4\n"));
  EXPECT_EQ(my.source().type(), "mysql");
  EXPECT_EQ(my.source().start(), "mysql-bin.000003:4");
  EXPECT_GE(my.source().server_id(), 1'000'000u);  // derived from the name, stable
  EXPECT_EQ(my.source().server_id(),
            Ok(Edit("  type: postgres\n  dsn: \"host=127.0.0.1 dbname=shop\"\n"
                    "  tables: [public.orders, public.customers]\n",
                    "  type: mysql\n  dsn: x\n"))
                .source()
                .server_id());
  EXPECT_EQ(my.source().slot(), "");  // postgres-only keys stay unset
  v1::PipelineConfig mongo = Ok(Edit("  type: postgres\n  dsn: \"host=127.0.0.1 dbname=shop\"\n"
                                     "  tables: [public.orders, public.customers]\n",
                                     "  type: mongo\n  uri: mongodb://127.0.0.1/?replicaSet=rs0\n"
                                     "  database: shop\n  collections: [orders]\n"));
  EXPECT_EQ(mongo.source().dsn(), "mongodb://127.0.0.1/?replicaSet=rs0");
  EXPECT_EQ(mongo.source().database(), "shop");
  EXPECT_EQ(mongo.source().capture_mode(), "updateLookup");
  EXPECT_EQ(mongo.source().idle_commit_ms(), 10000u);
  EXPECT_EQ(Err(Edit("  type: postgres\n", "  type: mongo\n")),
            "p.yaml:4:3: unknown key 'dsn' in source (allowed: type, uri, password_env, "
            "password_file, database, collections, exclude_collections, capture_mode, "
            "idle_commit_ms, chunk_events)");
}

TEST(ConfigLoader, SinkTypesAndTheirDefaults) {
  v1::PipelineConfig c = Ok(std::string(kBase) +
                            "  - name: bench\n    type: null\n"
                            "  - name: replica\n    type: postgres\n    dsn: host=replica\n"
                            "  - name: events\n    type: kafka\n    brokers: k1:9092,k2:9092\n"
                            "    batch_ms: 1s\n");
  ASSERT_EQ(c.sinks_size(), 4);
  EXPECT_EQ(c.sinks(1).type(), "null");
  EXPECT_FALSE(c.sinks(2).create_tables());
  EXPECT_EQ(c.sinks(3).topic(), "shop.{schema}.{table}");
  EXPECT_EQ(c.sinks(3).format(), "json");
  EXPECT_EQ(c.sinks(3).batch_ms(), 1000u);
  EXPECT_EQ(c.sinks(1).batch_events(), 4096u);
  EXPECT_EQ(c.sinks(2).batch_events(), 65536u) << "one batch is one target transaction";
  EXPECT_EQ(c.sinks(3).batch_events(), 65536u) << "kafka flushes wait for deliveries";
  EXPECT_EQ(Err(std::string(kBase) + "  - name: replica\n    type: mysql\n"),
            "p.yaml:10:5: missing required key 'dsn' in sinks[1]");
  EXPECT_EQ(Err(std::string(kBase) + "  - name: k\n    type: kafka\n"),
            "p.yaml:10:5: missing required key 'brokers' in sinks[1]");
}

// --- secrets ---------------------------------------------------------------------

class SecretsTest : public ::testing::Test {
 protected:
  void TearDown() override {
    ::unsetenv("TM_TEST_PW");
    if (!file_.empty()) std::filesystem::remove(file_);
  }
  std::string WriteFile(const std::string& content) {
    file_ = (std::filesystem::temp_directory_path() / ("tm_pw_" + std::to_string(::getpid())))
                .string();
    std::ofstream(file_) << content;
    return file_;
  }
  std::string file_;
};

TEST_F(SecretsTest, PasswordFromEnv) {
  ::setenv("TM_TEST_PW", "pa ss\"word", 1);
  v1::PipelineConfig c = Ok(Edit("  tables:", "  password_env: TM_TEST_PW\n  tables:"));
  EXPECT_EQ(c.source().password(), "pa ss\"word");
  EXPECT_EQ(c.source().password_source(), "env:TM_TEST_PW");
}

TEST_F(SecretsTest, UnsetOrEmptyEnvNamesTheVariable) {
  ::unsetenv("TM_TEST_PW");
  EXPECT_EQ(Err(Edit("  tables:", "  password_env: TM_TEST_PW\n  tables:")),
            "p.yaml:5:17: source.password_env: environment variable TM_TEST_PW is not set");
  ::setenv("TM_TEST_PW", "", 1);
  EXPECT_EQ(Err(Edit("  tables:", "  password_env: TM_TEST_PW\n  tables:")),
            "p.yaml:5:17: source.password_env: environment variable TM_TEST_PW is empty");
}

TEST_F(SecretsTest, PasswordFromFileTrimsTrailingNewline) {
  std::string path = WriteFile("from-file\n");
  v1::PipelineConfig c = Ok(Edit("  tables:", "  password_file: " + path + "\n  tables:"));
  EXPECT_EQ(c.source().password(), "from-file");
  EXPECT_EQ(c.source().password_source(), "file:" + path);
  WriteFile("crlf\r\n");
  EXPECT_EQ(Ok(Edit("  tables:", "  password_file: " + path + "\n  tables:")).source().password(),
            "crlf");
}

TEST_F(SecretsTest, MissingPasswordFileNamesThePath) {
  EXPECT_EQ(Err(Edit("  tables:", "  password_file: /nonexistent/tm/pw\n  tables:")),
            "p.yaml:5:18: source.password_file: open /nonexistent/tm/pw: No such file or directory");
}

TEST_F(SecretsTest, EnvAndFileTogetherAreRefused) {
  ::setenv("TM_TEST_PW", "x", 1);
  EXPECT_EQ(Err(Edit("  tables:",
                     "  password_env: TM_TEST_PW\n  password_file: /tmp/x\n  tables:")),
            "p.yaml:6:18: source.password_file: set password_env or password_file, not both");
}

TEST_F(SecretsTest, SecretNeverInErrorsOrRenderedConfig) {
  const std::string secret = "Sup3r-S3cret-Value";
  ::setenv("TM_TEST_PW", secret.c_str(), 1);
  // A later error must not echo the resolved password.
  std::string e = Err(Edit("  tables:", "  password_env: TM_TEST_PW\n  tables:") +
                      "    batch_events: ten\n");
  EXPECT_EQ(e, "p.yaml:11:19: sinks[0].batch_events: expected a whole number, got 'ten'");
  EXPECT_EQ(e.find(secret), std::string::npos) << e;
  std::string sink_pw = WriteFile(secret + "\n");
  v1::PipelineConfig c = Ok(Edit("  tables:", "  password_env: TM_TEST_PW\n  tables:") +
                            "  - name: replica\n    type: postgres\n"
                            "    dsn: \"host=r password=" + secret + " user=u\"\n"
                            "    password_file: " + sink_pw + "\n");
  EXPECT_EQ(c.sinks(1).password(), secret);
  std::string shown = RenderConfig(c);
  EXPECT_EQ(shown.find(secret), std::string::npos) << shown;
  EXPECT_NE(shown.find("password_env: TM_TEST_PW"), std::string::npos) << shown;
  EXPECT_NE(shown.find("password_file: " + sink_pw), std::string::npos) << shown;
  EXPECT_NE(shown.find("password=<redacted>"), std::string::npos) << shown;
}

// --- rendering --------------------------------------------------------------------

TEST(ConfigLoader, RenderedConfigLoadsBackToTheSameConfig) {
  v1::PipelineConfig c = Ok(std::string(kBase) +
                            "  - name: events\n    type: kafka\n    brokers: k:9092\n"
                            "journal: {max_bytes: 3GiB, retain: 90m, group_commit_bytes: 1500}\n"
                            "snapshot: {mode: never, chunk_rows: 500}\n"
                            "reconcile: {every: 6h}\n"
                            "metrics: {listen: 0.0.0.0:9187}\n");
  const std::string shown = RenderConfig(c);
  absl::StatusOr<v1::PipelineConfig> again = LoadConfigFromString(shown, "p.yaml");
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << shown;
  EXPECT_EQ(again->DebugString(), c.DebugString()) << shown;
  EXPECT_NE(shown.find("max_bytes: 3GiB"), std::string::npos) << shown;
  EXPECT_NE(shown.find("retain: 90m"), std::string::npos) << shown;
}

TEST(ConfigLoader, RedactDsn) {
  EXPECT_EQ(RedactDsn("host=a password=xyz user=b"), "host=a password=<redacted> user=b");
  EXPECT_EQ(RedactDsn("host=a password = 'x y\\'z' user=b"),
            "host=a password = <redacted> user=b");
  EXPECT_EQ(RedactDsn("postgresql://u:secret@h:5432/db"), "postgresql://u:<redacted>@h:5432/db");
  EXPECT_EQ(RedactDsn("mysql://u@h/db"), "mysql://u@h/db");
  EXPECT_EQ(RedactDsn("postgresql://h/db?user=u&password=pw&sslmode=require"),
            "postgresql://h/db?user=u&password=<redacted>&sslmode=require");
  EXPECT_EQ(RedactDsn("host=a passwordless=1"), "host=a passwordless=1");
}

TEST(ConfigLoader, LoadConfigFromFile) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("tm_cfg_" + std::to_string(::getpid()) + ".yaml"))
          .string();
  std::ofstream(path) << Edit("  tables:", "  tabels:");
  absl::StatusOr<v1::PipelineConfig> c = LoadConfig(path);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            path + ":5:3: unknown key 'tabels' in source " + kPgKeys);
  std::filesystem::remove(path);
  c = LoadConfig(path);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message(),
            "cannot read config: open " + path + ": No such file or directory");
}

}  // namespace
}  // namespace tidemark

// --- kafka sink keys (apply/kafka) ----------------------------------------------------

namespace tidemark {
namespace {

std::string Kafka(const std::string& extra) {
  return std::string(kBase) + "  - name: events\n    type: kafka\n    brokers: k:9092\n" + extra;
}

TEST(ConfigLoaderKafka, DefaultsAndExpectedTopics) {
  v1::PipelineConfig c = Ok(Kafka(""));
  const v1::SinkConfig& k = c.sinks(1);
  EXPECT_TRUE(k.tombstones());
  EXPECT_FALSE(k.create_topics());
  EXPECT_EQ(k.topic_partitions(), -1);
  EXPECT_EQ(k.topic_replication_factor(), -1);
  EXPECT_TRUE(k.properties().empty());
  EXPECT_EQ(std::vector<std::string>(k.expected_topics().begin(), k.expected_topics().end()),
            (std::vector<std::string>{"shop.public.orders", "shop.public.customers"}));
  // MongoDB tables have a database, not a schema: db.collection topics.
  v1::PipelineConfig m = Ok(Edit("  type: postgres\n  dsn: \"host=127.0.0.1 dbname=shop\"\n"
                                 "  tables: [public.orders, public.customers]\n",
                                 "  type: mongo\n  uri: mongodb://127.0.0.1/?replicaSet=rs0\n",
                                 Kafka("")));
  EXPECT_EQ(m.sinks(1).topic(), "shop.{db}.{table}");
}

TEST(ConfigLoaderKafka, EveryKey) {
  ::setenv("TM_TEST_KAFKA_PW", "s3cret", 1);
  v1::PipelineConfig c = Ok(Kafka(
      "    topic: \"cdc.{pipeline}.{table}\"\n"
      "    format: protobuf\n"
      "    properties: {linger.ms: 50, security.protocol: SASL_SSL, ssl.key.password_env: TM_TEST_KAFKA_PW}\n"
      "    sasl_password_env: TM_TEST_KAFKA_PW\n"
      "    key_columns: {public.orders: [region, id]}\n"
      "    tombstones: false\n"
      "    create_topics: {partitions: 12, replication_factor: 3}\n"
      "    transaction_topic: shop.txn\n"));
  ::unsetenv("TM_TEST_KAFKA_PW");
  const v1::SinkConfig& k = c.sinks(1);
  EXPECT_EQ(k.format(), "protobuf");
  EXPECT_EQ(k.properties().at("linger.ms"), "50");
  EXPECT_EQ(k.properties().at("security.protocol"), "SASL_SSL");
  EXPECT_EQ(k.properties().at("sasl.password"), "s3cret");
  EXPECT_EQ(k.properties().at("ssl.key.password"), "s3cret");
  EXPECT_EQ(k.secret_properties_size(), 2);
  ASSERT_EQ(k.key_columns().count("public.orders"), 1u);
  EXPECT_EQ(k.key_columns().at("public.orders").columns(0), "region");
  EXPECT_FALSE(k.tombstones());
  EXPECT_TRUE(k.create_topics());
  EXPECT_EQ(k.topic_partitions(), 12);
  EXPECT_EQ(k.topic_replication_factor(), 3);
  EXPECT_EQ(k.transaction_topic(), "shop.txn");
  EXPECT_EQ(std::vector<std::string>(k.expected_topics().begin(), k.expected_topics().end()),
            (std::vector<std::string>{"shop.txn", "cdc.shop.orders", "cdc.shop.customers"}));
  // Secrets are masked when the config is shown.
  EXPECT_EQ(RenderConfig(c).find("s3cret"), std::string::npos);
}

TEST(ConfigLoaderKafka, ErrorsAreLocated) {
  EXPECT_EQ(Err(Kafka("    topic: \"x.{tabel}\"\n")),
            "p.yaml:13:12: sinks[1].topic: 'x.{tabel}' has an unknown or unclosed placeholder at "
            "character 3 (use {pipeline}, {db}, {schema}, {table})");
  EXPECT_EQ(Err(Kafka("    properties: {sasl.password: hunter2}\n")),
            "p.yaml:13:33: sinks[1].properties.sasl.password: secrets are not written in the "
            "config; use sasl.password_env (an environment variable) or sasl.password_file");
  EXPECT_EQ(Err(Kafka("    create_topics: {partitions: 0}\n")),
            "p.yaml:13:33: sinks[1].create_topics.partitions: must be at least 1");
  EXPECT_EQ(Err(Kafka("    key_columns: {orders: [id]}\n")),
            "p.yaml:13:27: sinks[1].key_columns.orders: 'orders' must be written as schema.table");
  EXPECT_EQ(Err(Kafka("    sasl_password_env: TM_NOT_SET_ANYWHERE\n")),
            "p.yaml:13:24: sinks[1].sasl_password_env: environment variable 'TM_NOT_SET_ANYWHERE' "
            "is not set or empty");
}

}  // namespace
}  // namespace tidemark
