#include "capture/pg/pg_source.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/strings/str_split.h"
#include "capture/pg/pg_catalog.h"
#include "common/positions.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark::pg {

const char kSessionOptions[] =
    "-c DateStyle=ISO -c IntervalStyle=iso_8601 -c TimeZone=UTC -c extra_float_digits=3 "
    "-c bytea_output=hex -c lc_monetary=C";

PgSource::PgSource(PgSourceOptions options, SchemaRegistry* schemas)
    : options_(std::move(options)), schemas_(schemas) {}

PgSource::~PgSource() { Close(); }

void PgSource::Close() {
  if (stream_ && decoder_) {
    // Best effort: tell the server the final durable position before hanging up.
    absl::Status s = SendStatus();
    if (!s.ok()) spdlog::debug("final status update: {}", s.message());
  }
  stream_.reset();
  sql_.reset();
}

absl::StatusOr<std::vector<Prerequisite>> PgSource::Check() {
  TM_ASSIGN_OR_RETURN(auto conn, PgConn::Connect(options_.dsn, options_.password,
                                                 {{"options", kSessionOptions}}));
  return CheckPostgres(*conn, options_);
}

absl::StatusOr<std::vector<v1::TableSchema>> PgSource::DescribeTables() {
  TM_ASSIGN_OR_RETURN(auto conn, PgConn::Connect(options_.dsn, options_.password,
                                                 {{"options", kSessionOptions}}));
  return pg::DescribeTables(*conn, options_);
}

absl::Status PgSource::EnsurePublication() {
  TM_ASSIGN_OR_RETURN(auto exists,
                      sql_->ExecParams("SELECT 1 FROM pg_publication WHERE pubname = $1",
                                       {options_.publication}, "looking up the publication"));
  if (PQntuples(exists.get()) == 0) {
    if (!options_.create_publication) {
      return absl::FailedPreconditionError(fmt::format(
          "publication {} does not exist and source.create_publication is false; create it with "
          "CREATE PUBLICATION {} FOR TABLE {}",
          options_.publication, options_.publication, fmt::join(options_.tables, ", ")));
    }
    std::vector<std::string> quoted;
    for (const auto& t : options_.tables) {
      std::vector<std::string> parts = absl::StrSplit(t, absl::MaxSplits('.', 1));
      quoted.push_back(parts.size() == 2 ? sql_->Quote(parts[0]) + "." + sql_->Quote(parts[1])
                                         : sql_->Quote(t));
    }
    std::string sql = fmt::format("CREATE PUBLICATION {} FOR TABLE {}",
                                  sql_->Quote(options_.publication), fmt::join(quoted, ", "));
    TM_RETURN_IF_ERROR(sql_->Exec(sql, "creating the publication").status());
    spdlog::info("created publication {} for {}", options_.publication,
                 fmt::join(options_.tables, ", "));
    return absl::OkStatus();
  }
  TM_ASSIGN_OR_RETURN(auto missing, MissingPublicationTables(*sql_, options_));
  if (!missing.empty()) {
    return absl::FailedPreconditionError(fmt::format(
        "publication {} does not carry {}; add them with ALTER PUBLICATION {} ADD TABLE {}",
        options_.publication, fmt::join(missing, ", "), options_.publication,
        fmt::join(missing, ", ")));
  }
  return absl::OkStatus();
}

absl::Status PgSource::EnsureSlot() {
  TM_ASSIGN_OR_RETURN(
      auto slot, sql_->ExecParams("SELECT plugin, database FROM pg_replication_slots WHERE slot_name = $1",
                                  {options_.slot}, "looking up the replication slot"));
  if (PQntuples(slot.get()) == 0) {
    if (!options_.create_slot) {
      return absl::FailedPreconditionError(fmt::format(
          "replication slot {} does not exist and source.create_slot is false; create it with "
          "SELECT pg_create_logical_replication_slot('{}', 'pgoutput')",
          options_.slot, options_.slot));
    }
    TM_RETURN_IF_ERROR(sql_->ExecParams("SELECT pg_create_logical_replication_slot($1, 'pgoutput')",
                                        {options_.slot}, "creating the replication slot")
                           .status());
    spdlog::info("created logical replication slot {} (pgoutput)", options_.slot);
    return absl::OkStatus();
  }
  std::string plugin = PgValue(slot, 0, 0), db = PgValue(slot, 0, 1);
  if (plugin != "pgoutput") {
    return absl::FailedPreconditionError(fmt::format(
        "replication slot {} uses plugin {}, not pgoutput; drop it "
        "(SELECT pg_drop_replication_slot('{}')) or name another slot in source.slot",
        options_.slot, plugin, options_.slot));
  }
  if (db != PQdb(sql_->raw())) {
    return absl::FailedPreconditionError(fmt::format(
        "replication slot {} belongs to database {}, not {}; name another slot in source.slot",
        options_.slot, db, PQdb(sql_->raw())));
  }
  return absl::OkStatus();
}

