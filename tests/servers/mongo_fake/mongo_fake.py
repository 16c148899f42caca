#!/usr/bin/env python3
"""mongo_fake.py - a small MongoDB wire-protocol server for change-stream tests.

It pretends to be the PRIMARY of a one-node replica set ("rs0") so that a real
driver (libmongoc 1.23 here) runs its normal handshake, server discovery,
sessions, aggregate/getMore/killCursors and change-stream resume logic against
it.  It keeps documents in memory, appends every write to an in-memory oplog
and serves $changeStream cursors from that oplog.

Speaks: OP_QUERY (legacy handshake) -> OP_REPLY, and OP_MSG (kind 0 body and
kind 1 document sequences) -> OP_MSG.  No compression, no TLS, no auth.

Commands: hello/isMaster, ping, buildInfo, endSessions, connectionStatus,
insert, update ($set $unset $inc $push $pop $setOnInsert, replacement,
upsert), delete, find, create, collMod, drop, renameCollection, dropDatabase,
listCollections, aggregate (only with a leading $changeStream stage,
optionally followed by simple $match stages), getMore, killCursors,
commitTransaction, abortTransaction, configureFailPoint (failCommand:
failCommands, errorCode, errorLabels, closeConnection,
times/alwaysOn/skip/off) and three test hooks: fakeStats, fakeTruncateOplog,
fakeReset.

Multi-document transactions: writes sent with lsid + txnNumber +
autocommit:false are buffered per session and applied at commitTransaction,
when their events enter the oplog together (one clusterTime, consecutive
tokens) carrying lsid and txnNumber; abortTransaction discards them.

Bounded history (--history N): the oplog keeps the newest N entries; a cursor
or a resume token older than the oldest kept entry fails with 286
ChangeStreamHistoryLost, as a real server whose oplog rolled over.

Idle primary (--noop-ms M): every M ms an invisible no-op enters the oplog, as
a real primary's periodic no-op writer does, so postBatchResumeToken advances
on idle cursors.

Change streams: collection / database / cluster (allChangesForCluster) level;
resumeAfter, startAfter, startAtOperationTime; postBatchResumeToken;
fullDocument: default|updateLookup|whenAvailable|required;
fullDocumentBeforeChange: off|whenAvailable|required (pre-images are recorded
only for collections created/collMod'ed with changeStreamPreAndPostImages);
event types insert, update (updatedFields, removedFields, truncatedArrays),
replace, delete, drop, rename, dropDatabase and invalidate (collection
streams after drop/rename/dropDatabase, database streams after
dropDatabase).  Resume tokens are {_data: <hex string>}, opaque to the
client, ordered like the oplog.

Needs: Debian's python3 and python3-bson (apt-get install python3-pymongo).
Usage: mongo_fake.py --port 27117 [--host 127.0.0.1] [--set-name rs0]
                     [--port-file F] [--history N] [--noop-ms M] [-v]
--port 0 picks a free port; --port-file writes the port (then a newline) to F
once the server listens.
"""

import argparse
import copy
import datetime
import socket
import socketserver
import struct
import sys
import threading
import time

import bson
from bson import SON, CodecOptions, ObjectId, Timestamp
from bson.binary import Binary, UuidRepresentation
from bson.int64 import Int64

# UNSPECIFIED: binary subtypes 3 and 4 stay Binary objects, so every UUID keeps its
# subtype (the legacy default would turn subtype 4 into 3 on the way back).
OPTS = CodecOptions(document_class=SON, tz_aware=True,
                    uuid_representation=UuidRepresentation.UNSPECIFIED)
OP_REPLY, OP_QUERY, OP_MSG = 1, 2004, 2013
MAX_WIRE = 17  # what libmongoc 1.23 knows (MongoDB 6.0)

# error codes / names used by the real server
ERR = {
    2: "BadValue", 6: "HostUnreachable", 11000: "DuplicateKey",
    26: "NamespaceNotFound", 43: "CursorNotFound", 47: "NoMatchingDocument",
    48: "NamespaceExists", 59: "CommandNotFound", 280: "ChangeStreamFatalError",
    286: "ChangeStreamHistoryLost", 91: "ShutdownInProgress",
    189: "PrimarySteppedDown", 10107: "NotWritablePrimary",
    40324: "Location40324", 40674: "Location40674",
}


class CmdError(Exception):
    def __init__(self, code, msg, labels=None):
        super().__init__(msg)
        self.code, self.msg, self.labels = code, msg, labels or []


def err_doc(code, msg, labels=None):
    d = SON([("ok", 0.0), ("errmsg", msg), ("code", code),
             ("codeName", ERR.get(code, "Error%d" % code))])
    if labels:
        d["errorLabels"] = list(labels)
    return d


def session_key(lsid):
    """The session of an lsid ({id: <UUID as Binary subtype 4>}) as bytes."""
    return bytes(lsid["id"])


def idkey(v):
    return bson.encode({"k": v})


def get_path(doc, path):
    cur = doc
    for part in path.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return False, None
    return True, cur


