// Hand-made journal entries for the Kafka sink tests: table public.t (id bigint
// primary key, name text) in database demo.
#ifndef TIDEMARK_TESTS_UNIT_KAFKA_KAFKA_EVENTS_H_
#define TIDEMARK_TESTS_UNIT_KAFKA_KAFKA_EVENTS_H_

#include <cstdint>
#include <string>

#include "tidemark/v1/journal.pb.h"

namespace tidemark::ktest {

inline v1::TableSchema Schema() {
  v1::TableSchema s;
  s.mutable_table()->set_database("demo");
  s.mutable_table()->set_schema("public");
  s.mutable_table()->set_table("t");
  s.set_version(1);
  auto* id = s.add_columns();
  id->set_name("id");
  id->mutable_type()->set_kind(v1::TYPE_INT64);
  id->set_part_of_key(true);
  auto* name = s.add_columns();
  name->set_name("name");
  name->mutable_type()->set_kind(v1::TYPE_TEXT);
  s.add_key_columns("id");
  return s;
}

inline v1::JournalEntry SchemaEntry() {
  v1::JournalEntry e;
  *e.mutable_schema() = Schema();
  return e;
}

inline v1::JournalEntry Begin(const std::string& txid) {
  v1::JournalEntry e;
  e.mutable_begin()->set_transaction_id(txid);
  e.mutable_begin()->set_commit_time_micros(1'700'000'000'123'000);
  e.mutable_begin()->mutable_position()->mutable_pg()->set_commit_lsn(0x16B374D848);
  return e;
}

inline v1::JournalEntry Commit(const std::string& txid, uint32_t count) {
  v1::JournalEntry e;
  e.mutable_commit()->set_transaction_id(txid);
  e.mutable_commit()->set_commit_time_micros(1'700'000'000'123'000);
  e.mutable_commit()->set_event_count(count);
  e.mutable_commit()->mutable_position()->mutable_pg()->set_commit_lsn(0x16B374D848);
  e.mutable_commit()->mutable_position()->mutable_pg()->set_end_lsn(0x16B374D900);
  return e;
}

inline v1::JournalEntry Change(v1::Op op, int64_t id, const std::string& name, uint64_t lsn,
                               const std::string& txid = "700") {
  v1::JournalEntry e;
  v1::ChangeEvent* ev = e.mutable_event();
  *ev->mutable_table() = Schema().table();
  ev->set_op(op);
  ev->set_schema_version(1);
  v1::Row* row = op == v1::OP_DELETE ? ev->mutable_before() : ev->mutable_after();
  row->add_values()->set_int_value(id);
  row->add_values()->set_text_value(name);
  ev->mutable_position()->mutable_pg()->set_lsn(lsn);
  ev->mutable_position()->mutable_pg()->set_commit_lsn(0x16B374D848);
  ev->set_transaction_id(txid);
  ev->set_commit_time_micros(1'700'000'000'123'000);
  return e;
}

}  // namespace tidemark::ktest

#endif  // TIDEMARK_TESTS_UNIT_KAFKA_KAFKA_EVENTS_H_
