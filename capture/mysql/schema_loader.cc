#include "capture/mysql/schema_loader.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark::mysql {
namespace {

constexpr int kAttempts = 5;
constexpr int kPage = 10000;  // events per SHOW BINLOG EVENTS call

bool IsSystemDb(const std::string& db) {
  return db == "mysql" || db == "information_schema" || db == "performance_schema" || db == "sys";
}

absl::StatusOr<BinlogPos> MasterPos(MysqlConn& conn) {
  TM_ASSIGN_OR_RETURN(auto rows, conn.Query("SHOW MASTER STATUS", "reading the binlog position"));
  BinlogPos p;
  if (rows.empty() || rows[0].size() < 2 || !rows[0][0] || !rows[0][1] ||
      !absl::SimpleAtoi(*rows[0][1], &p.pos)) {
    return absl::FailedPreconditionError(
        "SHOW MASTER STATUS returned nothing: the binary log is off; enable log_bin "
        "(see `tidemark check`)");
  }
  p.file = *rows[0][0];
  return p;
}

// "use `db`; STATEMENT" (SHOW BINLOG EVENTS' Info of a QUERY event) → (db, statement).
std::pair<std::string, std::string> SplitUse(const std::string& info) {
  if (info.rfind("use `", 0) != 0) return {"", info};
  std::string db;
  size_t i = 5;
  while (i < info.size()) {
    if (info[i] == '`' && i + 1 < info.size() && info[i + 1] == '`') {
      db.push_back('`');
      i += 2;
    } else if (info[i] == '`') {
      ++i;
      break;
    } else {
      db.push_back(info[i++]);
    }
  }
  if (i < info.size() && info[i] == ';') ++i;
  while (i < info.size() && info[i] == ' ') ++i;
  return {db, info.substr(i)};
}

bool IsDdlText(const std::string& q) {
  size_t i = 0;
  while (i < q.size() && (q[i] == ' ' || q[i] == '\n' || q[i] == '\t' || q[i] == '(')) ++i;
  auto starts = [&](std::string_view kw) {
    if (q.size() - i < kw.size()) return false;
    for (size_t k = 0; k < kw.size(); ++k) {
      if (std::toupper(static_cast<unsigned char>(q[i + k])) != kw[k]) return false;
    }
    return true;
  };
  return starts("CREATE") || starts("ALTER") || starts("DROP") || starts("RENAME");
}

// Tables (keys "db.table") a statement touches; `all` when it names none it could touch.
std::set<std::string> Touched(const DdlStatement& s, const std::string& db,
                              const std::set<std::string>& known_keys, bool* all) {
  std::set<std::string> out;
  auto add = [&](const TableRef& t) { out.insert(HistoryKey(t.db.empty() ? db : t.db, t.table)); };
  *all = false;
  switch (s.kind) {
    case DdlStatement::kNone: break;
    case DdlStatement::kCreateTable:
      if (!s.temporary) add(s.table);
      break;
    case DdlStatement::kCreateTableLike: add(s.table); break;
    case DdlStatement::kAlterTable:
      add(s.table);
      for (const auto& [a, b] : s.renames) add(b);
      break;
    case DdlStatement::kRenameTables:
      for (const auto& [a, b] : s.renames) {
        add(a);
        add(b);
      }
      break;
    case DdlStatement::kDropTables:
      if (!s.temporary) {
        for (const auto& t : s.tables) add(t);
      }
      break;
    case DdlStatement::kCreateDatabase:
    case DdlStatement::kAlterDatabase:
      out.insert(HistoryKey(s.database.empty() ? db : s.database, ""));
      break;
    case DdlStatement::kDropDatabase:
      for (const std::string& k : known_keys) {
        if (k.rfind(s.database + ".", 0) == 0) out.insert(k);
      }
      break;
    case DdlStatement::kUnparsed:
      if (s.tables.empty()) *all = true;
      for (const auto& t : s.tables) add(t);
      break;
  }
  return out;
}

// True when `s` brings table `key` into existence (so it did not exist before).
bool Creates(const DdlStatement& s, const std::string& db, const std::string& key) {
  auto k = [&](const TableRef& t) { return HistoryKey(t.db.empty() ? db : t.db, t.table); };
  switch (s.kind) {
    case DdlStatement::kCreateTable:
    case DdlStatement::kCreateTableLike:
      return !s.if_not_exists && !s.or_replace && k(s.table) == key;
    case DdlStatement::kAlterTable:
      for (const auto& [a, b] : s.renames) {
        if (k(b) == key && k(a) != key) return true;
      }
      return false;
    case DdlStatement::kRenameTables:
      for (const auto& [a, b] : s.renames) {
        if (k(a) == key) return false;  // it existed (it is renamed away first)
        if (k(b) == key) return true;
      }
      return false;
    default:
      return false;
  }
}

}  // namespace

