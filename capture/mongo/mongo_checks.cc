#include "capture/mongo/mongo_checks.h"

#include <fmt/format.h>

#include <set>
#include <string>

#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark::mongo {
namespace {

struct Bson {
  bson_t b = BSON_INITIALIZER;
  ~Bson() { bson_destroy(&b); }
};

std::string Str(const bson_t& doc, const char* dotted) {
  bson_iter_t it, found;
  if (bson_iter_init(&it, &doc) && bson_iter_find_descendant(&it, dotted, &found) &&
      BSON_ITER_HOLDS_UTF8(&found)) {
    return bson_iter_utf8(&found, nullptr);
  }
  return "";
}

bool Bool(const bson_t& doc, const char* dotted) {
  bson_iter_t it, found;
  return bson_iter_init(&it, &doc) && bson_iter_find_descendant(&it, dotted, &found) &&
         bson_iter_as_bool(&found);
}

// Does one privilege document grant `action` on `db` (any collection)?
bool Grants(const bson_t& priv, const std::string& db, const std::string& action) {
  bson_iter_t it, arr;
  bool has_action = false;
  if (bson_iter_init_find(&it, &priv, "actions") && BSON_ITER_HOLDS_ARRAY(&it) &&
      bson_iter_recurse(&it, &arr)) {
    while (bson_iter_next(&arr)) {
      if (BSON_ITER_HOLDS_UTF8(&arr) && action == bson_iter_utf8(&arr, nullptr)) has_action = true;
    }
  }
  if (!has_action) return false;
  if (Bool(priv, "resource.anyResource") || Bool(priv, "resource.cluster")) return true;
  bson_iter_t r;
  if (!bson_iter_init(&r, &priv) || !bson_iter_find_descendant(&r, "resource.db", &r)) return false;
  const std::string rdb = Str(priv, "resource.db");
  const std::string rcoll = Str(priv, "resource.collection");
  return (rdb.empty() || rdb == db) && rcoll.empty();
}

}  // namespace

absl::StatusOr<std::vector<Prerequisite>> CheckMongo(MongoClient& client, const WatchOptions& o) {
  std::vector<Prerequisite> out;
  {
    Bson cmd, reply;
    BSON_APPEND_INT32(&cmd.b, "hello", 1);
    TM_RETURN_IF_ERROR(client.Command("admin", cmd.b, &reply.b, "hello"));
    if (Str(reply.b, "setName").empty() && Str(reply.b, "msg") != "isdbgrid") {
      out.push_back({"the server is a standalone mongod: change streams need a replica set or a "
                     "sharded cluster",
                     "start mongod with --replSet <name> and run rs.initiate() (a one-node replica "
                     "set is enough), then put ?replicaSet=<name> in source.uri"});
    }
  }
  {
    Bson cmd, reply;
    BSON_APPEND_INT32(&cmd.b, "connectionStatus", 1);
    BSON_APPEND_BOOL(&cmd.b, "showPrivileges", true);
    TM_RETURN_IF_ERROR(client.Command("admin", cmd.b, &reply.b, "connectionStatus"));
    bson_iter_t it, users, privs;
    bool authenticated = false;
    if (bson_iter_init(&it, &reply.b) &&
        bson_iter_find_descendant(&it, "authInfo.authenticatedUsers", &users) &&
        BSON_ITER_HOLDS_ARRAY(&users)) {
      bson_iter_t u;
      authenticated = bson_iter_recurse(&users, &u) && bson_iter_next(&u);
    }
    if (authenticated) {
      std::set<std::string> granted;
      bson_iter_init(&it, &reply.b);
      if (bson_iter_find_descendant(&it, "authInfo.authenticatedUserPrivileges", &privs) &&
          BSON_ITER_HOLDS_ARRAY(&privs)) {
        bson_iter_t p;
        bson_iter_recurse(&privs, &p);
        while (bson_iter_next(&p)) {
          if (!BSON_ITER_HOLDS_DOCUMENT(&p)) continue;
          uint32_t len = 0;
          const uint8_t* data = nullptr;
          bson_iter_document(&p, &len, &data);
          bson_t priv;
          if (!bson_init_static(&priv, data, len)) continue;
          for (const char* action : {"find", "changeStream"}) {
            if (Grants(priv, o.database, action)) granted.insert(action);
          }
        }
      }
      for (const char* action : {"find", "changeStream"}) {
        if (granted.count(action) == 0) {
          std::string on = o.database.empty() ? "every database" : "database " + o.database;
          out.push_back({fmt::format("the user lacks the {} action on {}", action, on),
                         fmt::format("grant a role with find and changeStream there, e.g. "
                                     "db.grantRolesToUser(\"<user>\", [{{role: \"{}\", db: \"{}\"}}])",
                                     o.database.empty() ? "readAnyDatabase" : "read",
                                     o.database.empty() ? "admin" : o.database)});
        }
      }
    }
  }
  if (o.pre_post_images) {
    if (o.database.empty()) {
      out.push_back({"capture_mode pre_post_images needs source.database to check the collections",
                     "set source.database, or check changeStreamPreAndPostImages yourself"});
      return out;
    }
    Bson cmd, reply;
    BSON_APPEND_INT32(&cmd.b, "listCollections", 1);
    TM_RETURN_IF_ERROR(client.Command(o.database.c_str(), cmd.b, &reply.b, "listCollections"));
    std::set<std::string> enabled, present;
    bson_iter_t it, batch;
    if (bson_iter_init(&it, &reply.b) && bson_iter_find_descendant(&it, "cursor.firstBatch", &batch) &&
        BSON_ITER_HOLDS_ARRAY(&batch)) {
      bson_iter_t c;
      bson_iter_recurse(&batch, &c);
      while (bson_iter_next(&c)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&c)) continue;
        uint32_t len = 0;
        const uint8_t* data = nullptr;
        bson_iter_document(&c, &len, &data);
        bson_t coll;
        if (!bson_init_static(&coll, data, len)) continue;
        std::string name = Str(coll, "name");
        present.insert(name);
        if (Bool(coll, "options.changeStreamPreAndPostImages.enabled")) enabled.insert(name);
      }
    }
    std::vector<std::string> want = o.collections;
    if (want.empty()) want.assign(present.begin(), present.end());
    for (const auto& name : want) {
      bool excluded = false;
      for (const auto& e : o.exclude) excluded |= e == name;
      if (excluded || enabled.count(name) != 0) continue;
      out.push_back({fmt::format("collection {}.{} does not record pre- and post-images "
                                 "(capture_mode pre_post_images)",
                                 o.database, name),
                     fmt::format("db.getSiblingDB(\"{}\").runCommand({{collMod: \"{}\", "
                                 "changeStreamPreAndPostImages: {{enabled: true}}}}) (MongoDB 6.0+), "
                                 "or use capture_mode updateLookup",
                                 o.database, name)});
    }
  }
  return out;
}

}  // namespace tidemark::mongo
