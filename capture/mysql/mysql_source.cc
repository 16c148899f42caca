#include "capture/mysql/mysql_source.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "capture/mysql/mysql_checks.h"
#include "capture/mysql/schema_history.h"
#include "capture/mysql/schema_loader.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark::mysql {

std::optional<std::pair<std::string, uint64_t>> ParseFilePos(std::string_view s) {
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view file = s.substr(0, colon);
  uint64_t pos;
  if (!absl::SimpleAtoi(std::string(s.substr(colon + 1)), &pos)) return std::nullopt;
  // A MySQL GTID "uuid:N" also has this shape: a uuid is 36 chars with 4 dashes.
  if (file.size() == 36 && std::count(file.begin(), file.end(), '-') == 4) return std::nullopt;
  return std::make_pair(std::string(file), pos);
}

MysqlSource::MysqlSource(MysqlSourceOptions options, SchemaRegistry* schemas)
    : options_(std::move(options)), schemas_(schemas) {}

MysqlSource::~MysqlSource() { Close(); }

void MysqlSource::Close() {
  pending_.clear();
  if (stream_) stream_->Close();
  stream_.reset();
}

absl::StatusOr<MysqlDsn> MysqlSource::Dsn() const {
  TM_ASSIGN_OR_RETURN(MysqlDsn d, ParseMysqlDsn(options_.dsn));
  if (!options_.password.empty()) d.password = options_.password;
  return d;
}

absl::StatusOr<std::vector<Prerequisite>> MysqlSource::Check() {
  TM_ASSIGN_OR_RETURN(MysqlDsn d, Dsn());
  TM_ASSIGN_OR_RETURN(auto conn, MysqlConn::Connect(d));
  return CheckMysql(*conn, options_.server_id, options_.tables);
}

absl::Status MysqlSource::Start(const v1::SourcePosition& from) {
  Close();
  TM_ASSIGN_OR_RETURN(MysqlDsn d, Dsn());
  TM_ASSIGN_OR_RETURN(auto sql, MysqlConn::Connect(d));
  MysqlDecoderOptions dopt;
  dopt.tables.insert(options_.tables.begin(), options_.tables.end());
  TM_ASSIGN_OR_RETURN(auto colls, sql->Query("SELECT ID, CHARACTER_SET_NAME FROM "
                                             "information_schema.COLLATIONS",
                                             "reading collations"));
  for (const auto& r : colls) {
    uint32_t id;
    if (r[0] && r[1] && absl::SimpleAtoi(*r[0], &id)) {
      std::string cs = *r[1];
      if (cs == "utf8") cs = "utf8mb3";
      dopt.collations[id] = cs;
    }
  }
  DumpStart start;
  std::string gtid;
  if (from.has_mysql() && !from.mysql().file().empty()) {
    start.file = from.mysql().file();
    start.pos = from.mysql().pos();
    gtid = from.mysql().gtid_set();
  } else if (options_.start.empty() || options_.start == "now") {
    TM_ASSIGN_OR_RETURN(auto rows, sql->Query("SHOW MASTER STATUS", "reading the binlog position"));
    if (rows.empty() || !rows[0][0] || !rows[0][1]) {
      return absl::FailedPreconditionError(
          "SHOW MASTER STATUS returned nothing: the binary log is off; enable log_bin "
          "(see `tidemark check`)");
    }
    start.file = *rows[0][0];
    if (!absl::SimpleAtoi(*rows[0][1], &start.pos)) {
      return absl::InternalError(fmt::format("SHOW MASTER STATUS position '{}'", *rows[0][1]));
    }
    if (sql->is_mariadb()) {
      TM_ASSIGN_OR_RETURN(auto g, sql->QueryValue("SELECT @@gtid_binlog_pos", "reading gtid_binlog_pos"));
      gtid = g.value_or("");
    } else if (rows[0].size() > 4 && rows[0][4]) {
      gtid = *rows[0][4];
    }
  } else if (auto fp = ParseFilePos(options_.start)) {
    start.file = fp->first;
    start.pos = fp->second;
  } else {
    TM_ASSIGN_OR_RETURN(GtidSet set, GtidSet::Parse(options_.start));
    if (set.is_maria() && set.is_mysql()) {
      return absl::InvalidArgumentError(fmt::format(
          "source.start '{}' mixes MariaDB (domain-server-seq) and MySQL (uuid:interval) GTIDs; "
          "use the notation of the server",
          options_.start));
    }
    start.mysql_gtid = set.is_mysql();
    start.gtid = gtid = set.ToString();
  }
  if (!history_) {
    TM_ASSIGN_OR_RETURN(history_, SchemaHistory::Open(options_.schema_history_path));
  }
  schema_ready_ = false;
  decoder_ = std::make_unique<MysqlDecoder>(
      std::move(dopt), schemas_, [this](const std::string& db, const std::string& table) -> const KnownTable* {
        auto it = known_.find(HistoryKey(db, table));
        if (it != known_.end()) return &it->second;
        return before_history_.unknown.empty() ? nullptr : &before_history_;
      });
  TM_RETURN_IF_ERROR(decoder_->SetStart(start.file, gtid));
  unsigned read_timeout = static_cast<unsigned>(
      std::max<int64_t>(10, absl::ToInt64Seconds(options_.heartbeat * 10)));
  TM_ASSIGN_OR_RETURN(auto dump, MysqlConn::Connect(d, read_timeout));
  TM_ASSIGN_OR_RETURN(stream_, BinlogStream::Open(std::move(dump), start, options_.server_id,
                                                  options_.heartbeat));
  spdlog::info("streaming the binlog of {}:{} as server_id {} from {}", d.host, d.port,
               options_.server_id,
               start.file.empty() ? fmt::format("GTID {}", start.gtid)
                                  : fmt::format("{}:{}{}", start.file, start.pos,
                                                gtid.empty() ? "" : " gtid " + gtid));
  return absl::OkStatus();
}