absl::StatusOr<std::vector<v1::MysqlTableVersion>> ReadTables(MysqlConn& conn, const TableFilter& want) {
  std::vector<v1::MysqlTableVersion> out;
  TM_ASSIGN_OR_RETURN(auto dbs, conn.Query("SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME FROM "
                                           "information_schema.SCHEMATA",
                                           "reading database charsets"));
  for (const auto& r : dbs) {
    if (!r[0] || IsSystemDb(*r[0])) continue;
    v1::MysqlTableVersion v;
    v.set_database(*r[0]);
    v.set_state(v1::MysqlTableVersion::PRESENT);
    v.set_charset(CharsetOfName(r[1].value_or("")));
    out.push_back(std::move(v));
  }
  TM_ASSIGN_OR_RETURN(
      auto cols,
      conn.Query("SELECT c.TABLE_SCHEMA, c.TABLE_NAME, c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE, "
                 "c.CHARACTER_SET_NAME, c.IS_NULLABLE, t.TABLE_COLLATION "
                 "FROM information_schema.COLUMNS c JOIN information_schema.TABLES t "
                 "ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME "
                 "WHERE t.TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') AND c.TABLE_SCHEMA NOT IN "
                 "('mysql', 'information_schema', 'performance_schema', 'sys') "
                 "ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION",
                 "reading table definitions from information_schema.COLUMNS"));
  TM_ASSIGN_OR_RETURN(
      auto keys, conn.Query("SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM "
                            "information_schema.KEY_COLUMN_USAGE WHERE CONSTRAINT_NAME = 'PRIMARY'",
                            "reading primary keys from information_schema.KEY_COLUMN_USAGE"));
  std::set<std::string> key_cols;
  for (const auto& r : keys) {
    if (r[0] && r[1] && r[2]) key_cols.insert(*r[0] + "." + *r[1] + "." + *r[2]);
  }
  std::set<std::string> json_cols;  // MariaDB's JSON: LONGTEXT + CHECK (json_valid(`c`))
  if (conn.is_mariadb()) {
    TM_ASSIGN_OR_RETURN(auto checks,
                        conn.Query("SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE "
                                   "FROM information_schema.CHECK_CONSTRAINTS WHERE LEVEL = 'Column'",
                                   "reading JSON columns from information_schema.CHECK_CONSTRAINTS"));
    for (const auto& r : checks) {
      if (!r[0] || !r[1] || !r[2] || !r[3]) continue;
      if (*r[3] == fmt::format("json_valid(`{}`)", *r[2])) json_cols.insert(*r[0] + "." + *r[1] + "." + *r[2]);
    }
  }
  v1::MysqlTableVersion* cur = nullptr;
  for (const auto& r : cols) {
    if (!r[0] || !r[1] || !r[2] || !r[3] || !r[4]) continue;
    if (!want(*r[0], *r[1])) continue;
    if (cur == nullptr || cur->database() != *r[0] || cur->table() != *r[1]) {
      cur = &out.emplace_back();
      cur->set_database(*r[0]);
      cur->set_table(*r[1]);
      cur->set_state(v1::MysqlTableVersion::PRESENT);
      cur->set_charset(CharsetOfName(r[7].value_or("")));
    }
    v1::MysqlColumnDef* c = cur->add_columns();
    std::string full = *r[0] + "." + *r[1] + "." + *r[2];
    c->set_name(*r[2]);
    c->set_data_type(*r[3]);
    c->set_column_type(*r[4]);
    c->set_is_unsigned(r[4]->find("unsigned") != std::string::npos);
    c->set_nullable(r[6].value_or("YES") == "YES");
    c->set_part_of_key(key_cols.count(full) > 0);
    c->set_is_json(*r[3] == "json" || json_cols.count(full) > 0);
    const std::string& t = *r[3];
    if (t.find("binary") != std::string::npos || t.find("blob") != std::string::npos) {
      c->set_charset("binary");
    } else if (r[5]) {
      c->set_charset(CharsetOfName(*r[5]));
    }
    if (t == "enum" || t == "set") {
      for (auto& l : ParseEnumLabels(*r[4])) c->add_labels(std::move(l));
    }
  }
  return out;
}

absl::StatusOr<std::vector<DdlEvent>> ListDdl(MysqlConn& conn, const BinlogPos& from, const BinlogPos& to) {
  std::vector<DdlEvent> out;
  TM_ASSIGN_OR_RETURN(auto logs, conn.Query("SHOW BINARY LOGS", "listing binary logs"));
  bool started = false;
  for (const auto& l : logs) {
    if (!l[0]) continue;
    const std::string& file = *l[0];
    if (!started && file != from.file) continue;
    started = true;
    uint64_t pos = file == from.file ? from.pos : 4;
    bool last = file == to.file;
    for (;;) {
      if (last && pos >= to.pos) break;
      TM_ASSIGN_OR_RETURN(auto ev, conn.Query(fmt::format("SHOW BINLOG EVENTS IN '{}' FROM {} LIMIT {}",
                                                          conn.Escape(file), pos, kPage),
                                              fmt::format("listing DDL in {}:{}", file, pos)));
      bool done = false;
      for (const auto& r : ev) {
        uint64_t start = 0, end = 0;
        if (r.size() < 6 || !r[1] || !r[4] || !absl::SimpleAtoi(*r[1], &start) ||
            !absl::SimpleAtoi(*r[4], &end)) {
          continue;
        }
        if (last && start >= to.pos) {
          done = true;
          break;
        }
        if (end > pos) pos = end;
        if (r[2] && *r[2] == "Query" && r[5]) {
          auto [db, q] = SplitUse(*r[5]);
          if (IsDdlText(q)) out.push_back({{file, end}, db, q});
        }
      }
      if (done || ev.size() < static_cast<size_t>(kPage)) break;
    }
    if (last) break;
  }
  if (!started) {
    return absl::OutOfRangeError(fmt::format(
        "the server no longer has binlog {} (SHOW BINARY LOGS), so the schema of the tables "
        "at {} cannot be established: a snapshot is needed",
        from.file, PosText(from)));
  }
  return out;
}