def match(doc, flt):
    """Tiny query matcher: equality on (dotted) fields, $eq $ne $in $nin
    $exists $gt $gte $lt $lte, $and $or $nor."""
    for k, cond in (flt or {}).items():
        if k == "$and":
            if not all(match(doc, c) for c in cond):
                return False
            continue
        if k == "$or":
            if not any(match(doc, c) for c in cond):
                return False
            continue
        if k == "$nor":
            if any(match(doc, c) for c in cond):
                return False
            continue
        found, val = get_path(doc, k)
        if isinstance(cond, dict) and cond and all(x.startswith("$") for x in cond):
            for op, arg in cond.items():
                if op == "$eq" and not (found and val == arg):
                    return False
                if op == "$ne" and found and val == arg:
                    return False
                if op == "$in" and not (found and val in arg):
                    return False
                if op == "$nin" and found and val in arg:
                    return False
                if op == "$exists" and bool(arg) != found:
                    return False
                try:
                    if op == "$gt" and not (found and val > arg):
                        return False
                    if op == "$gte" and not (found and val >= arg):
                        return False
                    if op == "$lt" and not (found and val < arg):
                        return False
                    if op == "$lte" and not (found and val <= arg):
                        return False
                except TypeError:
                    return False
                if op not in ("$eq", "$ne", "$in", "$nin", "$exists",
                              "$gt", "$gte", "$lt", "$lte"):
                    raise CmdError(2, "mongo-fake: unsupported query operator %s" % op)
        else:
            if not (found and val == cond):
                return False
    return True


def set_path(doc, path, value):
    parts = path.split(".")
    cur = doc
    for p in parts[:-1]:
        if p not in cur or not isinstance(cur[p], dict):
            cur[p] = SON()
        cur = cur[p]
    cur[parts[-1]] = value


def unset_path(doc, path):
    parts = path.split(".")
    cur = doc
    for p in parts[:-1]:
        if p not in cur or not isinstance(cur[p], dict):
            return False
        cur = cur[p]
    if parts[-1] not in cur:
        return False
    del cur[parts[-1]]
    return True


class Entry:
    __slots__ = ("seq", "ts", "wall", "op", "db", "coll", "key", "post", "pre",
                 "upd", "preimages", "to", "lsid", "txn")


class Cursor:
    pass


class State:
    def __init__(self, host, port, set_name, verbose, history=0):
        self.cv = threading.Condition()
        self.history = history
        self.me = "%s:%d" % (host, port)
        self.set_name = set_name
        self.verbose = verbose
        self.election_id = ObjectId()
        self.reset()

    def reset(self):
        self.colls = {}        # (db, coll) -> dict idkey -> doc
        self.coll_opts = {}    # (db, coll) -> {"preimages": bool}
        self.oplog = []        # list of Entry, seq ascending
        self.seq = 0
        self.oldest_seq = 1    # first seq still in the oplog
        self.last_t, self.last_i = 0, 0
        self.cursors = {}
        self.next_cursor = 1000
        self.failpoint = None
        self.txns = {}         # lsid id bytes -> {"txn": n, "ops": [...], "lsid": doc}
        self.capture = None    # list collecting log() calls while a transaction commits
        self.conn_id = 0
        self.stats = {"aggregate": 0, "getMore": 0, "killCursors": 0,
                      "hello": 0, "changeStreams": []}

    # --- clock -----------------------------------------------------------
    def tick(self):
        t = int(time.time())
        if t <= self.last_t:
            self.last_i += 1
        else:
            self.last_t, self.last_i = t, 1
        return Timestamp(self.last_t, self.last_i)

    def now_ts(self):
        return Timestamp(self.last_t, self.last_i) if self.last_t else Timestamp(int(time.time()), 0)

    def cluster_time(self):
        return SON([("clusterTime", self.now_ts()),
                    ("signature", SON([("hash", Binary(b"\0" * 20)), ("keyId", Int64(0))]))])

    # --- oplog -----------------------------------------------------------
    def log(self, op, db, coll, key=None, post=None, pre=None, upd=None, to=None, ts=None,
            lsid=None, txn=None):
        if self.capture is not None:  # inside a transaction: applied at commit
            self.capture.append(dict(op=op, db=db, coll=coll, key=copy.deepcopy(key),
                                     post=copy.deepcopy(post), pre=copy.deepcopy(pre), upd=upd,
                                     to=to))
            return None
        e = Entry()
        self.seq += 1
        e.seq, e.ts = self.seq, ts or self.tick()
        e.to, e.lsid, e.txn = to, lsid, txn
        e.wall = datetime.datetime.now(datetime.timezone.utc)
        e.op, e.db, e.coll, e.key = op, db, coll, key
        e.post = copy.deepcopy(post)
        e.pre = copy.deepcopy(pre)
        e.upd = upd
        e.preimages = self.coll_opts.get((db, coll), {}).get("preimages", False)
        self.oplog.append(e)
        if self.history and len(self.oplog) > self.history:
            drop = len(self.oplog) - self.history
            del self.oplog[:drop]
            self.oldest_seq = self.oplog[0].seq
        self.cv.notify_all()
        return e


