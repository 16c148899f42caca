// MySQL/MariaDB DDL parser for schema tracking (pure: no I/O). Understands the
// statements that change the columns, the primary key or the name of a table, as the
// server writes them into a QUERY event:
//
//   CREATE [OR REPLACE] [TEMPORARY] TABLE [IF NOT EXISTS] t (create_definition, ...) [options]
//   CREATE TABLE t LIKE u            (columns copied from u by the schema tracker)
//   ALTER [ONLINE] [IGNORE] TABLE t spec [, spec] ...  with spec one of
//       ADD [COLUMN] [IF NOT EXISTS] col_def [FIRST | AFTER c]      ADD [COLUMN] (col_def, ...)
//       ADD [CONSTRAINT [n]] PRIMARY KEY [USING ..] (c, ...)         DROP PRIMARY KEY
//       ADD/DROP {INDEX|KEY|UNIQUE|FULLTEXT|SPATIAL|FOREIGN KEY|CONSTRAINT|CHECK|PERIOD} ...
//       DROP [COLUMN] [IF EXISTS] c       MODIFY [COLUMN] [IF EXISTS] col_def [FIRST | AFTER c]
//       CHANGE [COLUMN] [IF EXISTS] old col_def [FIRST | AFTER c]   RENAME COLUMN a TO b
//       RENAME [TO | AS] u                ALTER [COLUMN] c {SET DEFAULT ..|DROP DEFAULT|...}
//       CONVERT TO CHARACTER SET cs [COLLATE co]      [DEFAULT] CHARACTER SET [=] cs
//       table options (ENGINE=, COMMENT=, AUTO_INCREMENT=, ...), ALGORITHM=, LOCK=, FORCE,
//       partition clauses, ORDER BY, RENAME {INDEX|KEY} a TO b, ENABLE/DISABLE KEYS
//   RENAME TABLE a TO b [, c TO d] ...
//   DROP [TEMPORARY] TABLE [IF EXISTS] a [, b] ... [RESTRICT | CASCADE]
//   CREATE/ALTER DATABASE d [CHARACTER SET cs]       DROP DATABASE [IF EXISTS] d
// Every other statement (DML, TRUNCATE, CREATE INDEX, views, routines, users, ...)
// does not change a table's columns: kNone. A statement that names a table but is not
// understood (CREATE TABLE ... SELECT, an ALTER spec not listed) is kUnparsed with the
// tables it names and the reason, so the caller can fall back to information_schema.
//
// Grammar followed: https://mariadb.com/kb/en/create-table/, .../alter-table/,
// https://dev.mysql.com/doc/refman/8.0/en/alter-table.html. Comments are skipped except
// executable ones (/*!NNNNN ... */, /*M!NNNNNN ... */), whose text is parsed.
#ifndef TIDEMARK_CAPTURE_MYSQL_DDL_PARSER_H_
#define TIDEMARK_CAPTURE_MYSQL_DDL_PARSER_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capture/mysql/table_schema.h"

namespace tidemark::mysql {

struct TableRef {
  std::string db;  // empty: the statement's default database
  std::string table;
  bool operator==(const TableRef&) const = default;
};

struct AlterOp {
  enum Kind {
    kAddColumn,       // column, first/after
    kDropColumn,      // name
    kModifyColumn,    // column (name = column.name), first/after
    kChangeColumn,    // name → column, first/after
    kRenameColumn,    // name → new_name
    kAddPrimaryKey,   // key_columns
    kDropPrimaryKey,
    kRenameTable,     // to
    kConvertCharset,  // charset: every character column and the table default
    kTableCharset,    // charset: the table default only
  };
  Kind kind = kAddColumn;
  KnownColumn column;
  std::string name, new_name;
  bool first = false;
  std::string after;       // column to place after (empty: at the end unless first)
  bool if_exists = false;  // IF EXISTS / IF NOT EXISTS
  std::vector<std::string> key_columns;
  TableRef to;
  std::string charset;
};

struct DdlStatement {
  enum Kind {
    kNone,
    kCreateTable,     // table, columns (part_of_key set), table_charset, if_not_exists
    kCreateTableLike, // table, like
    kAlterTable,      // table, ops
    kRenameTables,    // renames (in order)
    kDropTables,      // tables
    kCreateDatabase,  // database, charset
    kAlterDatabase,   // database, charset
    kDropDatabase,    // database
    kUnparsed,        // tables (those named; may be empty), reason
  };
  Kind kind = kNone;
  TableRef table, like;
  std::vector<KnownColumn> columns;
  std::string table_charset;
  bool if_not_exists = false;
  bool or_replace = false;
  bool temporary = false;  // TEMPORARY tables are not tracked
  std::vector<AlterOp> ops;
  std::vector<std::pair<TableRef, TableRef>> renames;
  std::vector<TableRef> tables;
  std::string database, charset;
  std::string reason;
};

DdlStatement ParseDdl(std::string_view query);

// The charset a CHARACTER SET or COLLATE name stands for ("utf8" → "utf8mb3",
// "utf8mb4_unicode_ci" → "utf8mb4", "binary" → "binary").
std::string CharsetOfName(std::string_view charset_or_collation);

}  // namespace tidemark::mysql

#endif  // TIDEMARK_CAPTURE_MYSQL_DDL_PARSER_H_