absl::StatusOr<ResolvedSchema> Resolve(MysqlConn& conn, const BinlogPos& start, const TableFilter& want) {
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    ResolvedSchema res;
    TM_ASSIGN_OR_RETURN(BinlogPos before, MasterPos(conn));
    TM_ASSIGN_OR_RETURN(std::vector<v1::MysqlTableVersion> now, ReadTables(conn, want));
    TM_ASSIGN_OR_RETURN(res.read_at, MasterPos(conn));
    TM_ASSIGN_OR_RETURN(auto cs, conn.QueryValue("SELECT @@character_set_server", "reading character_set_server"));
    res.server_charset = CharsetOfName(cs.value_or(""));
    std::vector<DdlEvent> ddl;
    if (CompareBinlogPos(start, res.read_at) < 0) {
      TM_ASSIGN_OR_RETURN(ddl, ListDdl(conn, start, res.read_at));
    }
    std::map<std::string, v1::MysqlTableVersion> snap;
    for (auto& v : now) snap[HistoryKey(v.database(), v.table())] = std::move(v);
    std::set<std::string> keys;
    for (const auto& [k, v] : snap) keys.insert(k);
    std::vector<DdlStatement> parsed;
    for (const DdlEvent& d : ddl) {
      parsed.push_back(ParseDdl(d.query));
      bool all = false;
      for (const auto& k : Touched(parsed.back(), d.db, {}, &all)) keys.insert(k);
    }
    auto interesting = [&](const std::string& key) {
      size_t dot = key.find('.');
      std::string db = key.substr(0, dot), table = key.substr(dot + 1);
      return !IsSystemDb(db) && (table.empty() || want(db, table));
    };
    std::map<std::string, std::vector<size_t>> touches;
    bool ambiguous = false;
    for (size_t i = 0; i < ddl.size(); ++i) {
      bool all = false;
      std::set<std::string> t = Touched(parsed[i], ddl[i].db, keys, &all);
      if (all) t = keys;
      bool after_before = CompareBinlogPos(ddl[i].end, before) > 0;
      for (const std::string& k : t) {
        if (!interesting(k)) continue;
        touches[k].push_back(i);
        if (after_before) ambiguous = true;
      }
    }
    if (ambiguous) continue;  // a DDL ran while the definitions were read: read again
    for (const std::string& key : keys) {
      if (!interesting(key)) continue;
      auto it = snap.find(key);
      size_t dot = key.find('.');
      v1::MysqlTableVersion current;
      if (it != snap.end()) {
        current = it->second;
      } else {
        current.set_database(key.substr(0, dot));
        current.set_table(key.substr(dot + 1));
        current.set_state(v1::MysqlTableVersion::ABSENT);
      }
      auto t = touches.find(key);
      if (t == touches.end()) {
        if (current.state() == v1::MysqlTableVersion::ABSENT) continue;
        current.set_file(start.file);
        current.set_pos(start.pos);
        res.versions.push_back(std::move(current));
        continue;
      }
      const DdlEvent& first = ddl[t->second.front()];
      v1::MysqlTableVersion at_start;
      at_start.set_database(current.database());
      at_start.set_table(current.table());
      at_start.set_file(start.file);
      at_start.set_pos(start.pos);
      if (Creates(parsed[t->second.front()], first.db, key)) {
        at_start.set_state(v1::MysqlTableVersion::ABSENT);
      } else {
        at_start.set_state(v1::MysqlTableVersion::UNKNOWN);
        at_start.set_reason(fmt::format(
            "its definition at {} cannot be known: `{}` at {} changed it after that position and "
            "information_schema only has the current definition",
            PosText(start), first.query, PosText(first.end)));
      }
      res.versions.push_back(std::move(at_start));
      const DdlEvent& last = ddl[t->second.back()];
      current.set_file(last.end.file);
      current.set_pos(last.end.pos);
      current.set_ddl(last.query);
      res.versions.push_back(std::move(current));
    }
    return res;
  }
  return absl::AbortedError(fmt::format(
      "reading table definitions: DDL ran on the tracked tables during each of {} attempts to read "
      "information_schema, so no consistent schema could be established; tidemark restarts and "
      "tries again",
      kAttempts));
}

}  // namespace tidemark::mysql
