#include "capture/mongo/mongo_source.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "capture/mongo/mongo_checks.h"
#include "common/positions.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark::mongo {

MongoSource::MongoSource(MongoSourceOptions options, SchemaRegistry* schemas)
    : options_(std::move(options)), schemas_(schemas) {}

MongoSource::~MongoSource() { Close(); }

void MongoSource::Close() {
  stream_.reset();
  client_.reset();
}

absl::StatusOr<std::vector<Prerequisite>> MongoSource::Check() {
  TM_ASSIGN_OR_RETURN(auto client, MongoClient::Connect(options_.uri, options_.password));
  return CheckMongo(*client, options_.watch);
}

absl::Status MongoSource::Start(const v1::SourcePosition& from) {
  Close();
  TM_ASSIGN_OR_RETURN(client_, MongoClient::Connect(options_.uri, options_.password));
  decoder_ = std::make_unique<MongoDecoder>(schemas_, options_.watch.pre_post_images);
  last_ = from.mongo();
  pending_start_marker_ = false;
  if (last_.resume_token().empty() && last_.cluster_time() == 0) {
    TM_ASSIGN_OR_RETURN(auto now, client_->OperationTime());
    last_.set_cluster_time((static_cast<uint64_t>(now.first) << 32) | (now.second + 1ULL));
    pending_start_marker_ = true;
  }
  TM_ASSIGN_OR_RETURN(stream_, ChangeStream::Open(client_.get(), options_.watch, last_));
  last_commit_ = absl::Now();
  v1::SourcePosition shown;
  *shown.mutable_mongo() = last_;
  spdlog::info("mongo: change stream on {} from {}",
               options_.watch.database.empty() ? "the whole deployment" : options_.watch.database,
               pending_start_marker_ ? "now" : FormatPosition(shown));
  return absl::OkStatus();
}

void MongoSource::EmitMarker(const v1::MongoPosition& pos, EventChunk* chunk) {
  chunk->entries.emplace_back().mutable_begin()->mutable_position()->mutable_mongo()->CopyFrom(pos);
  chunk->entries.emplace_back().mutable_commit()->mutable_position()->mutable_mongo()->CopyFrom(pos);
  last_ = pos;
  last_commit_ = absl::Now();
}

absl::StatusOr<EventChunk> MongoSource::Next(absl::Duration max_wait) {
  if (!stream_) return absl::FailedPreconditionError("MongoSource::Next before Start");
  EventChunk chunk;
  if (pending_start_marker_) {
    EmitMarker(last_, &chunk);
    pending_start_marker_ = false;
  }
  if (decoder_->invalidated()) {
    spdlog::info("mongo: change stream invalidated; reopening after the invalidate (startAfter)");
    stream_.reset();
    TM_ASSIGN_OR_RETURN(stream_, ChangeStream::Open(client_.get(), options_.watch, last_));
    decoder_->ClearInvalidated();
  }
  const absl::Time deadline = absl::Now() + max_wait;
  while (chunk.entries.size() < options_.chunk_events) {
    TM_ASSIGN_OR_RETURN(auto doc, stream_->Next());
    if (doc) {
      TM_RETURN_IF_ERROR(decoder_->Decode(*doc, &chunk.entries));
      if (decoder_->invalidated()) break;
      continue;
    }
    // The server had nothing more: every event of an open transaction has arrived.
    decoder_->EndTransaction(&chunk.entries);
    if (!chunk.entries.empty() || absl::Now() >= deadline) break;
  }
  for (auto it = chunk.entries.rbegin(); it != chunk.entries.rend(); ++it) {
    if (it->has_commit()) {
      last_ = it->commit().position().mongo();
      last_commit_ = absl::Now();
      break;
    }
  }
  if (!decoder_->in_transaction() && !decoder_->invalidated() &&
      absl::Now() - last_commit_ >= options_.idle_commit_interval) {
    std::string token = stream_->ResumeToken();
    if (!token.empty() && token != last_.resume_token()) {
      v1::MongoPosition idle;
      idle.set_resume_token(std::move(token));
      EmitMarker(idle, &chunk);
    }
  }
  return chunk;
}

absl::Status MongoSource::Acknowledge(const v1::SourcePosition&) { return absl::OkStatus(); }

}  // namespace tidemark::mongo