absl::StatusOr<EventChunk> MysqlSource::Next(absl::Duration max_wait) {
  if (!stream_) return absl::FailedPreconditionError("MysqlSource::Next before Start");
  EventChunk chunk;
  chunk.entries.reserve(options_.chunk_events + 16);
  absl::Time deadline = absl::Now() + max_wait;
  while (chunk.entries.size() < options_.chunk_events) {
    if (pending_.empty()) {
      absl::Duration wait = chunk.entries.empty() ? deadline - absl::Now() : absl::ZeroDuration();
      TM_RETURN_IF_ERROR(stream_->ReadBatch(std::max(wait, absl::ZeroDuration()), &pending_));
      if (pending_.empty()) {
        if (!chunk.entries.empty() || absl::Now() >= deadline) break;
        continue;
      }
    }
    RawEvent raw = std::move(pending_.front());
    pending_.pop_front();
    TM_RETURN_IF_ERROR(decoder_->Decode(raw.bytes, &chunk.entries, raw.crc32));
    // The dump's first event is a ROTATE naming the start; the schema must be known
    // before the first TABLE_MAP.
    if (!schema_ready_) TM_RETURN_IF_ERROR(PrepareSchema({decoder_->file(), decoder_->pos()}));
    for (const MysqlDecoder::Ddl& d : decoder_->TakeDdls()) TM_RETURN_IF_ERROR(OnDdl(d));
  }
  return chunk;
}

absl::StatusOr<std::vector<v1::TableSchema>> MysqlSource::DescribeTables() {
  TM_ASSIGN_OR_RETURN(MysqlDsn d, Dsn());
  TM_ASSIGN_OR_RETURN(auto conn, MysqlConn::Connect(d));
  auto want = [this](const std::string& db, const std::string& t) { return Wanted(db, t); };
  TM_ASSIGN_OR_RETURN(std::vector<v1::MysqlTableVersion> versions, ReadTables(*conn, want));
  std::vector<v1::TableSchema> out;
  for (const auto& v : versions) {
    if (v.table().empty() || v.state() != v1::MysqlTableVersion::PRESENT) continue;
    out.push_back(SchemaFromKnown(v.database(), v.table(), ToKnownTable(v)));
  }
  return out;
}

bool MysqlSource::Wanted(const std::string& db, const std::string& table) const {
  if (options_.tables.empty()) return true;
  std::string key = HistoryKey(db, table);
  return std::find(options_.tables.begin(), options_.tables.end(), key) != options_.tables.end();
}

void MysqlSource::SetKnown(const v1::MysqlTableVersion& v) {
  if (!v.table().empty()) known_[HistoryKey(v.database(), v.table())] = ToKnownTable(v);
}

