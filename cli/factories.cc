// Builds sources and sinks from their config sections.
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "common/strings.h"
#include "apply/file/file_sink.h"
#include "apply/file/null_sink.h"
#include "apply/format/json_envelope.h"
#include "apply/kafka/kafka_admin.h"
#include "apply/kafka/kafka_sink.h"
#include "apply/mysql/mysql_sink.h"
#include "apply/pg/pg_sink.h"
#include "capture/mongo/mongo_source.h"
#include "capture/mysql/mysql_source.h"
#include "capture/pg/pg_source.h"
#include "cli/pipeline.h"

namespace tidemark {
namespace {

DbSinkOptions DbOptions(const v1::PipelineConfig& config, const v1::SinkConfig& sink) {
  DbSinkOptions o;
  o.name = sink.name();
  o.pipeline = config.pipeline();
  o.dsn = sink.dsn();
  o.password = sink.password();
  o.create_tables = sink.create_tables();
  o.apply_schema_changes = sink.schema_changes() == "apply";
  o.target_schema = sink.target_schema();
  if (sink.batch_events() > 0) o.batch_events = sink.batch_events();
  o.batch_wait = absl::Milliseconds(sink.batch_ms());
  return o;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Source>> MakeSource(const v1::PipelineConfig& config,
                                                   SchemaRegistry* schemas) {
  const auto& s = config.source();
  if (s.type() == "postgres") {
    pg::PgSourceOptions o;
    o.dsn = s.dsn();
    o.password = s.password();
    o.slot = s.slot();
    o.publication = s.publication();
    o.tables.assign(s.tables().begin(), s.tables().end());
    o.create_slot = s.create_slot();
    o.create_publication = s.create_publication();
    o.status_interval = absl::Milliseconds(s.status_interval_ms());
    o.chunk_events = s.chunk_events();
    o.catchup_linger = absl::Milliseconds(s.catchup_linger_ms());
    o.receive_buffer = static_cast<int>(s.receive_buffer_bytes());
    return std::make_unique<pg::PgSource>(std::move(o), schemas);
  }
  if (s.type() == "mongo") {
    mongo::MongoSourceOptions o;
    o.uri = s.dsn();
    o.password = s.password();
    o.watch.database = s.database();
    o.watch.collections.assign(s.collections().begin(), s.collections().end());
    o.watch.exclude.assign(s.exclude_collections().begin(), s.exclude_collections().end());
    o.watch.pre_post_images = s.capture_mode() == "pre_post_images";
    o.chunk_events = s.chunk_events();
    o.idle_commit_interval = absl::Milliseconds(s.idle_commit_ms());
    return std::make_unique<mongo::MongoSource>(std::move(o), schemas);
  }
  if (s.type() == "mysql") {
    mysql::MysqlSourceOptions o;
    o.dsn = s.dsn();
    o.password = s.password();
    o.server_id = s.server_id();
    o.start = s.start();
    o.tables.assign(s.tables().begin(), s.tables().end());
    o.chunk_events = s.chunk_events();
    o.schema_history_path = config.data_dir() + "/mysql_schema_history.pb";
    return std::make_unique<mysql::MysqlSource>(std::move(o), schemas);
  }
  return absl::UnimplementedError(fmt::format(
      "source.type '{}' is not available in this build yet; use postgres", s.type()));
}

absl::StatusOr<std::unique_ptr<Sink>> MakeSink(const v1::PipelineConfig& config,
                                               const v1::SinkConfig& sink,
                                               const SchemaRegistry* schemas,
                                               CheckpointStore* checkpoints) {
  if (sink.type() == "file") {
    EnvelopeContext ctx;
    ctx.connector = std::string(ConnectorName(config.source().type()));
    ctx.name = config.pipeline();
    auto s = FileSink::Open(sink.name(), sink.path(), sink.fsync(), schemas, checkpoints, ctx);
    if (!s.ok()) return s.status();
    return std::unique_ptr<Sink>(std::move(*s));
  }
  if (sink.type() == "null") return std::make_unique<NullSink>(sink.name(), checkpoints);
  if (sink.type() == "postgres") {
    return std::make_unique<pgsink::PgSink>(DbOptions(config, sink), schemas);
  }
  if (sink.type() == "mysql") {
    return std::make_unique<mysqlsink::MysqlSink>(DbOptions(config, sink), schemas);
  }
  if (sink.type() == "kafka") {
    kafka::KafkaSinkOptions o;
    o.name = sink.name();
    o.pipeline = config.pipeline();
    o.brokers = sink.brokers();
    if (!sink.topic().empty()) o.topic_template = sink.topic();
    o.format = sink.format() == "protobuf" ? kafka::Format::kProtobuf : kafka::Format::kJson;
    o.properties.insert(sink.properties().begin(), sink.properties().end());
    for (const auto& [table, cols] : sink.key_columns()) {
      o.key_columns[table].assign(cols.columns().begin(), cols.columns().end());
    }
    o.tombstones = sink.tombstones();
    o.create_topics = sink.create_topics();
    o.partitions = sink.topic_partitions();
    o.replication_factor = sink.topic_replication_factor();
    o.transaction_topic = sink.transaction_topic();
    o.envelope.connector = std::string(ConnectorName(config.source().type()));
    o.envelope.name = config.pipeline();
    auto s = kafka::KafkaSink::Open(std::move(o), schemas, checkpoints);
    if (!s.ok()) return s.status();
    return std::unique_ptr<Sink>(std::move(*s));
  }
  return absl::UnimplementedError(fmt::format(
      "sink {}: type '{}' is not available in this build yet; use file or null", sink.name(),
      sink.type()));
}

std::vector<Prerequisite> CheckSink(const v1::PipelineConfig& config, const v1::SinkConfig& sink,
                                    const std::vector<v1::TableSchema>& tables) {
  std::vector<Prerequisite> out;
  if (sink.type() == "file" && sink.path() != "-") {
    std::filesystem::path dir = std::filesystem::path(sink.path()).parent_path();
    if (dir.empty()) dir = ".";
    std::error_code ec;
    std::filesystem::path probe = dir;
    while (!std::filesystem::exists(probe, ec) && probe.has_parent_path() && probe != probe.parent_path()) {
      probe = probe.parent_path();
    }
    if (access(probe.c_str(), W_OK) != 0) {
      out.push_back({fmt::format("cannot write to {} (for {})", probe.string(), sink.path()),
                     "make the directory writable for this user or change the sink's path"});
    }
  }
  // A table problem (apply/db/target_check.h: it names the target or source table)
  // ends with its own fix; the rest are about reaching the target.
  auto db_fix = [](const std::string& problem) {
    return problem.find("target table") != std::string::npos ||
                   problem.find("source table") != std::string::npos
               ? std::string("change the target table, or the sink's options, as said above")
               : std::string("fix the sink's dsn, the target server or the user's privileges");
  };
  if (sink.type() == "postgres") {
    for (const std::string& problem : pgsink::PgSink::Check(DbOptions(config, sink), tables)) {
      out.push_back({problem, db_fix(problem)});
    }
  }
  if (sink.type() == "mysql") {
    for (const std::string& problem : mysqlsink::MysqlSink::Check(DbOptions(config, sink), tables)) {
      out.push_back({problem, db_fix(problem)});
    }
  }
  if (sink.type() == "kafka") {
    std::map<std::string, std::string> props(sink.properties().begin(), sink.properties().end());
    std::vector<std::string> topics(sink.expected_topics().begin(), sink.expected_topics().end());
    for (const std::string& problem :
         kafka::CheckCluster(sink.brokers(), props, topics, sink.create_topics(),
                             sink.topic_partitions(), sink.topic_replication_factor(),
                             absl::Seconds(10))) {
      out.push_back({problem, problem.find("unreachable") != std::string::npos
                                  ? "start the brokers or fix `brokers` and the connection "
                                    "`properties` (TLS, SASL)"
                                  : "create the topic, or set create_topics on the sink"});
    }
  }
  return out;
}

}  // namespace tidemark
