// The JSON envelope (DESIGN.md §4) of the Kafka and file sinks, per event: a
// PostgreSQL insert of bench/kafka_bench.sh's shape (an int key and ~100 bytes of
// text, one transaction of many events), so the per-event cost of the Kafka sink's
// formatting is visible apart from librdkafka. BM_CopyRendered copies the same bytes
// with one append per event: the floor any formatter pays for its output.
#include <benchmark/benchmark.h>

#include <string>

#include "apply/format/json_envelope.h"

namespace tidemark {
namespace {

v1::TableSchema BulkSchema() {
  v1::TableSchema s;
  s.mutable_table()->set_database("bench");
  s.mutable_table()->set_schema("public");
  s.mutable_table()->set_table("bulk");
  s.set_version(1);
  auto* id = s.add_columns();
  id->set_name("id");
  id->set_part_of_key(true);
  id->mutable_type()->set_kind(v1::TYPE_INT32);
  auto* payload = s.add_columns();
  payload->set_name("payload");
  payload->mutable_type()->set_kind(v1::TYPE_TEXT);
  return s;
}

v1::ChangeEvent BulkInsert(const v1::TableSchema& schema, int64_t id) {
  v1::ChangeEvent ev;
  *ev.mutable_table() = schema.table();
  ev.set_op(v1::OP_INSERT);
  ev.set_schema_version(schema.version());
  ev.mutable_position()->mutable_pg()->set_lsn(252617712 + static_cast<uint64_t>(id) * 120);
  ev.set_transaction_id("736");
  ev.set_commit_time_micros(1796665267828893);
  ev.set_sequence(static_cast<uint32_t>(id));
  ev.mutable_after()->add_values()->set_int_value(id);
  ev.mutable_after()->add_values()->set_text_value(
      "8ba346d6fe27f78bc687116b734cc81e8ba346d6fe27f78bc687116b734cc81e"
      "8ba346d6fe27f78bc687116b734cc81e8ba3");  // 100 bytes, as the backlog's payload
  return ev;
}

constexpr int kEvents = 1024;

void BM_EnvelopeJson(benchmark::State& state) {
  const v1::TableSchema schema = BulkSchema();
  std::vector<v1::ChangeEvent> events;
  for (int i = 0; i < kEvents; ++i) events.push_back(BulkInsert(schema, i));
  EnvelopeContext ctx{.connector = "postgresql", .name = "bench", .db = "bench"};
  std::string out;
  size_t bytes = 0;
  uint64_t offset = 0;
  for (auto _ : state) {
    for (const v1::ChangeEvent& ev : events) {
      out.clear();
      if (!AppendEnvelopeJson(&out, ev, schema, ++offset, ctx).ok()) state.SkipWithError("format");
      bytes += out.size();
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kEvents);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_EnvelopeJson);

void BM_CopyRendered(benchmark::State& state) {
  const v1::TableSchema schema = BulkSchema();
  EnvelopeContext ctx{.connector = "postgresql", .name = "bench", .db = "bench"};
  std::vector<std::string> rendered;
  for (int i = 0; i < kEvents; ++i) {
    rendered.push_back(*EnvelopeJson(BulkInsert(schema, i), schema, static_cast<uint64_t>(i), ctx));
  }
  std::string out;
  size_t bytes = 0;
  for (auto _ : state) {
    for (const std::string& r : rendered) {
      out.clear();
      out.append(r);
      bytes += out.size();
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kEvents);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_CopyRendered);

}  // namespace
}  // namespace tidemark

BENCHMARK_MAIN();
