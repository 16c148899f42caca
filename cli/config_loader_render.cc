// RenderConfig and RedactDsn (cli/config_loader.h): the effective config as YAML
// that LoadConfigFromString reads back to the same PipelineConfig (passwords
// aside), with secrets left out.
#include <map>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>

#include "cli/config_loader.h"
#include "common/strings.h"

namespace tidemark {
namespace {

// The largest unit that divides `bytes` exactly: 10GiB, 1500B.
std::string SizeText(uint64_t bytes) {
  if (bytes == 0) return "0";
  static constexpr struct { uint64_t scale; const char* unit; } kUnits[] = {
      {1ull << 40, "TiB"}, {1ull << 30, "GiB"}, {1ull << 20, "MiB"}, {1ull << 10, "KiB"}};
  for (const auto& u : kUnits) {
    if (bytes % u.scale == 0) return fmt::format("{}{}", bytes / u.scale, u.unit);
  }
  return fmt::format("{}B", bytes);
}

std::string DurationText(uint64_t ms) {
  if (ms == 0) return "0s";
  static constexpr struct { uint64_t scale; const char* unit; } kUnits[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}};
  for (const auto& u : kUnits) {
    if (ms % u.scale == 0) return fmt::format("{}{}", ms / u.scale, u.unit);
  }
  return fmt::format("{}ms", ms);
}

void Secret(YAML::Emitter& out, const std::string& origin) {
  if (origin.rfind("env:", 0) == 0) {
    out << YAML::Key << "password_env" << YAML::Value << origin.substr(4);
  } else if (origin.rfind("file:", 0) == 0) {
    out << YAML::Key << "password_file" << YAML::Value << origin.substr(5);
  }
}

template <typename List>
void Flow(YAML::Emitter& out, const char* key, const List& items) {
  out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const auto& s : items) out << s;
  out << YAML::EndSeq;
}

void Source(YAML::Emitter& out, const v1::SourceConfig& s) {
  out << YAML::Key << "source" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "type" << YAML::Value << s.type();
  out << YAML::Key << (s.type() == "mongo" ? "uri" : "dsn") << YAML::Value << RedactDsn(s.dsn());
  Secret(out, s.password_source());
  if (s.type() == "postgres") {
    out << YAML::Key << "slot" << YAML::Value << s.slot();
    out << YAML::Key << "publication" << YAML::Value << s.publication();
    Flow(out, "tables", s.tables());
    out << YAML::Key << "create_slot" << YAML::Value << s.create_slot();
    out << YAML::Key << "create_publication" << YAML::Value << s.create_publication();
    out << YAML::Key << "status_interval_ms" << YAML::Value << s.status_interval_ms();
    out << YAML::Key << "catchup_linger_ms" << YAML::Value << s.catchup_linger_ms();
    out << YAML::Key << "receive_buffer_bytes" << YAML::Value << SizeText(s.receive_buffer_bytes());
  } else if (s.type() == "mysql") {
    if (s.tables_size() > 0) Flow(out, "tables", s.tables());
    out << YAML::Key << "server_id" << YAML::Value << s.server_id();
    out << YAML::Key << "start" << YAML::Value << s.start();
  } else if (s.type() == "mongo") {
    if (!s.database().empty()) out << YAML::Key << "database" << YAML::Value << s.database();
    if (s.collections_size() > 0) Flow(out, "collections", s.collections());
    if (s.exclude_collections_size() > 0) Flow(out, "exclude_collections", s.exclude_collections());
    out << YAML::Key << "capture_mode" << YAML::Value << s.capture_mode();
    out << YAML::Key << "idle_commit_ms" << YAML::Value << s.idle_commit_ms();
  }
  out << YAML::Key << "chunk_events" << YAML::Value << s.chunk_events();
  out << YAML::EndMap;
}