absl::Status PgSource::Start(const v1::SourcePosition& from) {
  Close();
  TM_ASSIGN_OR_RETURN(sql_, PgConn::Connect(options_.dsn, options_.password,
                                            {{"options", kSessionOptions}}));
  TM_RETURN_IF_ERROR(EnsurePublication());
  TM_RETURN_IF_ERROR(EnsureSlot());
  TM_ASSIGN_OR_RETURN(auto repl, PgConn::Connect(options_.dsn, options_.password,
                                                 {{"replication", "database"},
                                                  {"options", kSessionOptions}}));
  types_ = TypeCatalog();
  decoder_ = std::make_unique<PgDecoder>(DecoderOptions{PQdb(sql_->raw())}, &types_, schemas_);
  stream_ = std::make_unique<ReplicationStream>(std::move(repl));
  const bool tcp = stream_->IsTcp();
  fill_buffer_ = tcp && options_.receive_buffer > 0 &&
                 stream_->SetReceiveBuffer(options_.receive_buffer);
  pacer_ = ReadPacer(options_.catchup_linger);
  resume_end_lsn_ = PgResumeLsn(from);
  durable_end_ = std::max(durable_end_, resume_end_lsn_);
  last_commit_end_ = std::max(last_commit_end_, resume_end_lsn_);
  skipping_txn_ = false;
  TM_RETURN_IF_ERROR(stream_->Start(options_.slot, resume_end_lsn_,
                                    {{"proto_version", "1"},
                                     {"publication_names", sql_->Quote(options_.publication)},
                                     {"messages", "true"}}));
  spdlog::info("streaming slot {} publication {} from {} over {}", options_.slot,
               options_.publication,
               resume_end_lsn_ ? FormatLsn(resume_end_lsn_) : "the slot's confirmed position",
               fill_buffer_ ? "TCP (catching up waits for a full receive buffer)"
               : tcp        ? "TCP (receive_buffer_bytes 0: catching up lingers)"
                            : "a Unix-domain socket (catching up lingers)");
  return absl::OkStatus();
}

absl::Status PgSource::ResolveTypes(std::string_view message) {
  for (int round = 0; round < 8; ++round) {
    TM_ASSIGN_OR_RETURN(std::vector<uint32_t> missing, decoder_->MissingTypes(message));
    if (missing.empty()) return absl::OkStatus();
    for (uint32_t oid : missing) {
      TM_ASSIGN_OR_RETURN(PgTypeInfo info, DescribeType(*sql_, oid));
      types_.Add(std::move(info));
    }
  }
  return absl::InternalError("type lookup did not converge after 8 rounds (nested domains?)");
}

