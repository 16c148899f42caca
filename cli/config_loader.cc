#include "cli/config_loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "cli/config_loader_yaml.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark {
namespace {

using config::Section;

constexpr uint64_t kU32 = std::numeric_limits<uint32_t>::max();

// Defaults (documented in config.proto and conf/README.md).
constexpr uint64_t kDefaultMaxBytes = 10ull << 30;
constexpr uint64_t kDefaultRetainSeconds = 24 * 3600;
constexpr uint64_t kDefaultSegmentBytes = 64ull << 20;
constexpr uint32_t kDefaultGroupCommitMs = 5;
constexpr uint64_t kDefaultGroupCommitBytes = 1ull << 20;
constexpr uint64_t kDefaultCacheBytes = 16ull << 20;
constexpr uint32_t kDefaultBatchEvents = 4096;
// Kafka: a sink flush waits for every delivery report (a broker round trip plus
// linger.ms), so it flushes less often: 65536 doubled PG→Kafka throughput over 4096 in
// bench/kafka_bench.sh (1M changes: 10.6 s → 5.3 s). Costs up to that many entries held
// by the applier at once and more re-sent messages after a crash (at-least-once).
constexpr uint32_t kDefaultKafkaBatchEvents = 65536;
// Database sinks: one batch is one target transaction, and its per-transaction costs
// (commit, statements, staging truncation) and the per-key fold pay off with size. In
// bench/pg_to_pg.sh and bench/maria_to_maria.sh (1M changes, same machine, same run as
// the reference) 65536 took PG→PG from 17.2 s to 11.4 s and MariaDB→MariaDB from 26.4 s
// to 17.9 s, the target servers' CPU from 3.7 to 2.5 s and 10.9 to 4.5 s. 262144 was
// slower again (the applier waits for the target to finish each batch).
constexpr uint32_t kDefaultDbBatchEvents = 65536;
constexpr uint32_t kDefaultBatchMs = 100;
constexpr uint32_t kDefaultStatusIntervalMs = 1000;
constexpr uint32_t kDefaultCatchupLingerMs = 20;
constexpr uint64_t kDefaultReceiveBufferBytes = 512 * 1024;
constexpr uint32_t kDefaultChunkEvents = 2048;
constexpr uint32_t kDefaultSnapshotChunkRows = 10000;
constexpr size_t kMaxPipelineName = 54;  // "tidemark_" + name fits PG's 63-byte slot names

// Reads an optional key into a setter: TM_OPT(auto x, sec.String("k"));
#define TM_OPT(decl, expr) TM_ASSIGN_OR_RETURN(decl, expr)

bool NameChars(std::string_view s, std::string_view extra) {
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                    extra.find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return !s.empty();
}

uint32_t DefaultServerId(std::string_view pipeline) {
  uint32_t h = 2166136261u;  // FNV-1a: stable across runs and builds
  for (char c : pipeline) h = (h ^ static_cast<uint8_t>(c)) * 16777619u;
  return 1'000'000u + h % 1'000'000'000u;
}

// password_env / password_file of `s` into *password and *origin.
absl::Status ResolvePassword(const Section& s, std::string* password, std::string* origin) {
  TM_OPT(auto env, s.String("password_env"));
  TM_OPT(auto file, s.String("password_file"));
  if (env && file) return s.ErrorAt("password_file", "set password_env or password_file, not both");
  if (env) {
    if (env->empty()) return s.ErrorAt("password_env", "empty variable name");
    const char* value = std::getenv(env->c_str());
    if (value == nullptr) {
      return s.ErrorAt("password_env", fmt::format("environment variable {} is not set", *env));
    }
    if (*value == '\0') {
      return s.ErrorAt("password_env", fmt::format("environment variable {} is empty", *env));
    }
    *password = value;
    *origin = "env:" + *env;
  } else if (file) {
    absl::StatusOr<std::string> text = ReadFile(*file);
    if (!text.ok()) return s.ErrorAt("password_file", SV(text.status().message()));
    std::string pw = std::move(*text);
    while (!pw.empty() && (pw.back() == '\n' || pw.back() == '\r')) pw.pop_back();
    if (pw.empty()) return s.ErrorAt("password_file", fmt::format("{} is empty", *file));
    *password = std::move(pw);
    *origin = "file:" + *file;
  }
  return absl::OkStatus();
}

absl::Status RefuseLiteralPassword(const Section& s) {
  if (!s.Has("password")) return absl::OkStatus();
  return s.ErrorAt("password",
                   "passwords are not written in the config; use password_env (an environment "
                   "variable) or password_file");
}

absl::StatusOr<uint32_t> U32Ms(const Section& s, std::string_view key, uint32_t dflt) {
  TM_OPT(auto ms, s.DurationMs(key, /*bare_is_ms=*/true));
  if (!ms) return dflt;
  if (*ms > kU32) return s.ErrorAt(key, "too long");
  return static_cast<uint32_t>(*ms);
}

absl::StatusOr<uint32_t> PositiveU32(const Section& s, std::string_view key, uint32_t dflt) {
  TM_OPT(auto n, s.Uint(key, kU32));
  if (!n) return dflt;
  if (*n == 0) return s.ErrorAt(key, "must be at least 1");
  return static_cast<uint32_t>(*n);
}

absl::StatusOr<uint64_t> WholeSeconds(const Section& s, std::string_view key, uint64_t dflt) {
  TM_OPT(auto ms, s.DurationMs(key, /*bare_is_ms=*/false));
  if (!ms) return dflt;
  if (*ms % 1000 != 0) return s.ErrorAt(key, "must be a whole number of seconds");
  return *ms / 1000;
}

// Each entry "a.b" with both parts non-empty.
absl::Status CheckQualified(const Section& s, std::string_view key,
                            const std::vector<std::string>& names, std::string_view form) {
  for (size_t i = 0; i < names.size(); ++i) {
    const size_t dot = names[i].find('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == names[i].size()) {
      return s.ErrorAtElement(key, i, fmt::format("'{}' must be written as {}", names[i], form));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseSource(const Section& s, const std::string& pipeline, v1::SourceConfig* out) {
  TM_OPT(auto type, s.String("type"));
  if (type) TM_RETURN_IF_ERROR(s.CheckOneOf("type", *type, {"postgres", "mysql", "mongo"}));
  const std::string t = type.value_or("");
  static const std::vector<std::string_view> kPostgres = {
      "type",        "dsn",    "password_env", "password_file",      "slot",
      "publication", "tables", "create_slot",  "create_publication", "status_interval_ms",
      "chunk_events", "catchup_linger_ms", "receive_buffer_bytes"};
  static const std::vector<std::string_view> kMysql = {
      "type", "dsn", "password_env", "password_file", "tables", "server_id", "start",
      "chunk_events"};
  static const std::vector<std::string_view> kMongo = {
      "type", "uri", "password_env", "password_file", "database", "collections",
      "exclude_collections", "capture_mode", "idle_commit_ms", "chunk_events"};
  std::vector<std::string_view> keys = t == "mysql" ? kMysql : t == "mongo" ? kMongo : kPostgres;
  if (t.empty()) keys.insert(keys.end(), {"server_id", "start", "uri", "database", "collections"});
  TM_RETURN_IF_ERROR(RefuseLiteralPassword(s));
  TM_RETURN_IF_ERROR(s.CheckKeys(keys));
  if (!type) return s.Missing("type");
  out->set_type(t);

  const std::string_view dsn_key = t == "mongo" ? "uri" : "dsn";
  TM_OPT(auto dsn, s.String(dsn_key));
  if (!dsn || dsn->empty()) return s.Missing(dsn_key);
  out->set_dsn(*dsn);
  TM_RETURN_IF_ERROR(ResolvePassword(s, out->mutable_password(), out->mutable_password_source()));
  TM_ASSIGN_OR_RETURN(uint32_t chunk, PositiveU32(s, "chunk_events", kDefaultChunkEvents));
  out->set_chunk_events(chunk);

  if (t == "postgres") {
    TM_OPT(auto slot, s.String("slot"));
    TM_OPT(auto publication, s.String("publication"));
    out->set_slot(slot.value_or("tidemark_" + pipeline));
    out->set_publication(publication.value_or("tidemark_" + pipeline));
    if (!NameChars(out->slot(), "") || out->slot().size() > 63) {
      return s.ErrorAt("slot", "a slot name is 1 to 63 of a-z, 0-9 and _");
    }
    TM_OPT(auto tables, s.StringList("tables"));
    if (!tables) return s.Missing("tables");
    if (tables->empty()) return s.ErrorAt("tables", "list at least one table (schema.table)");
    TM_RETURN_IF_ERROR(CheckQualified(s, "tables", *tables, "schema.table (e.g. public.orders)"));
    for (auto& name : *tables) out->add_tables(std::move(name));
    TM_OPT(auto create_slot, s.Bool("create_slot"));
    TM_OPT(auto create_pub, s.Bool("create_publication"));
    out->set_create_slot(create_slot.value_or(true));
    out->set_create_publication(create_pub.value_or(true));
    TM_ASSIGN_OR_RETURN(uint32_t si, U32Ms(s, "status_interval_ms", kDefaultStatusIntervalMs));
    if (si == 0) return s.ErrorAt("status_interval_ms", "must be more than 0");
    out->set_status_interval_ms(si);
    TM_ASSIGN_OR_RETURN(uint32_t linger, U32Ms(s, "catchup_linger_ms", kDefaultCatchupLingerMs));
    out->set_catchup_linger_ms(linger);
    TM_OPT(auto rcvbuf, s.Size("receive_buffer_bytes"));
    out->set_receive_buffer_bytes(rcvbuf.value_or(kDefaultReceiveBufferBytes));
    if (out->receive_buffer_bytes() > (1u << 30)) {
      return s.ErrorAt("receive_buffer_bytes", "must be at most 1GiB (0: the kernel's own tuning)");
    }
  } else if (t == "mysql") {
    TM_OPT(auto tables, s.StringList("tables"));
    if (tables) {
      TM_RETURN_IF_ERROR(CheckQualified(s, "tables", *tables, "database.table (e.g. shop.orders)"));
      for (auto& name : *tables) out->add_tables(std::move(name));
    }
    TM_OPT(auto server_id, s.Uint("server_id", kU32));
    if (server_id && *server_id == 0) return s.ErrorAt("server_id", "must be at least 1");
    out->set_server_id(server_id ? static_cast<uint32_t>(*server_id) : DefaultServerId(pipeline));
    TM_OPT(auto start, s.String("start"));
    out->set_start(start.value_or("now"));
    if (out->start().empty()) return s.ErrorAt("start", "write now, FILE:POS or a GTID set");
  } else {
    // No database: the whole deployment, collections then written db.coll.
    TM_OPT(auto db, s.String("database"));
    if (db && db->empty()) return s.ErrorAt("database", "leave it out to watch every database");
    out->set_database(db.value_or(""));
    for (const char* key : {"collections", "exclude_collections"}) {
      TM_OPT(auto names, s.StringList(key));
      if (!names) continue;
      if (out->database().empty()) {
        TM_RETURN_IF_ERROR(CheckQualified(s, key, *names, "database.collection (no source.database)"));
      }
      for (auto& name : *names) {
        if (std::string_view(key) == "collections") {
          out->add_collections(std::move(name));
        } else {
          out->add_exclude_collections(std::move(name));
        }
      }
    }
    if (out->collections_size() > 0 && out->exclude_collections_size() > 0) {
      return s.ErrorAt("exclude_collections", "use collections or exclude_collections, not both");
    }
    TM_OPT(auto mode, s.String("capture_mode"));
    if (mode) TM_RETURN_IF_ERROR(s.CheckOneOf("capture_mode", *mode, {"updateLookup", "pre_post_images"}));
    out->set_capture_mode(mode.value_or("updateLookup"));
    TM_ASSIGN_OR_RETURN(uint32_t idle, U32Ms(s, "idle_commit_ms", 10000));
    if (idle == 0) return s.ErrorAt("idle_commit_ms", "must be more than 0");
    out->set_idle_commit_ms(idle);
  }
  return absl::OkStatus();
}

// A secret from NAME_env / NAME_file of `s` (nullopt when neither is set).
absl::StatusOr<std::optional<std::string>> SecretFrom(const Section& s, const std::string& base) {
  const std::string env_key = base + "_env", file_key = base + "_file";
  TM_OPT(auto env, s.String(env_key));
  TM_OPT(auto file, s.String(file_key));
  if (env && file) return s.ErrorAt(file_key, fmt::format("set {} or {}, not both", env_key, file_key));
  if (env) {
    const char* value = env->empty() ? nullptr : std::getenv(env->c_str());
    if (value == nullptr || *value == '\0') {
      return s.ErrorAt(env_key, fmt::format("environment variable '{}' is not set or empty", *env));
    }
    return std::string(value);
  }
  if (file) {
    absl::StatusOr<std::string> text = ReadFile(*file);
    if (!text.ok()) return s.ErrorAt(file_key, SV(text.status().message()));
    std::string v = std::move(*text);
    while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
    if (v.empty()) return s.ErrorAt(file_key, fmt::format("{} is empty", *file));
    return v;
  }
  return std::nullopt;
}

bool SecretPropertyName(std::string_view name) {
  return name.find("password") != std::string_view::npos ||
         name.find("secret") != std::string_view::npos;
}

// The kafka-only keys (conf/README.md, README.md "Kafka sink").
absl::Status ParseKafka(const Section& s, v1::SinkConfig* out) {
  // Topic template placeholders.
  const std::string& tmpl = out->topic();
  for (size_t open = tmpl.find('{'); open != std::string::npos; open = tmpl.find('{', open + 1)) {
    const size_t close = tmpl.find('}', open);
    const std::string ph = close == std::string::npos ? "" : tmpl.substr(open + 1, close - open - 1);
    if (ph != "pipeline" && ph != "db" && ph != "schema" && ph != "table") {
      return s.ErrorAt("topic", fmt::format("'{}' has an unknown or unclosed placeholder at character "
                                            "{} (use {{pipeline}}, {{db}}, {{schema}}, {{table}})",
                                            tmpl, open + 1));
    }
  }
  TM_OPT(auto props, s.Map("properties"));
  if (props) {
    for (const std::string& key : props->Keys()) {
      const bool env = key.size() > 4 && key.ends_with("_env");
      const bool file = key.size() > 5 && key.ends_with("_file");
      if (env || file) {
        const std::string prop = key.substr(0, key.size() - (env ? 4 : 5));
        TM_OPT(auto secret, SecretFrom(*props, prop));
        if (secret) {
          (*out->mutable_properties())[prop] = *secret;
          out->add_secret_properties(prop);
        }
        continue;
      }
      if (SecretPropertyName(key)) {
        return props->ErrorAt(key, fmt::format("secrets are not written in the config; use {0}_env "
                                               "(an environment variable) or {0}_file",
                                               key));
      }
      TM_OPT(auto value, props->String(key));
      if (value->empty()) return props->ErrorAt(key, "empty value");
      (*out->mutable_properties())[key] = *value;
    }
  }
  for (const auto& [base, prop] : std::vector<std::pair<std::string, std::string>>{
           {"sasl_password", "sasl.password"}, {"ssl_key_password", "ssl.key.password"}}) {
    TM_OPT(auto secret, SecretFrom(s, base));
    if (secret) {
      (*out->mutable_properties())[prop] = *secret;
      out->add_secret_properties(prop);
    }
  }
  TM_OPT(auto keys, s.Map("key_columns"));
  if (keys) {
    for (const std::string& table : keys->Keys()) {
      absl::StatusOr<std::optional<std::vector<std::string>>> cols = keys->StringList(table);
      if (!cols.ok()) return cols.status();
      const std::vector<std::string> names = cols->value_or(std::vector<std::string>{});
      if (names.empty()) return keys->ErrorAt(table, "list at least one column");
      if (table.find('.') == std::string::npos) {
        return keys->ErrorAt(table, fmt::format("'{}' must be written as schema.table", table));
      }
      auto& kc = (*out->mutable_key_columns())[table];
      for (const auto& c : names) kc.add_columns(c);
    }
  }
  TM_OPT(auto tombstones, s.Bool("tombstones"));
  out->set_tombstones(tombstones.value_or(true));
  out->set_topic_partitions(-1);
  out->set_topic_replication_factor(-1);
  TM_OPT(auto create, s.Map("create_topics"));
  if (create) {
    TM_RETURN_IF_ERROR(create->CheckKeys({"partitions", "replication_factor"}));
    out->set_create_topics(true);
    TM_OPT(auto parts, create->Uint("partitions", 1000000));
    if (parts) {
      if (*parts == 0) return create->ErrorAt("partitions", "must be at least 1");
      out->set_topic_partitions(static_cast<int32_t>(*parts));
    }
    TM_OPT(auto rf, create->Uint("replication_factor", 1000));
    if (rf) {
      if (*rf == 0) return create->ErrorAt("replication_factor", "must be at least 1");
      out->set_topic_replication_factor(static_cast<int32_t>(*rf));
    }
  }
  TM_OPT(auto txn_topic, s.String("transaction_topic"));
  if (txn_topic) {
    if (txn_topic->empty()) return s.ErrorAt("transaction_topic", "must not be empty");
    out->set_transaction_topic(*txn_topic);
  }
  return absl::OkStatus();
}

// `source_type` picks the Kafka topic default: MongoDB tables have a database and no
// schema, so theirs is <pipeline>.{db}.{table} (Debezium's prefix.db.collection).
absl::Status ParseSink(const Section& s, const std::string& pipeline,
                       const std::string& source_type, v1::SinkConfig* out) {
  TM_OPT(auto type, s.String("type"));
  if (type) {
    TM_RETURN_IF_ERROR(s.CheckOneOf("type", *type, {"file", "null", "postgres", "mysql", "kafka"}));
  }
  const std::string t = type.value_or("");
  std::vector<std::string_view> keys = {"name", "type"};
  if (t == "file" || t.empty()) keys.insert(keys.end(), {"path", "fsync"});
  if (t == "postgres" || t == "mysql" || t.empty()) {
    keys.insert(keys.end(), {"dsn", "password_env", "password_file", "create_tables",
                             "schema_changes", "target_schema"});
  }
  if (t == "kafka" || t.empty()) {
    keys.insert(keys.end(), {"brokers", "topic", "format", "properties", "key_columns", "tombstones",
                             "create_topics", "transaction_topic", "sasl_password_env",
                             "sasl_password_file", "ssl_key_password_env", "ssl_key_password_file"});
  }
  keys.insert(keys.end(), {"batch_events", "batch_ms"});
  TM_RETURN_IF_ERROR(RefuseLiteralPassword(s));
  TM_RETURN_IF_ERROR(s.CheckKeys(keys));

  TM_OPT(auto name, s.String("name"));
  if (!name) return s.Missing("name");
  if (!NameChars(*name, "-") || name->size() > 64) {
    return s.ErrorAt("name", fmt::format("'{}' is not a valid sink name: use 1 to 64 of a-z, 0-9, "
                                         "_ and - (it names the checkpoint file)",
                                         *name));
  }
  out->set_name(*name);
  if (!type) return s.Missing("type");
  out->set_type(t);
  const uint32_t default_batch = t == "kafka"                        ? kDefaultKafkaBatchEvents
                                 : t == "postgres" || t == "mysql" ? kDefaultDbBatchEvents
                                                                   : kDefaultBatchEvents;
  TM_ASSIGN_OR_RETURN(uint32_t be, PositiveU32(s, "batch_events", default_batch));
  out->set_batch_events(be);
  TM_ASSIGN_OR_RETURN(uint32_t bms, U32Ms(s, "batch_ms", kDefaultBatchMs));
  out->set_batch_ms(bms);

  if (t == "file") {
    TM_OPT(auto path, s.String("path"));
    if (!path || path->empty()) return s.Missing("path");
    out->set_path(*path);
    TM_OPT(auto fsync, s.Bool("fsync"));
    out->set_fsync(fsync.value_or(true));
  } else if (t == "postgres" || t == "mysql") {
    TM_OPT(auto dsn, s.String("dsn"));
    if (!dsn || dsn->empty()) return s.Missing("dsn");
    out->set_dsn(*dsn);
    TM_RETURN_IF_ERROR(
        ResolvePassword(s, out->mutable_password(), out->mutable_password_source()));
    TM_OPT(auto create, s.Bool("create_tables"));
    out->set_create_tables(create.value_or(false));
    TM_OPT(auto changes, s.String("schema_changes"));
    out->set_schema_changes(changes.value_or("error"));
    TM_RETURN_IF_ERROR(s.CheckOneOf("schema_changes", out->schema_changes(), {"error", "apply"}));
    TM_OPT(auto target_schema, s.String("target_schema"));
    if (target_schema) {
      if (target_schema->empty()) return s.ErrorAt("target_schema", "must not be empty");
      out->set_target_schema(*target_schema);
    }
  } else if (t == "kafka") {
    TM_OPT(auto brokers, s.String("brokers"));
    if (!brokers || brokers->empty()) return s.Missing("brokers");
    out->set_brokers(*brokers);
    TM_OPT(auto topic, s.String("topic"));
    out->set_topic(topic.value_or(pipeline + (source_type == "mongo" ? ".{db}.{table}"
                                                                      : ".{schema}.{table}")));
    if (out->topic().empty()) return s.ErrorAt("topic", "must not be empty");
    TM_OPT(auto format, s.String("format"));
    out->set_format(format.value_or("json"));
    TM_RETURN_IF_ERROR(s.CheckOneOf("format", out->format(), {"json", "protobuf"}));
    TM_RETURN_IF_ERROR(ParseKafka(s, out));
  }
  return absl::OkStatus();
}

// The topics of the source's tables, for `tidemark check` (SinkConfig.expected_topics):
// only when the template does not need the database name (which the DSN holds).
void ExpectedTopics(const v1::SourceConfig& src, const std::string& pipeline, v1::SinkConfig* k) {
  auto add = [&](const std::string& topic) {
    for (const auto& t : k->expected_topics()) {
      if (t == topic) return;
    }
    k->add_expected_topics(topic);
  };
  if (!k->transaction_topic().empty()) add(k->transaction_topic());
  if (k->topic().find("{db}") != std::string::npos) return;
  for (const std::string& qualified : src.tables()) {
    const size_t dot = qualified.find('.');
    if (dot == std::string::npos) continue;
    std::string topic;
    const std::string_view tmpl = k->topic();
    for (size_t i = 0; i < tmpl.size();) {
      auto starts = [&](std::string_view ph) { return tmpl.substr(i, ph.size()) == ph; };
      if (starts("{pipeline}")) {
        topic += pipeline;
        i += 10;
      } else if (starts("{schema}")) {
        topic += src.type() == "postgres" ? qualified.substr(0, dot) : "";
        i += 8;
      } else if (starts("{table}")) {
        topic += qualified.substr(dot + 1);
        i += 7;
      } else {
        topic += tmpl[i++];
      }
    }
    for (char& c : topic) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
      if (!ok) c = '_';
    }
    add(topic);
  }
}

absl::Status ParseSinks(const Section& root, v1::PipelineConfig* cfg) {
  TM_OPT(auto sinks, root.MapList("sinks"));
  if (!sinks) return root.Missing("sinks");
  if (sinks->empty()) return root.ErrorAt("sinks", "list at least one sink");
  std::map<std::string, int> names;  // name → line
  std::map<std::string, std::string> paths;  // file path → sink name
  for (const Section& s : *sinks) {
    v1::SinkConfig* sink = cfg->add_sinks();
    TM_RETURN_IF_ERROR(ParseSink(s, cfg->pipeline(), cfg->source().type(), sink));
    if (sink->type() == "kafka") ExpectedTopics(cfg->source(), cfg->pipeline(), sink);
    auto [it, fresh] = names.emplace(sink->name(), s.LineOf("name"));
    if (!fresh) {
      return s.ErrorAt("name", fmt::format("duplicate sink name '{}' (first at line {})",
                                           sink->name(), it->second));
    }
    if (sink->type() == "file") {
      auto [p, new_path] = paths.emplace(sink->path(), sink->name());
      if (!new_path) {
        return s.ErrorAt("path", fmt::format("sink '{}' already writes to this file", p->second));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ParseJournal(const Section& root, v1::JournalConfig* j) {
  TM_OPT(auto sec, root.Map("journal"));
  const Section s = sec.value_or(Section("", nullptr, YAML::Node(), "journal"));
  TM_RETURN_IF_ERROR(s.CheckKeys({"max_bytes", "retain", "retain_bytes", "segment_bytes",
                                  "group_commit_ms", "group_commit_bytes", "cache_bytes"}));
  TM_OPT(auto max_bytes, s.Size("max_bytes"));
  j->set_max_bytes(max_bytes.value_or(kDefaultMaxBytes));
  TM_ASSIGN_OR_RETURN(uint64_t retain, WholeSeconds(s, "retain", kDefaultRetainSeconds));
  j->set_retain_seconds(retain);
  TM_OPT(auto retain_bytes, s.Size("retain_bytes"));
  j->set_retain_bytes(retain_bytes.value_or(0));
  TM_OPT(auto segment, s.Size("segment_bytes"));
  j->set_segment_bytes(segment.value_or(kDefaultSegmentBytes));
  if (j->segment_bytes() == 0) return s.ErrorAt("segment_bytes", "must be more than 0");
  if (j->max_bytes() != 0 && j->max_bytes() < j->segment_bytes()) {
    return s.ErrorAt("max_bytes", "must be at least segment_bytes (or 0 for no cap)");
  }
  TM_ASSIGN_OR_RETURN(uint32_t gc_ms, U32Ms(s, "group_commit_ms", kDefaultGroupCommitMs));
  j->set_group_commit_ms(gc_ms);
  TM_OPT(auto gc_bytes, s.Size("group_commit_bytes"));
  j->set_group_commit_bytes(gc_bytes.value_or(kDefaultGroupCommitBytes));
  TM_OPT(auto cache_bytes, s.Size("cache_bytes"));
  j->set_cache_bytes(cache_bytes.value_or(kDefaultCacheBytes));
  return absl::OkStatus();
}

absl::Status ParseSections(const Section& root, v1::PipelineConfig* cfg) {
  TM_RETURN_IF_ERROR(ParseJournal(root, cfg->mutable_journal()));

  TM_OPT(auto snap, root.Map("snapshot"));
  if (snap) {
    TM_RETURN_IF_ERROR(snap->CheckKeys({"mode", "chunk_rows"}));
    TM_OPT(auto mode, snap->String("mode"));
    if (mode) TM_RETURN_IF_ERROR(snap->CheckOneOf("mode", *mode, {"initial", "never", "always"}));
    cfg->mutable_snapshot()->set_mode(mode.value_or("initial"));
    TM_ASSIGN_OR_RETURN(uint32_t rows, PositiveU32(*snap, "chunk_rows", kDefaultSnapshotChunkRows));
    cfg->mutable_snapshot()->set_chunk_rows(rows);
  } else {
    cfg->mutable_snapshot()->set_mode("initial");
    cfg->mutable_snapshot()->set_chunk_rows(kDefaultSnapshotChunkRows);
  }

  TM_OPT(auto rec, root.Map("reconcile"));
  if (rec) {
    TM_RETURN_IF_ERROR(rec->CheckKeys({"every"}));
    TM_ASSIGN_OR_RETURN(uint64_t every, WholeSeconds(*rec, "every", 0));
    cfg->mutable_reconcile()->set_every_seconds(every);
  }

  TM_OPT(auto met, root.Map("metrics"));
  if (met) {
    TM_RETURN_IF_ERROR(met->CheckKeys({"listen"}));
    TM_OPT(auto listen, met->String("listen"));
    if (listen) {
      const size_t colon = listen->rfind(':');
      uint64_t port = 0;
      bool ok = colon != std::string::npos && colon + 1 < listen->size() &&
                listen->size() - colon <= 6;
      for (size_t i = colon + 1; ok && i < listen->size(); ++i) {
        ok = (*listen)[i] >= '0' && (*listen)[i] <= '9';
        port = port * 10 + static_cast<uint64_t>((*listen)[i] - '0');
      }
      if (!ok || port == 0 || port > 65535) {
        return met->ErrorAt("listen", fmt::format("'{}' is not host:port (e.g. 127.0.0.1:9187)",
                                                  *listen));
      }
      cfg->mutable_metrics()->set_listen(*listen);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::PipelineConfig> Parse(const YAML::Node& doc, const std::string& src,
                                          std::shared_ptr<const std::string> text) {
  if (!doc.IsDefined() || doc.IsNull()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: the config is empty; it needs at least pipeline, source and sinks", src));
  }
  if (!doc.IsMap()) {
    return absl::InvalidArgumentError(
        fmt::format("{}expected a map of keys (pipeline, source, sinks, ...) at the top level, got {}",
                    config::LocationPrefix(src, doc.Mark()), config::Describe(doc)));
  }
  const Section root(src, std::move(text), doc, "");
  TM_RETURN_IF_ERROR(root.CheckKeys({"pipeline", "data_dir", "source", "sinks", "journal",
                                     "snapshot", "reconcile", "metrics"}));
  v1::PipelineConfig cfg;
  cfg.set_config_path(src);
  TM_OPT(auto pipeline, root.String("pipeline"));
  if (!pipeline) return root.Missing("pipeline");
  if (!NameChars(*pipeline, "") || pipeline->size() > kMaxPipelineName) {
    return root.ErrorAt("pipeline",
                        fmt::format("'{}' is not a valid pipeline name: use 1 to {} of a-z, 0-9 "
                                    "and _ (it names the replication slot)",
                                    *pipeline, kMaxPipelineName));
  }
  cfg.set_pipeline(*pipeline);
  TM_OPT(auto data_dir, root.String("data_dir"));
  if (data_dir && data_dir->empty()) return root.ErrorAt("data_dir", "must not be empty");
  cfg.set_data_dir(data_dir.value_or("./var/" + *pipeline));

  TM_OPT(auto source, root.Map("source"));
  if (!source) return root.Missing("source");
  TM_RETURN_IF_ERROR(ParseSource(*source, cfg.pipeline(), cfg.mutable_source()));
  TM_RETURN_IF_ERROR(ParseSinks(root, &cfg));
  TM_RETURN_IF_ERROR(ParseSections(root, &cfg));
  return cfg;
}

}  // namespace

absl::StatusOr<v1::PipelineConfig> LoadConfigFromString(std::string_view yaml,
                                                        const std::string& source_name) {
  try {
    auto text = std::make_shared<const std::string>(yaml);
    YAML::Node doc = YAML::Load(*text);
    return Parse(doc, source_name, text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(fmt::format("{}YAML syntax error: {}",
                                                  config::LocationPrefix(source_name, e.mark),
                                                  e.msg));
  }
}

absl::StatusOr<v1::PipelineConfig> LoadConfig(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) {
    return absl::InvalidArgumentError(fmt::format("cannot read config: {}", text.status().message()));
  }
  return LoadConfigFromString(*text, path);
}

}  // namespace tidemark