void Sink(YAML::Emitter& out, const v1::SinkConfig& s) {
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << s.name();
  out << YAML::Key << "type" << YAML::Value << s.type();
  if (s.type() == "file") {
    out << YAML::Key << "path" << YAML::Value << s.path();
    out << YAML::Key << "fsync" << YAML::Value << s.fsync();
  } else if (s.type() == "postgres" || s.type() == "mysql") {
    out << YAML::Key << "dsn" << YAML::Value << RedactDsn(s.dsn());
    Secret(out, s.password_source());
    out << YAML::Key << "create_tables" << YAML::Value << s.create_tables();
    out << YAML::Key << "schema_changes" << YAML::Value << s.schema_changes();
    if (!s.target_schema().empty()) {
      out << YAML::Key << "target_schema" << YAML::Value << s.target_schema();
    }
  } else if (s.type() == "kafka") {
    out << YAML::Key << "brokers" << YAML::Value << s.brokers();
    out << YAML::Key << "topic" << YAML::Value << s.topic();
    out << YAML::Key << "format" << YAML::Value << s.format();
    if (!s.properties().empty()) {
      std::map<std::string, std::string> sorted(s.properties().begin(), s.properties().end());
      out << YAML::Key << "properties" << YAML::Value << YAML::BeginMap;
      for (const auto& [k, v] : sorted) {
        bool secret = false;
        for (const auto& name : s.secret_properties()) secret = secret || name == k;
        out << YAML::Key << k << YAML::Value << (secret ? std::string("(secret)") : v);
      }
      out << YAML::EndMap;
    }
    if (!s.key_columns().empty()) {
      std::map<std::string, v1::KeyColumns> sorted(s.key_columns().begin(), s.key_columns().end());
      out << YAML::Key << "key_columns" << YAML::Value << YAML::BeginMap;
      for (const auto& [table, cols] : sorted) Flow(out, table.c_str(), cols.columns());
      out << YAML::EndMap;
    }
    out << YAML::Key << "tombstones" << YAML::Value << s.tombstones();
    if (s.create_topics()) {
      out << YAML::Key << "create_topics" << YAML::Value << YAML::BeginMap;
      if (s.topic_partitions() > 0) out << YAML::Key << "partitions" << YAML::Value << s.topic_partitions();
      if (s.topic_replication_factor() > 0) {
        out << YAML::Key << "replication_factor" << YAML::Value << s.topic_replication_factor();
      }
      out << YAML::EndMap;
    }
    if (!s.transaction_topic().empty()) {
      out << YAML::Key << "transaction_topic" << YAML::Value << s.transaction_topic();
    }
  }
  out << YAML::Key << "batch_events" << YAML::Value << s.batch_events();
  out << YAML::Key << "batch_ms" << YAML::Value << s.batch_ms();
  out << YAML::EndMap;
}

}  // namespace

std::string RedactDsn(std::string_view dsn) {
  std::string out(dsn);
  // URI userinfo: scheme://user:secret@host
  const size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    const size_t start = scheme + 3;
    const size_t end = out.find_first_of("/?#", start);
    const size_t at = out.rfind('@', end == std::string::npos ? out.size() : end);
    if (at != std::string::npos && at > start) {
      const size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "<redacted>");
    }
  }
  // Keyword or query form: password=secret, password = 'se cret', ?password=x&...
  for (size_t pos = out.find("password"); pos != std::string::npos;
       pos = out.find("password", pos + 1)) {
    if (pos > 0 && out[pos - 1] != ' ' && out[pos - 1] != '?' && out[pos - 1] != '&' &&
        out[pos - 1] != '\t') {
      continue;
    }
    size_t i = pos + 8;
    while (i < out.size() && out[i] == ' ') ++i;
    if (i >= out.size() || out[i] != '=') continue;
    ++i;
    while (i < out.size() && out[i] == ' ') ++i;
    size_t end = i;
    if (end < out.size() && out[end] == '\'') {
      ++end;
      while (end < out.size() && out[end] != '\'') end += out[end] == '\\' ? 2 : 1;
      end = std::min(end + 1, out.size());
    } else {
      while (end < out.size() && out[end] != ' ' && out[end] != '&' && out[end] != '\t') ++end;
    }
    out.replace(i, end - i, "<redacted>");
  }
  return out;
}

std::string RenderConfig(const v1::PipelineConfig& c) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "pipeline" << YAML::Value << c.pipeline();
  out << YAML::Key << "data_dir" << YAML::Value << c.data_dir();
  Source(out, c.source());
  out << YAML::Key << "sinks" << YAML::Value << YAML::BeginSeq;
  for (const auto& s : c.sinks()) Sink(out, s);
  out << YAML::EndSeq;
  const auto& j = c.journal();
  out << YAML::Key << "journal" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "max_bytes" << YAML::Value << SizeText(j.max_bytes());
  out << YAML::Key << "retain" << YAML::Value << DurationText(j.retain_seconds() * 1000);
  out << YAML::Key << "retain_bytes" << YAML::Value << SizeText(j.retain_bytes());
  out << YAML::Key << "segment_bytes" << YAML::Value << SizeText(j.segment_bytes());
  out << YAML::Key << "group_commit_ms" << YAML::Value << j.group_commit_ms();
  out << YAML::Key << "group_commit_bytes" << YAML::Value << SizeText(j.group_commit_bytes());
  out << YAML::Key << "cache_bytes" << YAML::Value << SizeText(j.cache_bytes());
  out << YAML::EndMap;
  out << YAML::Key << "snapshot" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "mode" << YAML::Value << c.snapshot().mode();
  out << YAML::Key << "chunk_rows" << YAML::Value << c.snapshot().chunk_rows();
  out << YAML::EndMap;
  out << YAML::Key << "reconcile" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "every" << YAML::Value << DurationText(c.reconcile().every_seconds() * 1000);
  out << YAML::EndMap;
  if (!c.metrics().listen().empty()) {
    out << YAML::Key << "metrics" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "listen" << YAML::Value << c.metrics().listen();
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace tidemark