absl::Status MysqlSource::PrepareSchema(const BinlogPos& start) {
  auto want = [this](const std::string& db, const std::string& t) { return Wanted(db, t); };
  if (history_->empty()) {
    TM_ASSIGN_OR_RETURN(MysqlDsn d, Dsn());
    TM_ASSIGN_OR_RETURN(auto conn, MysqlConn::Connect(d));
    TM_ASSIGN_OR_RETURN(ResolvedSchema r, Resolve(*conn, start, want));
    history_->set_server_charset(r.server_charset);
    TM_RETURN_IF_ERROR(history_->Record(r.versions));
    spdlog::info("schema history: loaded {} table definitions for {} (information_schema read at {})",
                 r.versions.size(), PosText(start), PosText(r.read_at));
  } else {
    // Tables added to `tables` after the history was made: load them as the first load
    // does, from where this run starts.
    std::vector<std::string> added;
    for (const std::string& key : options_.tables) {
      if (!history_->Knows(key)) added.push_back(key);
    }
    if (!added.empty()) {
      const size_t new_tables = added.size();
      auto want_added = [&](const std::string& db, const std::string& t) {
        return std::find(added.begin(), added.end(), HistoryKey(db, t)) != added.end();
      };
      TM_ASSIGN_OR_RETURN(MysqlDsn d, Dsn());
      TM_ASSIGN_OR_RETURN(auto conn, MysqlConn::Connect(d));
      TM_ASSIGN_OR_RETURN(ResolvedSchema r, Resolve(*conn, start, want_added));
      std::vector<v1::MysqlTableVersion> tables;  // and the charsets of databases new here
      for (v1::MysqlTableVersion& v : r.versions) {
        if (!v.table().empty()) {
          added.erase(std::remove(added.begin(), added.end(), HistoryKey(v.database(), v.table())),
                      added.end());
        }
        if (!v.table().empty() || !history_->Knows(HistoryKey(v.database(), ""))) {
          tables.push_back(std::move(v));
        }
      }
      // Listed but nowhere (not now, and no DDL since `start`): absent at `start`, on
      // record, so that the next start does not look for them again.
      for (const std::string& key : added) {
        const size_t dot = key.find('.');
        v1::MysqlTableVersion& v = tables.emplace_back();
        v.set_database(key.substr(0, dot));
        v.set_table(dot == std::string::npos ? "" : key.substr(dot + 1));
        v.set_state(v1::MysqlTableVersion::ABSENT);
        v.set_file(start.file);
        v.set_pos(start.pos);
      }
      TM_RETURN_IF_ERROR(history_->Record(tables));
      spdlog::info("schema history: {} table(s) new in source.tables: loaded {} definitions for {}",
                   new_tables, tables.size(), PosText(start));
    }
  }
  state_ = history_->At(start);
  known_.clear();
  for (const auto& [key, v] : state_.all()) SetKnown(v);
  before_history_ = KnownTable{};
  BinlogPos first = history_->First();
  if (!first.file.empty() && CompareBinlogPos(start, first) < 0) {
    before_history_.unknown = fmt::format(
        "the stream starts at {}, before tidemark's schema history (it begins at {})",
        PosText(start), PosText(first));
  }
  schema_ready_ = true;
  return absl::OkStatus();
}

absl::Status MysqlSource::OnDdl(const MysqlDecoder::Ddl& ddl) {
  BinlogPos at{ddl.file, ddl.pos};
  DdlStatement stmt = ParseDdl(ddl.query);
  std::vector<TableRef> unparsed;
  std::string why;
  std::vector<v1::MysqlTableVersion> made = state_.Apply(stmt, ddl.schema, &unparsed, &why);
  std::vector<v1::MysqlTableVersion> record;
  for (v1::MysqlTableVersion& v : made) {
    if (const auto* stored = history_->Exactly(at, v.database(), v.table())) {
      v = *stored;  // recorded by the first load (information_schema) or an earlier run
    } else {
      v.set_file(at.file);
      v.set_pos(at.pos);
      v.set_ddl(ddl.query);
      record.push_back(v);
    }
  }
  std::vector<TableRef> reread;
  for (const TableRef& t : unparsed) {
    if (!Wanted(t.db, t.table)) continue;
    if (const auto* stored = history_->Exactly(at, t.db, t.table)) {
      made.push_back(*stored);
    } else {
      reread.push_back(t);
    }
  }
  if (!reread.empty()) {
    // Fall back to information_schema, recorded only where the binlog proves it exact.
    auto want = [&](const std::string& db, const std::string& table) {
      for (const TableRef& t : reread) {
        if (t.db == db && t.table == table) return true;
      }
      return false;
    };
    TM_ASSIGN_OR_RETURN(MysqlDsn d, Dsn());
    TM_ASSIGN_OR_RETURN(auto conn, MysqlConn::Connect(d));
    TM_ASSIGN_OR_RETURN(ResolvedSchema r, Resolve(*conn, at, want));
    for (v1::MysqlTableVersion& v : r.versions) {
      if (v.table().empty()) continue;
      bool here = v.file() == at.file && v.pos() == at.pos;
      if (here && v.state() == v1::MysqlTableVersion::UNKNOWN) {
        v.set_reason(fmt::format("`{}` at {} is not understood by tidemark's DDL parser ({}), and {}",
                                 ddl.query, PosText(at), why, v.reason()));
      }
      if (here) {
        v.set_ddl(ddl.query);
        made.push_back(v);
      }
      record.push_back(std::move(v));
    }
    spdlog::warn("DDL `{}` at {} is not understood ({}); re-read {} table(s) from information_schema",
                 ddl.query, PosText(at), why, reread.size());
  }
  TM_RETURN_IF_ERROR(history_->Record(record));
  for (v1::MysqlTableVersion& v : made) {
    SetKnown(v);
    state_.Put(std::move(v));
  }
  return absl::OkStatus();
}

absl::Status MysqlSource::Acknowledge(const v1::SourcePosition&) { return absl::OkStatus(); }

}  // namespace tidemark::mysql