def token(seq, ts):
    return SON([("_data", "%08X%08X%016X" % (ts.time, ts.inc, seq))])


def token_seq(tok):
    try:
        data = tok["_data"]
        return int(data[16:32], 16)
    except Exception:
        raise CmdError(2, "mongo-fake: malformed resume token %r" % (tok,))


class Handler(socketserver.BaseRequestHandler):
    def setup(self):
        st = self.server.state
        with st.cv:
            st.conn_id += 1
            self.conn_id = st.conn_id
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.request.recv(n - len(buf))
            if not chunk:
                raise ConnectionError
            buf += chunk
        return buf

    def handle(self):
        try:
            while True:
                hdr = self.recv_exact(16)
                length, req_id, _resp_to, opcode = struct.unpack("<iiii", hdr)
                body = self.recv_exact(length - 16)
                if opcode == OP_QUERY:
                    self.on_query(req_id, body)
                elif opcode == OP_MSG:
                    if not self.on_msg(req_id, body):
                        return
                else:
                    return  # legacy opcodes are not supported: drop the connection
        except (ConnectionError, OSError):
            return

    # --- framing ---------------------------------------------------------
    def send(self, req_id, opcode, payload):
        self.server.state.reqid = getattr(self.server.state, "reqid", 0) + 1
        hdr = struct.pack("<iiii", 16 + len(payload), self.server.state.reqid, req_id, opcode)
        self.request.sendall(hdr + payload)

    def on_query(self, req_id, body):
        (flags,) = struct.unpack_from("<i", body, 0)
        nul = body.index(b"\0", 4)
        ns = body[4:nul].decode()
        pos = nul + 1 + 8
        (size,) = struct.unpack_from("<i", body, pos)
        q = bson.decode(body[pos:pos + size], OPTS)
        if "$query" in q:
            q = q["$query"]
        db = ns.split(".", 1)[0]
        reply, _close = self.dispatch(db, q)
        doc = bson.encode(reply)
        self.send(req_id, OP_REPLY, struct.pack("<iqii", 0, 0, 0, 1) + doc)

    def on_msg(self, req_id, body):
        (flags,) = struct.unpack_from("<I", body, 0)
        end = len(body) - (4 if flags & 1 else 0)
        pos, cmd, seqs = 4, None, {}
        while pos < end:
            kind = body[pos]
            pos += 1
            (size,) = struct.unpack_from("<i", body, pos)
            if kind == 0:
                cmd = bson.decode(body[pos:pos + size], OPTS)
                pos += size
            elif kind == 1:
                sec_end = pos + size
                p = pos + 4
                nul = body.index(b"\0", p)
                ident = body[p:nul].decode()
                p = nul + 1
                docs = []
                while p < sec_end:
                    (dsz,) = struct.unpack_from("<i", body, p)
                    docs.append(bson.decode(body[p:p + dsz], OPTS))
                    p += dsz
                seqs[ident] = docs
                pos = sec_end
            else:
                return False
        for k, v in seqs.items():
            cmd[k] = v
        db = cmd.get("$db", "admin")
        reply, close = self.dispatch(db, cmd)
        if close:
            return False
        if flags & 2:  # moreToCome: unacknowledged, no reply
            return True
        self.send(req_id, OP_MSG, struct.pack("<I", 0) + b"\0" + bson.encode(reply))
        return True

    # --- commands --------------------------------------------------------
    def dispatch(self, db, cmd):
        st = self.server.state
        name = next(iter(cmd))
        lname = name.lower()
        if st.verbose:
            shown = {k: v for k, v in cmd.items() if k not in ("lsid", "$clusterTime", "client")}
            print("[conn%d] %s.%s %s" % (self.conn_id, db, name, shown), file=sys.stderr, flush=True)
        fp = st.failpoint
        if fp and name in fp["data"].get("failCommands", []) and lname not in ("configurefailpoint",):
            with st.cv:
                if fp["mode"] == "skip" and fp["skip"] > 0:
                    fp["skip"] -= 1
                    fp = None
                elif fp["mode"] == "skip":
                    st.failpoint = None
                elif fp["mode"] != "alwaysOn":
                    fp["times"] -= 1
                    if fp["times"] <= 0:
                        st.failpoint = None
        if fp and name in fp["data"].get("failCommands", []) and lname not in ("configurefailpoint",):
            if fp["data"].get("closeConnection"):
                return None, True
            if "errorCode" in fp["data"]:
                return err_doc(fp["data"]["errorCode"], "Failing command via 'failCommand' failpoint",
                               fp["data"].get("errorLabels")), False
        fn = getattr(self, "cmd_" + lname, None)
        try:
            if fn is None:
                raise CmdError(59, "no such command: '%s' (mongo-fake)" % name)
            if cmd.get("autocommit") is False and lname in ("insert", "update", "delete"):
                reply = self.in_transaction(db, cmd, fn)
            else:
                reply = fn(db, cmd)
        except CmdError as e:
            reply = err_doc(e.code, e.msg, e.labels)
        with st.cv:
            reply["operationTime"] = st.now_ts()
            reply["$clusterTime"] = st.cluster_time()
        return reply, False

    def hello_doc(self, legacy):
        st = self.server.state
        d = SON()
        if legacy:
            d["ismaster"] = True
        else:
            d["isWritablePrimary"] = True
        d.update([
            ("helloOk", True), ("setName", st.set_name), ("setVersion", 1),
            ("electionId", st.election_id), ("secondary", False),
            ("hosts", [st.me]), ("primary", st.me), ("me", st.me),
            ("lastWrite", SON([("opTime", SON([("ts", st.now_ts()), ("t", Int64(1))])),
                               ("lastWriteDate", datetime.datetime.now(datetime.timezone.utc))])),
            ("maxBsonObjectSize", 16 * 1024 * 1024), ("maxMessageSizeBytes", 48000000),
            ("maxWriteBatchSize", 100000),
            ("localTime", datetime.datetime.now(datetime.timezone.utc)),
            ("logicalSessionTimeoutMinutes", 30), ("connectionId", self.conn_id),
            ("minWireVersion", 0), ("maxWireVersion", MAX_WIRE), ("readOnly", False), ("ok", 1.0),
        ])
        with st.cv:
            st.stats["hello"] += 1
        return d

    def cmd_ismaster(self, db, cmd):
        return self.hello_doc(True)

    def cmd_hello(self, db, cmd):
        return self.hello_doc(False)

    def cmd_ping(self, db, cmd):
        return SON([("ok", 1.0)])

    def cmd_buildinfo(self, db, cmd):
        return SON([("version", "6.0.0-mongo-fake"), ("versionArray", [6, 0, 0, 0]),
                    ("maxBsonObjectSize", 16 * 1024 * 1024), ("ok", 1.0)])

    def cmd_endsessions(self, db, cmd):
        return SON([("ok", 1.0)])

    # test hooks
    def cmd_configurefailpoint(self, db, cmd):
        st = self.server.state
        if cmd["configureFailPoint"] != "failCommand":
            raise CmdError(2, "mongo-fake: only the failCommand failpoint exists")
        mode = cmd.get("mode")
        with st.cv:
            if mode == "off":
                st.failpoint = None
            elif mode == "alwaysOn":
                st.failpoint = {"mode": "alwaysOn", "times": 0, "data": cmd.get("data", {})}
            elif isinstance(mode, dict) and "skip" in mode:
                st.failpoint = {"mode": "skip", "skip": int(mode["skip"]), "times": 0,
                                "data": cmd.get("data", {})}
            elif isinstance(mode, dict) and "times" in mode:
                st.failpoint = {"mode": "times", "times": int(mode["times"]), "data": cmd.get("data", {})}
            else:
                raise CmdError(2, "mongo-fake: unsupported failpoint mode %r" % (mode,))
        return SON([("ok", 1.0)])

    # --- transactions --------------------------------------------------------
    def in_transaction(self, db, cmd, fn):
        """Runs a write of a multi-document transaction: the data changes at once
        (reads are not isolated: enough for tests), its oplog entries wait for
        commitTransaction."""
        st = self.server.state
        lsid = cmd.get("lsid")
        if lsid is None or "txnNumber" not in cmd:
            raise CmdError(2, "mongo-fake: autocommit:false without lsid and txnNumber")
        key = session_key(lsid)
        with st.cv:
            t = st.txns.get(key)
            if cmd.get("startTransaction") or t is None or t["txn"] != int(cmd["txnNumber"]):
                if not cmd.get("startTransaction"):
                    raise CmdError(251, "Transaction %d has been aborted." % int(cmd["txnNumber"]))
                t = {"txn": int(cmd["txnNumber"]), "ops": [], "lsid": lsid,
                     "undo": copy.deepcopy(st.colls)}
                st.txns[key] = t
            st.capture = t["ops"]
            try:
                return fn(db, cmd)
            finally:
                st.capture = None

    def end_transaction(self, cmd, commit):
        st = self.server.state
        lsid = cmd.get("lsid")
        key = session_key(lsid) if lsid else None
        with st.cv:
            t = st.txns.pop(key, None)
            if t is None or t["txn"] != int(cmd.get("txnNumber", -1)):
                if commit:
                    raise CmdError(251, "mongo-fake: no such transaction")
                return SON([("ok", 1.0)])
            if commit:
                ts = st.tick()
                lsid_doc = SON([("id", t["lsid"]["id"])])
                if "uid" in t["lsid"]:
                    lsid_doc["uid"] = t["lsid"]["uid"]
                for op in t["ops"]:
                    st.log(op["op"], op["db"], op["coll"], op["key"], op["post"], op["pre"],
                           op["upd"], op["to"], ts=ts, lsid=lsid_doc, txn=Int64(t["txn"]))
            else:
                st.colls = t["undo"]
        return SON([("ok", 1.0)])

    def cmd_committransaction(self, db, cmd):
        return self.end_transaction(cmd, True)

    def cmd_aborttransaction(self, db, cmd):
        return self.end_transaction(cmd, False)

    def cmd_connectionstatus(self, db, cmd):
        # No auth: like a mongod without --auth, nobody is authenticated.
        info = SON([("authenticatedUsers", []), ("authenticatedUserRoles", [])])
        if cmd.get("showPrivileges"):
            info["authenticatedUserPrivileges"] = []
        return SON([("authInfo", info), ("ok", 1.0)])

    def cmd_renamecollection(self, db, cmd):
        st = self.server.state
        src, dst = cmd["renameCollection"], cmd["to"]
        sdb, scoll = src.split(".", 1)
        ddb, dcoll = dst.split(".", 1)
        with st.cv:
            if (sdb, scoll) not in st.colls:
                raise CmdError(26, "Source collection %s does not exist" % src)
            if (ddb, dcoll) in st.colls:
                if not cmd.get("dropTarget"):
                    raise CmdError(48, "target namespace exists")
                del st.colls[(ddb, dcoll)]
                st.log("drop", ddb, dcoll)
            st.colls[(ddb, dcoll)] = st.colls.pop((sdb, scoll))
            st.coll_opts[(ddb, dcoll)] = st.coll_opts.pop((sdb, scoll), {"preimages": False})
            st.log("rename", sdb, scoll, to=SON([("db", ddb), ("coll", dcoll)]))
        return SON([("ok", 1.0)])

    def cmd_dropdatabase(self, db, cmd):
        st = self.server.state
        with st.cv:
            for ns in sorted(n for n in st.colls if n[0] == db):
                del st.colls[ns]
                st.coll_opts.pop(ns, None)
                st.log("drop", db, ns[1])
            st.log("dropDatabase", db, None)
        return SON([("dropped", db), ("ok", 1.0)])

    def cmd_fakestats(self, db, cmd):
        st = self.server.state
        with st.cv:
            s = copy.deepcopy(st.stats)
            s["oplogSize"] = len(st.oplog)
            s["oldestSeq"] = Int64(st.oldest_seq)
            s["seq"] = Int64(st.seq)
            s["openCursors"] = len(st.cursors)
        s["ok"] = 1.0
        return s

    def cmd_faketruncateoplog(self, db, cmd):
        """Drop all oplog entries (simulates history loss for resume tests)."""
        st = self.server.state
        with st.cv:
            st.oplog = []
            st.oldest_seq = st.seq + 1
        return SON([("ok", 1.0)])

    def cmd_fakereset(self, db, cmd):
        st = self.server.state
        with st.cv:
            st.reset()
        return SON([("ok", 1.0)])

    # --- CRUD --------------------------------------------------------------
    def cmd_create(self, db, cmd):
        st = self.server.state
        ns = (db, cmd["create"])
        with st.cv:
            if ns in st.colls:
                raise CmdError(48, "Collection %s.%s already exists." % ns)
            st.colls[ns] = {}
            pp = cmd.get("changeStreamPreAndPostImages")
            st.coll_opts[ns] = {"preimages": bool(pp and pp.get("enabled"))}
            st.log("create", db, ns[1])
        return SON([("ok", 1.0)])

    def cmd_collmod(self, db, cmd):
        st = self.server.state
        ns = (db, cmd["collMod"])
        with st.cv:
            if ns not in st.colls:
                raise CmdError(26, "ns does not exist: %s.%s" % ns)
            pp = cmd.get("changeStreamPreAndPostImages")
            if pp is not None:
                st.coll_opts.setdefault(ns, {})["preimages"] = bool(pp.get("enabled"))
        return SON([("ok", 1.0)])

    def cmd_drop(self, db, cmd):
        st = self.server.state
        ns = (db, cmd["drop"])
        with st.cv:
            if ns not in st.colls:
                raise CmdError(26, "ns not found")
            del st.colls[ns]
            st.coll_opts.pop(ns, None)
            st.log("drop", db, ns[1])
        return SON([("ok", 1.0)])

    def cmd_listcollections(self, db, cmd):
        st = self.server.state
        with st.cv:
            names = sorted(c for (d, c) in st.colls if d == db)
            pre = {n: st.coll_opts.get((db, n), {}).get("preimages", False) for n in names}
        flt = cmd.get("filter") or {}
        names = [n for n in names if match(SON([("name", n)]), {k: v for k, v in flt.items() if k == "name"})]
        batch = [SON([("name", n), ("type", "collection"),
                      ("options", SON([("changeStreamPreAndPostImages", SON([("enabled", True)]))])
                       if pre[n] else SON()),
                      ("info", SON([("readOnly", False)]))]) for n in names]
        return SON([("cursor", SON([("id", Int64(0)), ("ns", db + ".$cmd.listCollections"),
                                    ("firstBatch", batch)])), ("ok", 1.0)])

    def cmd_insert(self, db, cmd):
        st = self.server.state
        ns = (db, cmd["insert"])
        n, write_errors = 0, []
        with st.cv:
            coll = st.colls.setdefault(ns, {})
            st.coll_opts.setdefault(ns, {"preimages": False})
            for i, doc in enumerate(cmd.get("documents", [])):
                if "_id" not in doc:
                    doc = SON([("_id", ObjectId())] + list(doc.items()))
                k = idkey(doc["_id"])
                if k in coll:
                    write_errors.append(SON([("index", i), ("code", 11000), (
                        "errmsg", "E11000 duplicate key error collection: %s.%s index: _id_" % ns)]))
                    if cmd.get("ordered", True):
                        break
                    continue
                coll[k] = doc
                st.log("insert", db, ns[1], SON([("_id", doc["_id"])]), post=doc)
                n += 1
        r = SON([("n", n)])
        if write_errors:
            r["writeErrors"] = write_errors
        r["ok"] = 1.0
        return r

    def apply_update(self, doc, u):
        """Returns (newdoc, updatedFields, removedFields, is_replace)."""
        if isinstance(u, list):
            raise CmdError(2, "mongo-fake: pipeline-style updates are not supported")
        if not u or not next(iter(u)).startswith("$"):
            new = SON([("_id", doc["_id"])] + [(k, v) for k, v in u.items() if k != "_id"])
            return new, None, None, True
        new = copy.deepcopy(doc)
        updated, removed, truncated = SON(), [], []
        for op, fields in u.items():
            for path, val in fields.items():
                if op == "$set":
                    set_path(new, path, val)
                    updated[path] = val
                elif op == "$unset":
                    if unset_path(new, path):
                        removed.append(path)
                elif op == "$inc":
                    found, cur = get_path(new, path)
                    val = (cur if found else 0) + val
                    set_path(new, path, val)
                    updated[path] = val
                elif op == "$push":
                    found, cur = get_path(new, path)
                    if not found:
                        set_path(new, path, [val])
                        updated[path] = [val]
                    elif not isinstance(cur, list):
                        raise CmdError(14, "The field '%s' must be an array" % path)
                    else:
                        cur.append(val)
                        updated["%s.%d" % (path, len(cur) - 1)] = val
                elif op == "$pop":
                    found, cur = get_path(new, path)
                    if found and isinstance(cur, list) and cur:
                        if val == -1:
                            cur.pop(0)
                            updated[path] = copy.deepcopy(cur)  # the server rewrites the array
                        else:
                            cur.pop()
                            truncated.append(SON([("field", path), ("newSize", len(cur))]))
                elif op == "$setOnInsert":
                    pass
                else:
                    raise CmdError(2, "mongo-fake: unsupported update operator %s" % op)
        return new, (updated, truncated), removed, False

    def cmd_update(self, db, cmd):
        st = self.server.state
        ns = (db, cmd["update"])
        n = n_mod = 0
        upserted = []
        with st.cv:
            coll = st.colls.setdefault(ns, {})
            st.coll_opts.setdefault(ns, {"preimages": False})
            for i, spec in enumerate(cmd.get("updates", [])):
                q, u = spec.get("q", {}), spec.get("u", {})
                hits = [k for k, d in coll.items() if match(d, q)]
                if not spec.get("multi"):
                    hits = hits[:1]
                if not hits and spec.get("upsert"):
                    base = SON([(k, v) for k, v in q.items() if not k.startswith("$")
                                and not isinstance(v, dict)])
                    if "_id" not in base:
                        base = SON([("_id", ObjectId())] + list(base.items()))
                    new, _, _, is_repl = self.apply_update(base, u)
                    if not is_repl and "$setOnInsert" in u:
                        for p, v in u["$setOnInsert"].items():
                            set_path(new, p, v)
                    coll[idkey(new["_id"])] = new
                    st.log("insert", db, ns[1], SON([("_id", new["_id"])]), post=new)
                    upserted.append(SON([("index", i), ("_id", new["_id"])]))
                    n += 1
                    continue
                for k in hits:
                    old = coll[k]
                    new, updated, removed, is_repl = self.apply_update(old, u)
                    coll[k] = new
                    n += 1
                    n_mod += 1
                    if is_repl:
                        st.log("replace", db, ns[1], SON([("_id", new["_id"])]), post=new, pre=old)
                    else:
                        st.log("update", db, ns[1], SON([("_id", new["_id"])]), post=new, pre=old,
                               upd=SON([("updatedFields", updated[0]), ("removedFields", removed),
                                        ("truncatedArrays", updated[1])]))
        r = SON([("n", n), ("nModified", n_mod)])
        if upserted:
            r["upserted"] = upserted
        r["ok"] = 1.0
        return r

    def cmd_delete(self, db, cmd):
        st = self.server.state
        ns = (db, cmd["delete"])
        n = 0
        with st.cv:
            coll = st.colls.get(ns, {})
            for spec in cmd.get("deletes", []):
                hits = [k for k, d in coll.items() if match(d, spec.get("q", {}))]
                if spec.get("limit", 0) == 1:
                    hits = hits[:1]
                for k in hits:
                    old = coll.pop(k)
                    st.log("delete", db, ns[1], SON([("_id", old["_id"])]), pre=old)
                    n += 1
        return SON([("n", n), ("ok", 1.0)])

    def cmd_find(self, db, cmd):
        st = self.server.state
        ns = (db, cmd["find"])
        with st.cv:
            docs = [copy.deepcopy(d) for d in st.colls.get(ns, {}).values()
                    if match(d, cmd.get("filter", {}))]
        if cmd.get("limit"):
            docs = docs[:abs(int(cmd["limit"]))]
        return SON([("cursor", SON([("firstBatch", docs), ("id", Int64(0)),
                                    ("ns", "%s.%s" % ns)])), ("ok", 1.0)])

    # --- change streams ------------------------------------------------------
    def cmd_aggregate(self, db, cmd):
        st = self.server.state
        pipeline = cmd.get("pipeline", [])
        if not pipeline or "$changeStream" not in pipeline[0]:
            raise CmdError(2, "mongo-fake: only $changeStream aggregations are supported")
        spec = pipeline[0]["$changeStream"]
        matches = []
        for stage in pipeline[1:]:
            if "$match" not in stage:
                raise CmdError(2, "mongo-fake: unsupported stage after $changeStream: %s" % next(iter(stage)))
            matches.append(stage["$match"])
        target = cmd["aggregate"]
        c = Cursor()
        c.db = db
        c.coll = target if isinstance(target, str) else None
        c.cluster = bool(spec.get("allChangesForCluster"))
        if c.cluster and db != "admin":
            raise CmdError(2, "allChangesForCluster may only be set when running on the 'admin' database")
        if db == "admin" and not c.cluster and c.coll is None:
            raise CmdError(2, "$changeStream on the admin database requires allChangesForCluster")
        c.full = spec.get("fullDocument", "default")
        c.before = spec.get("fullDocumentBeforeChange", "off")
        c.matches = matches
        c.batch = int(cmd.get("cursor", {}).get("batchSize", 101))
        resume_opts = [k for k in ("resumeAfter", "startAfter", "startAtOperationTime") if k in spec]
        if len(resume_opts) > 1:
            raise CmdError(40674, "Only one type of resume option is allowed, but multiple were found.")
        with st.cv:
            st.stats["aggregate"] += 1
            st.stats["changeStreams"].append(SON([("db", db), ("coll", c.coll), ("spec", spec)]))
            if resume_opts and resume_opts[0] in ("resumeAfter", "startAfter"):
                seq = token_seq(spec[resume_opts[0]])
                if seq > st.seq:
                    raise CmdError(280, "mongo-fake: resume token is from the future")
                if seq < st.oldest_seq - 1:
                    raise CmdError(286, "Resume of change stream was not possible, as the resume "
                                        "point may no longer be in the oplog.")
                c.pos = seq
            elif resume_opts:
                ts = spec["startAtOperationTime"]
                if st.oplog and ts < st.oplog[0].ts and st.oldest_seq > 1:
                    raise CmdError(286, "Resume of change stream was not possible, as the resume "
                                        "point may no longer be in the oplog.")
                c.pos = st.oldest_seq - 1
                for e in st.oplog:
                    if (e.ts.time, e.ts.inc) < (ts.time, ts.inc):
                        c.pos = e.seq
            else:
                c.pos = st.seq
            st.next_cursor += 1
            c.id = st.next_cursor
            c.ns = "%s.%s" % (db, c.coll) if c.coll else "%s.$cmd.aggregate" % db
            c.dead = False
            batch = self.collect(c, c.batch)
            pbrt = self.pbrt(c)
            cid = 0 if c.dead else c.id
            if not c.dead:
                st.cursors[c.id] = c
        return SON([("cursor", SON([("firstBatch", batch), ("postBatchResumeToken", pbrt),
                                    ("id", Int64(cid)), ("ns", c.ns)])), ("ok", 1.0)])

    def pbrt(self, c):
        st = self.server.state
        e = st.oplog[-1] if st.oplog and st.oplog[-1].seq == c.pos else None
        return token(c.pos, e.ts if e else st.now_ts())

    def visible(self, c, e):
        if e.db in ("admin", "config", "local"):
            return False
        if c.coll is not None:
            return e.db == c.db and e.coll == c.coll
        if not c.cluster:
            return e.db == c.db
        return True

    def event(self, c, e):
        st = self.server.state
        if e.op in ("create", "noop"):
            return None
        ev = SON([("_id", token(e.seq, e.ts)), ("operationType", e.op), ("clusterTime", e.ts),
                  ("wallTime", e.wall)])
        if e.txn is not None:
            ev["lsid"] = copy.deepcopy(e.lsid)
            ev["txnNumber"] = e.txn
        if e.op in ("insert", "replace"):
            ev["fullDocument"] = copy.deepcopy(e.post)
        elif e.op == "update":
            if c.full == "updateLookup":
                cur = st.colls.get((e.db, e.coll), {}).get(idkey(e.key["_id"]))
                ev["fullDocument"] = copy.deepcopy(cur)
            elif c.full in ("whenAvailable", "required"):
                if e.preimages:
                    ev["fullDocument"] = copy.deepcopy(e.post)
                elif c.full == "required":
                    raise CmdError(47, "Change stream was configured to require a post-image for all "
                                       "update events, but the post-image was not found")
                else:
                    ev["fullDocument"] = None
        ev["ns"] = SON([("db", e.db), ("coll", e.coll)]) if e.coll is not None else SON([("db", e.db)])
        if e.op == "rename":
            ev["to"] = copy.deepcopy(e.to)
        if e.key is not None:
            ev["documentKey"] = copy.deepcopy(e.key)
        if e.op == "update":
            ev["updateDescription"] = copy.deepcopy(e.upd)
        if e.op in ("update", "replace", "delete") and c.before != "off":
            if e.preimages and e.pre is not None:
                ev["fullDocumentBeforeChange"] = copy.deepcopy(e.pre)
            elif c.before == "required":
                raise CmdError(47, "Change stream was configured to require a pre-image for all "
                                   "update, delete and replace events, but the pre-image was not found")
            else:
                ev["fullDocumentBeforeChange"] = None
        return ev

    def collect(self, c, limit):
        """Events after c.pos visible to cursor c, at most limit (caller holds the lock)."""
        st = self.server.state
        if c.pos < st.oldest_seq - 1:
            raise CmdError(286, "Resume of change stream was not possible, as the resume point "
                                "may no longer be in the oplog.")
        out = []
        start = 0
        while start < len(st.oplog) and st.oplog[start].seq <= c.pos:
            start += 1
        for e in st.oplog[start:]:
            if limit is not None and len(out) >= limit:
                break
            c.pos = e.seq
            if not self.visible(c, e):
                continue
            ev = self.event(c, e)
            if ev is not None and all(match(ev, m) for m in c.matches):
                out.append(ev)
            if ((c.coll is not None and e.op in ("drop", "rename")) or
                    (c.coll is None and not c.cluster and e.op == "dropDatabase")):
                inv = SON([("_id", token(e.seq, e.ts)), ("operationType", "invalidate"),
                           ("clusterTime", e.ts), ("wallTime", e.wall)])
                out.append(inv)
                c.dead = True
                break
        return out

    def cmd_getmore(self, db, cmd):
        st = self.server.state
        cid = int(cmd["getMore"])
        max_ms = cmd.get("maxTimeMS", 1000)
        with st.cv:
            st.stats["getMore"] += 1
            c = st.cursors.get(cid)
            if c is None:
                raise CmdError(43, "cursor id %d not found" % cid)
            limit = int(cmd.get("batchSize", 0)) or None
            deadline = time.monotonic() + max_ms / 1000.0
            batch = self.collect(c, limit)
            while not batch and not c.dead:
                left = deadline - time.monotonic()
                if left <= 0 or cid not in st.cursors:
                    break
                st.cv.wait(left)
                batch = self.collect(c, limit)
            pbrt = self.pbrt(c)
            if c.dead:
                st.cursors.pop(cid, None)
                cid = 0
        return SON([("cursor", SON([("nextBatch", batch), ("postBatchResumeToken", pbrt),
                                    ("id", Int64(cid)), ("ns", c.ns)])), ("ok", 1.0)])

    def cmd_killcursors(self, db, cmd):
        st = self.server.state
        killed, missing = [], []
        with st.cv:
            st.stats["killCursors"] += 1
            for cid in cmd.get("cursors", []):
                if st.cursors.pop(int(cid), None) is not None:
                    killed.append(Int64(cid))
                else:
                    missing.append(Int64(cid))
            st.cv.notify_all()
        return SON([("cursorsKilled", killed), ("cursorsNotFound", missing), ("cursorsAlive", []),
                    ("cursorsUnknown", []), ("ok", 1.0)])


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=27117)
    ap.add_argument("--set-name", default="rs0")
    ap.add_argument("--port-file", default=None)
    ap.add_argument("--history", type=int, default=0, help="oplog entries kept (0: unbounded)")
    ap.add_argument("--noop-ms", type=int, default=10000, help="idle no-op write period")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    srv = Server((a.host, a.port), Handler)
    srv.state = State(a.host, srv.server_address[1], a.set_name, a.verbose, a.history)

    def noop_writer():
        st = srv.state
        while True:
            time.sleep(a.noop_ms / 1000.0)  # the server's own period, not test synchronisation
            with st.cv:
                st.log("noop", "admin", None)

    if a.noop_ms > 0:
        threading.Thread(target=noop_writer, daemon=True).start()
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            f.write("%d\n" % srv.server_address[1])
        import os
        os.rename(a.port_file + ".tmp", a.port_file)
    print("mongo-fake listening on %s (replica set %s)" % (srv.state.me, a.set_name), flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