absl::Status PgSource::HandleXLogData(const StreamMessage& m, EventChunk* chunk) {
  if (!m.data.empty() && m.data[0] == 'R') {
    TM_RETURN_IF_ERROR(ResolveTypes(m.data));
    // Relation: 'R', Int32 relation oid, ... (the decoder rejects a short message).
    if (m.data.size() >= 5) {
      uint32_t relid = 0;
      for (int i = 1; i <= 4; ++i) relid = (relid << 8) | static_cast<uint8_t>(m.data[i]);
      TM_ASSIGN_OR_RETURN(std::vector<std::string> pk, PrimaryKeyColumns(*sql_, relid));
      decoder_->SetPrimaryKey(relid, std::move(pk));
    }
  }
  size_t before = chunk->entries.size();
  TM_RETURN_IF_ERROR(decoder_->Decode(m.data, m.wal_start, &chunk->entries));
  // Drop transactions that the journal already holds (the server may resend them
  // when the slot's confirmed position is behind the journal's).
  for (size_t i = before; i < chunk->entries.size();) {
    auto& e = chunk->entries[i];
    if (e.has_begin()) {
      skipping_txn_ = e.begin().position().pg().commit_lsn() < resume_end_lsn_;
    }
    bool drop = skipping_txn_ && !e.has_schema();
    if (e.has_commit()) {
      last_commit_end_ = std::max(last_commit_end_, e.commit().position().pg().end_lsn());
      last_commit_micros_ = e.commit().commit_time_micros();
      skipping_txn_ = false;
    }
    if (drop) {
      chunk->entries.erase(chunk->entries.begin() + static_cast<long>(i));
    } else {
      ++i;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<EventChunk> PgSource::Next(absl::Duration max_wait) {
  if (!stream_) return absl::FailedPreconditionError("PgSource::Next before Start");
  EventChunk chunk;
  absl::Time now = absl::Now();
  absl::Time deadline = now + max_wait;
  // Catching up: old commits, and the last chunk found data (a source gone quiet after a
  // backlog is not lingered over; its next commit is recent again). See PgSourceOptions:
  // either the first read waits for a full receive buffer and the chunk then drains the
  // socket, or the chunk keeps reading for the linger after its first message.
  const bool catching_up = !last_chunk_empty_ && CatchingUp(now);
  const bool fill_buffer = catching_up && fill_buffer_;
  if (fill_buffer && !paced_from_.has_value()) {
    paced_from_ = stream_->ReceiveCounters();
    paced_since_ = now;
  } else if (!catching_up && paced_from_.has_value()) {
    LogPacedCatchUp(now);
  }
  stream_->SetReceiveLowWater(!catching_up  ? 1
                              : fill_buffer ? options_.receive_buffer
                                            : options_.catchup_low_water);
  const absl::Duration linger =
      catching_up && !fill_buffer ? options_.catchup_linger : absl::ZeroDuration();
  if (fill_buffer) {
    // Waits even when libpq still holds messages: the socket should stay close to full
    // (its window closed) between chunks, not only once it has been drained.
    TM_RETURN_IF_ERROR(stream_->WaitReadable(std::min(max_wait, options_.catchup_linger)));
    // Then keeps the window closed a little longer, as long as segments come in small
    // (read_pacer.h).
    if (pacer_.hold() > absl::ZeroDuration()) absl::SleepFor(pacer_.hold());
  }
  // The chunk's first message + linger: once the chunk holds entries, it reads until then.
  absl::Time linger_until = absl::InfiniteFuture();
  while (chunk.entries.size() < options_.chunk_events) {
    now = absl::Now();
    absl::Duration wait = chunk.entries.empty() ? deadline - now : linger_until - now;
    if (now - last_status_ >= options_.status_interval) TM_RETURN_IF_ERROR(SendStatus());
    wait = std::min(wait, options_.status_interval);
    // Under a low-water mark a wait ends at that mark or its time: keep it short, so that
    // the bytes of the backlog's last transactions do not wait for a whole max_wait.
    if (catching_up) wait = std::min(wait, options_.catchup_linger);
    TM_ASSIGN_OR_RETURN(StreamMessage m, stream_->Read(std::max(wait, absl::ZeroDuration())));
    if (m.kind == StreamMessage::kNone) {
      now = absl::Now();
      if (chunk.entries.empty() ? now >= deadline : now >= linger_until) break;
      continue;
    }
    if (linger_until == absl::InfiniteFuture()) linger_until = absl::Now() + linger;
    received_lsn_ = std::max(received_lsn_, m.wal_end);
    if (m.kind == StreamMessage::kKeepalive) {
      if (!decoder_->in_transaction()) idle_wal_end_ = std::max(idle_wal_end_, m.wal_end);
      if (m.reply_requested) TM_RETURN_IF_ERROR(SendStatus());
      continue;
    }
    TM_RETURN_IF_ERROR(HandleXLogData(m, &chunk));
  }
  last_chunk_empty_ = chunk.entries.empty();
  if (fill_buffer) {
    if (std::optional<TcpReceiveCounters> c = stream_->ReceiveCounters()) pacer_.Observe(*c);
  }
  return chunk;
}

void PgSource::LogPacedCatchUp(absl::Time now) {
  const std::optional<TcpReceiveCounters> c = stream_->ReceiveCounters();
  const TcpReceiveCounters from = *paced_from_;
  paced_from_.reset();
  if (!c.has_value()) return;
  const TcpReceiveDelta d = Since(*c, from);
  if (d.bytes < (1u << 20)) return;  // a blip, not a backlog
  spdlog::info(
      "caught up over TCP: {:.1f} MB in {} segments (average {} bytes) in {}; read hold now {}",
      static_cast<double>(d.bytes) / 1e6, d.segments, d.average_segment(),
      absl::FormatDuration(absl::Trunc(now - paced_since_, absl::Milliseconds(1))),
      absl::FormatDuration(pacer_.hold()));
}

bool PgSource::CatchingUp(absl::Time now) const {
  if (options_.catchup_linger <= absl::ZeroDuration() || last_commit_micros_ == 0) return false;
  return now - absl::FromUnixMicros(last_commit_micros_) > options_.catchup_lag;
}

uint64_t PgSource::FlushLsn() const {
  uint64_t flush = durable_end_;
  if (durable_end_ >= last_commit_end_ && !decoder_->in_transaction()) {
    flush = std::max(flush, idle_wal_end_);
  }
  return flush;
}

absl::Status PgSource::SendStatus() {
  uint64_t flush = FlushLsn();
  last_status_ = absl::Now();
  return stream_->SendStatus(std::max(received_lsn_, flush), flush, flush);
}

absl::Status PgSource::Acknowledge(const v1::SourcePosition& pos) {
  uint64_t end = PgResumeLsn(pos);
  if (end > durable_end_) durable_end_ = end;
  return absl::OkStatus();
}

}  // namespace tidemark::pg
