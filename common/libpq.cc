#include "common/strings.h"
#include "common/libpq.h"

#include <fmt/format.h>

#include "absl/strings/ascii.h"

namespace tidemark {
namespace {

std::string Trim(const char* s) {
  std::string out = s ? s : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace

absl::Status PgStatus(PGconn* conn, const PGresult* res, std::string_view what) {
  std::string msg = res ? Trim(PQresultErrorMessage(res)) : "";
  if (msg.empty() && conn) msg = Trim(PQerrorMessage(conn));
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state ? state : "";
  std::string text = sqlstate.empty() ? fmt::format("{}: {}", what, msg)
                                      : fmt::format("{}: {} (SQLSTATE {})", what, msg, sqlstate);
  if (conn && PQstatus(conn) == CONNECTION_BAD) return absl::UnavailableError(text);
  if (sqlstate.rfind("08", 0) == 0 || sqlstate.rfind("57P", 0) == 0 ||
      sqlstate == "53300") {  // connection exceptions, admin shutdown, too many connections
    return absl::UnavailableError(text);
  }
  if (sqlstate == "40001" || sqlstate == "40P01") return absl::AbortedError(text);
  if (sqlstate.rfind("28", 0) == 0 || sqlstate == "42501" || sqlstate == "55000") {
    return absl::FailedPreconditionError(text);
  }
  if (sqlstate == "42704" || sqlstate == "42P01") return absl::NotFoundError(text);
  if (sqlstate.rfind("53", 0) == 0) return absl::ResourceExhaustedError(text);
  return absl::InternalError(text);
}

absl::StatusOr<std::unique_ptr<PgConn>> PgConn::Connect(
    const std::string& conninfo, const std::string& password,
    const std::vector<std::pair<std::string, std::string>>& extra) {
  // Expand the user's conninfo first, then override/add our keywords.
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (opts == nullptr) {
    std::string msg = err ? Trim(err) : "out of memory";
    PQfreemem(err);
    return absl::InvalidArgumentError(fmt::format(
        "source.dsn is not a valid libpq connection string: {} (use 'host=... port=... dbname=... "
        "user=...' or a postgresql:// URI)", msg));
  }
  std::vector<std::string> keys, vals;
  for (PQconninfoOption* o = opts; o->keyword; ++o) {
    if (o->val == nullptr) continue;
    keys.emplace_back(o->keyword);
    vals.emplace_back(o->val);
  }
  PQconninfoFree(opts);
  auto set = [&](const std::string& k, const std::string& v) {
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == k) { vals[i] = v; return; }
    }
    keys.push_back(k);
    vals.push_back(v);
  };
  if (!password.empty()) set("password", password);
  for (const auto& [k, v] : extra) set(k, v);
  bool has_timeout = false;
  for (const auto& k : keys) has_timeout |= (k == "connect_timeout");
  if (!has_timeout) set("connect_timeout", "10");
  std::vector<const char*> kp, vp;
  for (size_t i = 0; i < keys.size(); ++i) {
    kp.push_back(keys[i].c_str());
    vp.push_back(vals[i].c_str());
  }
  kp.push_back(nullptr);
  vp.push_back(nullptr);
  PGconn* c = PQconnectdbParams(kp.data(), vp.data(), 0);
  if (c == nullptr) return absl::ResourceExhaustedError("libpq: out of memory while connecting");
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = Trim(PQerrorMessage(c));
    PQfinish(c);
    bool auth = msg.find("authentication") != std::string::npos ||
                msg.find("password") != std::string::npos ||
                msg.find("permission denied") != std::string::npos ||
                msg.find("does not exist") != std::string::npos;
    std::string text = fmt::format("cannot connect to PostgreSQL: {}", msg);
    if (auth) return absl::FailedPreconditionError(text + " (check user, password and dbname)");
    return absl::UnavailableError(text + " (is the server running and reachable?)");
  }
  return std::unique_ptr<PgConn>(new PgConn(c));
}

PgConn::~PgConn() { PQfinish(conn_); }

absl::StatusOr<PgResult> PgConn::Exec(const std::string& sql, std::string_view what) {
  PgResult r(PQexec(conn_, sql.c_str()));
  ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return PgStatus(conn_, r.get(), what);
  return r;
}

absl::StatusOr<PgResult> PgConn::ExecParams(const std::string& sql,
                                            const std::vector<std::string>& params,
                                            std::string_view what) {
  std::vector<const char*> p;
  for (const auto& s : params) p.push_back(s.c_str());
  PgResult r(PQexecParams(conn_, sql.c_str(), static_cast<int>(p.size()), nullptr, p.data(),
                          nullptr, nullptr, 0));
  ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return PgStatus(conn_, r.get(), what);
  return r;
}

absl::StatusOr<std::string> PgConn::QueryValue(const std::string& sql, std::string_view what) {
  auto r = Exec(sql, what);
  if (!r.ok()) return r.status();
  if (PQntuples(r->get()) != 1 || PQnfields(r->get()) < 1) {
    return absl::InternalError(fmt::format("{}: expected one row, got {}", what, PQntuples(r->get())));
  }
  return PgValue(*r, 0, 0);
}

std::string PgConn::Quote(std::string_view identifier) const {
  char* q = PQescapeIdentifier(conn_, identifier.data(), identifier.size());
  std::string out = q ? q : "";
  PQfreemem(q);
  return out;
}

std::string PgConn::QuoteLiteral(std::string_view literal) const {
  char* q = PQescapeLiteral(conn_, literal.data(), literal.size());
  std::string out = q ? q : "";
  PQfreemem(q);
  return out;
}

}  // namespace tidemark
