#include "capture/pg/pg_catalog.h"

#include <fmt/format.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "capture/pg/pg_source.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark::pg {
namespace {

// Splits "schema.table" (no dot: schema public).
std::pair<std::string, std::string> SplitTable(const std::string& t) {
  size_t dot = t.find('.');
  if (dot == std::string::npos) return {"public", t};
  return {t.substr(0, dot), t.substr(dot + 1)};
}

}  // namespace

absl::StatusOr<PgTypeInfo> DescribeType(PgConn& conn, uint32_t oid) {
  TM_ASSIGN_OR_RETURN(
      auto r, conn.ExecParams(
                  "SELECT t.oid, n.nspname || '.' || t.typname, t.typtype, t.typbasetype, "
                  "CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE 0 END "
                  "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid = $1",
                  {std::to_string(oid)}, "describing a column type"));
  if (PQntuples(r.get()) != 1) {
    return absl::FailedPreconditionError(
        fmt::format("type oid {} used by a published table is not in pg_type", oid));
  }
  PgTypeInfo info;
  info.oid = oid;
  info.name = PgValue(r, 0, 1);
  std::string typtype = PgValue(r, 0, 2);
  info.typtype = typtype.empty() ? 'b' : typtype[0];
  if (!absl::SimpleAtoi(AV(PgValue(r, 0, 3)), &info.base_oid) ||
      !absl::SimpleAtoi(AV(PgValue(r, 0, 4)), &info.element_oid)) {
    return absl::InternalError(fmt::format("pg_type row of oid {} has non-numeric oids", oid));
  }
  if (info.typtype == 'e') {
    TM_ASSIGN_OR_RETURN(auto labels,
                        conn.ExecParams("SELECT enumlabel FROM pg_enum WHERE enumtypid = $1 "
                                        "ORDER BY enumsortorder",
                                        {std::to_string(oid)}, "reading enum labels"));
    for (int i = 0; i < PQntuples(labels.get()); ++i) info.enum_labels.push_back(PgValue(labels, i, 0));
  }
  return info;
}

absl::StatusOr<std::vector<std::string>> PrimaryKeyColumns(PgConn& conn, uint32_t relid) {
  TM_ASSIGN_OR_RETURN(
      auto r, conn.ExecParams("SELECT a.attname FROM pg_index i "
                              "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
                              "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
                              "WHERE i.indrelid = $1 AND i.indisprimary ORDER BY k.ord",
                              {std::to_string(relid)}, "reading a table's primary key"));
  std::vector<std::string> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(PgValue(r, i, 0));
  return out;
}

absl::StatusOr<std::vector<v1::TableSchema>> DescribeTables(PgConn& conn,
                                                            const PgSourceOptions& options) {
  TypeCatalog types;
  std::vector<v1::TableSchema> out;
  TM_ASSIGN_OR_RETURN(std::string database, conn.QueryValue("SELECT current_database()", "database"));
  for (const auto& t : options.tables) {
    auto [schema_name, table_name] = SplitTable(t);
    TM_ASSIGN_OR_RETURN(auto rel, conn.ExecParams(
                                      "SELECT c.oid, c.relreplident FROM pg_class c JOIN pg_namespace n "
                                      "ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
                                      {schema_name, table_name}, "looking up a table"));
    if (PQntuples(rel.get()) == 0) continue;
    const std::string relid = PgValue(rel, 0, 0);
    const std::string ident = PgValue(rel, 0, 1);
    TM_ASSIGN_OR_RETURN(auto cols, conn.ExecParams(
                                       "SELECT attname, atttypid, atttypmod, attnotnull FROM pg_attribute "
                                       "WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped "
                                       "ORDER BY attnum", {relid}, "reading a table's columns"));
    // The key pgoutput flags: the replica identity index's columns (DEFAULT: the
    // primary key); under FULL capture reports the primary key when there is one.
    std::vector<std::string> key;
    if (ident == "i") {
      TM_ASSIGN_OR_RETURN(auto k, conn.ExecParams(
                                      "SELECT a.attname FROM pg_index i CROSS JOIN LATERAL "
                                      "unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) JOIN "
                                      "pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = "
                                      "k.attnum WHERE i.indrelid = $1 AND i.indisreplident ORDER BY k.ord",
                                      {relid}, "reading a table's replica identity index"));
      for (int i = 0; i < PQntuples(k.get()); ++i) key.push_back(PgValue(k, i, 0));
    } else if (ident == "d" || ident == "f") {
      uint32_t oid = 0;
      if (!absl::SimpleAtoi(relid, &oid)) return absl::InternalError("non-numeric table oid");
      TM_ASSIGN_OR_RETURN(key, PrimaryKeyColumns(conn, oid));
    }
    v1::TableSchema s;
    s.mutable_table()->set_database(database);
    s.mutable_table()->set_schema(schema_name);
    s.mutable_table()->set_table(table_name);
    s.set_replica_identity(ident == "d"   ? v1::REPLICA_IDENTITY_DEFAULT
                           : ident == "f" ? v1::REPLICA_IDENTITY_FULL
                           : ident == "i" ? v1::REPLICA_IDENTITY_INDEX
                                          : v1::REPLICA_IDENTITY_NOTHING);
    for (int i = 0; i < PQntuples(cols.get()); ++i) {
      uint32_t oid = 0;
      int32_t typmod = -1;
      if (!absl::SimpleAtoi(PgValue(cols, i, 1), &oid) || !absl::SimpleAtoi(PgValue(cols, i, 2), &typmod)) {
        return absl::InternalError("non-numeric type oid or modifier in pg_attribute");
      }
      for (int round = 0; round < 8 && !types.Missing(oid).empty(); ++round) {
        for (uint32_t missing : types.Missing(oid)) {
          TM_ASSIGN_OR_RETURN(PgTypeInfo info, DescribeType(conn, missing));
          types.Add(std::move(info));
        }
      }
      const std::string name = PgValue(cols, i, 0);
      TM_ASSIGN_OR_RETURN(v1::ColumnType type,
                          types.ColumnTypeFor(oid, typmod, fmt::format("{}.{}", t, name)));
      v1::Column* c = s.add_columns();
      c->set_name(name);
      *c->mutable_type() = std::move(type);
      c->set_nullable(PgValue(cols, i, 3) != "t");
      c->set_part_of_key(std::find(key.begin(), key.end(), name) != key.end());
    }
    for (const auto& k : key) s.add_key_columns(k);
    out.push_back(std::move(s));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> MissingPublicationTables(PgConn& conn,
                                                                  const PgSourceOptions& options) {
  std::vector<std::string> missing;
  for (const auto& t : options.tables) {
    auto [schema, table] = SplitTable(t);
    TM_ASSIGN_OR_RETURN(auto r, conn.ExecParams(
                                    "SELECT 1 FROM pg_publication_tables WHERE pubname = $1 "
                                    "AND schemaname = $2 AND tablename = $3",
                                    {options.publication, schema, table},
                                    "reading the publication's tables"));
    if (PQntuples(r.get()) == 0) missing.push_back(t);
  }
  return missing;
}

absl::StatusOr<std::vector<Prerequisite>> CheckPostgres(PgConn& conn,
                                                        const PgSourceOptions& options) {
  std::vector<Prerequisite> out;
  TM_ASSIGN_OR_RETURN(std::string wal_level, conn.QueryValue("SHOW wal_level", "reading wal_level"));
  if (wal_level != "logical") {
    out.push_back({fmt::format("wal_level is '{}'; logical decoding needs 'logical'", wal_level),
                   "run ALTER SYSTEM SET wal_level = logical; and restart PostgreSQL"});
  }
  TM_ASSIGN_OR_RETURN(
      auto slots, conn.ExecParams(
                      "SELECT current_setting('max_replication_slots')::int, "
                      "(SELECT count(*) FROM pg_replication_slots), "
                      "(SELECT plugin FROM pg_replication_slots WHERE slot_name = $1), "
                      "(SELECT database FROM pg_replication_slots WHERE slot_name = $1), "
                      "current_setting('max_wal_senders')::int, "
                      "(SELECT count(*) FROM pg_stat_replication), current_database()",
                      {options.slot}, "reading replication settings"));
  int max_slots = std::stoi(PgValue(slots, 0, 0)), used_slots = std::stoi(PgValue(slots, 0, 1));
  bool slot_exists = !PQgetisnull(slots.get(), 0, 2);
  if (!slot_exists && used_slots >= max_slots) {
    out.push_back({fmt::format("all {} replication slots are in use (max_replication_slots)", max_slots),
                   "raise max_replication_slots and restart PostgreSQL, or drop an unused slot "
                   "with SELECT pg_drop_replication_slot('name')"});
  }
  if (slot_exists && PgValue(slots, 0, 2) != "pgoutput") {
    out.push_back({fmt::format("replication slot {} uses plugin {}, not pgoutput", options.slot,
                               PgValue(slots, 0, 2)),
                   fmt::format("drop it (SELECT pg_drop_replication_slot('{}')) or set source.slot "
                               "to another name", options.slot)});
  }
  if (slot_exists && PgValue(slots, 0, 3) != PgValue(slots, 0, 6)) {
    out.push_back({fmt::format("replication slot {} belongs to database {}", options.slot,
                               PgValue(slots, 0, 3)),
                   "set source.slot to another name"});
  }
  if (!slot_exists && !options.create_slot) {
    out.push_back({fmt::format("replication slot {} does not exist and source.create_slot is false",
                               options.slot),
                   fmt::format("SELECT pg_create_logical_replication_slot('{}', 'pgoutput')",
                               options.slot)});
  }
  int max_senders = std::stoi(PgValue(slots, 0, 4)), used_senders = std::stoi(PgValue(slots, 0, 5));
  if (used_senders >= max_senders) {
    out.push_back({fmt::format("all {} WAL senders are busy (max_wal_senders)", max_senders),
                   "raise max_wal_senders and restart PostgreSQL"});
  }
  TM_ASSIGN_OR_RETURN(std::string can_replicate,
                      conn.QueryValue("SELECT rolreplication OR rolsuper FROM pg_roles "
                                      "WHERE rolname = current_user",
                                      "reading the role's privileges"));
  if (can_replicate != "t") {
    out.push_back({fmt::format("role {} lacks the REPLICATION privilege", PQuser(conn.raw())),
                   fmt::format("ALTER ROLE {} WITH REPLICATION;", PQuser(conn.raw()))});
  }
  for (const auto& t : options.tables) {
    auto [schema, table] = SplitTable(t);
    TM_ASSIGN_OR_RETURN(
        auto r, conn.ExecParams(
                    "SELECT c.relreplident, EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid "
                    "AND i.indisprimary) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')",
                    {schema, table}, "reading a table's replica identity"));
    if (PQntuples(r.get()) == 0) {
      out.push_back({fmt::format("table {} does not exist", t),
                     "create it, or remove it from source.tables"});
      continue;
    }
    std::string ident = PgValue(r, 0, 0);
    bool has_pk = PgValue(r, 0, 1) == "t";
    if (ident == "n" || (ident == "d" && !has_pk)) {
      out.push_back({fmt::format("table {} has {}; its updates and deletes cannot be identified", t,
                                 ident == "n" ? "REPLICA IDENTITY NOTHING"
                                              : "no primary key and REPLICA IDENTITY DEFAULT"),
                     fmt::format("add a primary key, or ALTER TABLE {} REPLICA IDENTITY FULL;", t)});
    }
  }
  TM_ASSIGN_OR_RETURN(auto pub, conn.ExecParams("SELECT 1 FROM pg_publication WHERE pubname = $1",
                                                {options.publication}, "looking up the publication"));
  if (PQntuples(pub.get()) == 0) {
    if (!options.create_publication) {
      out.push_back({fmt::format("publication {} does not exist and source.create_publication is false",
                                 options.publication),
                     fmt::format("CREATE PUBLICATION {} FOR TABLE ...;", options.publication)});
    }
  } else {
    TM_ASSIGN_OR_RETURN(auto missing, MissingPublicationTables(conn, options));
    for (const auto& t : missing) {
      out.push_back({fmt::format("publication {} does not carry table {}", options.publication, t),
                     fmt::format("ALTER PUBLICATION {} ADD TABLE {};", options.publication, t)});
    }
  }
  return out;
}

}  // namespace tidemark::pg
