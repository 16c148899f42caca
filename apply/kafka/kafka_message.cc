#include "apply/kafka/kafka_message.h"

#include <fmt/format.h>

#include <charconv>
#include <iterator>

#include "absl/strings/escaping.h"
#include "apply/format/json_value.h"
#include "common/json_writer.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace tidemark::kafka {
namespace {

constexpr size_t kMaxTopicLength = 249;

bool TopicChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

std::string TableName(const v1::TableId& t) {
  return t.schema().empty() ? fmt::format("{}.{}", t.database(), t.table())
                            : fmt::format("{}.{}", t.schema(), t.table());
}

// Calls `fn(placeholder)` for each "{...}" and `lit(text)` for the text between.
template <typename Lit, typename Ph>
absl::Status Walk(std::string_view tmpl, Lit lit, Ph ph) {
  size_t i = 0;
  while (i < tmpl.size()) {
    const size_t open = tmpl.find('{', i);
    if (open == std::string_view::npos) {
      lit(tmpl.substr(i));
      break;
    }
    lit(tmpl.substr(i, open - i));
    const size_t close = tmpl.find('}', open);
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError(
          fmt::format("topic template '{}': unclosed '{{' at character {}", tmpl, open + 1));
    }
    TM_RETURN_IF_ERROR(ph(tmpl.substr(open + 1, close - open - 1)));
    i = close + 1;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateTopicTemplate(std::string_view tmpl) {
  return Walk(
      tmpl, [](std::string_view) {},
      [&](std::string_view ph) -> absl::Status {
        if (ph == "pipeline" || ph == "db" || ph == "schema" || ph == "table") {
          return absl::OkStatus();
        }
        return absl::InvalidArgumentError(fmt::format(
            "topic template '{}': unknown placeholder '{{{}}}' (use {{pipeline}}, {{db}}, "
            "{{schema}}, {{table}})",
            tmpl, ph));
      });
}

absl::StatusOr<std::string> ExpandTopic(std::string_view tmpl, std::string_view pipeline,
                                        const v1::TableId& table) {
  std::string out;
  TM_RETURN_IF_ERROR(Walk(
      tmpl, [&](std::string_view text) { out.append(text); },
      [&](std::string_view ph) -> absl::Status {
        if (ph == "pipeline") {
          out.append(pipeline);
        } else if (ph == "db") {
          out.append(table.database());
        } else if (ph == "schema") {
          out.append(table.schema());
        } else if (ph == "table") {
          out.append(table.table());
        } else {
          return absl::InvalidArgumentError(
              fmt::format("topic template '{}': unknown placeholder '{{{}}}'", tmpl, ph));
        }
        return absl::OkStatus();
      }));
  for (char& c : out) {
    if (!TopicChar(c)) c = '_';
  }
  if (out.empty() || out.size() > kMaxTopicLength || out == "." || out == "..") {
    return absl::InvalidArgumentError(
        fmt::format("topic template '{}' gives the invalid topic name '{}' for table {} (Kafka "
                    "topic names are 1 to 249 of a-z A-Z 0-9 . _ -)",
                    tmpl, out, TableName(table)));
  }
  return out;
}

absl::StatusOr<std::vector<int>> KeyColumnIndexes(const v1::TableSchema& schema,
                                                  const std::vector<std::string>& configured) {
  std::vector<int> out;
  auto index_of = [&](const std::string& name) -> int {
    for (int i = 0; i < schema.columns_size(); ++i) {
      if (schema.columns(i).name() == name) return i;
    }
    return -1;
  };
  if (!configured.empty()) {
    for (const auto& name : configured) {
      const int i = index_of(name);
      if (i < 0) {
        return absl::InvalidArgumentError(fmt::format(
            "key_columns: table {} has no column '{}'", TableName(schema.table()), name));
      }
      out.push_back(i);
    }
    return out;
  }
  if (schema.key_columns_size() > 0) {
    for (const auto& name : schema.key_columns()) {
      const int i = index_of(name);
      if (i < 0) {
        return absl::InvalidArgumentError(fmt::format(
            "table {}: key column '{}' is not among its columns", TableName(schema.table()), name));
      }
      out.push_back(i);
    }
    return out;
  }
  for (int i = 0; i < schema.columns_size(); ++i) {
    if (schema.columns(i).part_of_key()) out.push_back(i);
  }
  return out;
}

absl::StatusOr<std::optional<std::string>> BuildKey(const v1::ChangeEvent& ev,
                                                    const v1::TableSchema& schema,
                                                    const std::vector<int>& key_indexes,
                                                    Format format) {
  std::string out;
  TM_ASSIGN_OR_RETURN(bool has_key, AppendKey(&out, ev, schema, key_indexes, format));
  if (!has_key) return std::nullopt;
  return out;
}

absl::StatusOr<bool> AppendKey(std::string* out, const v1::ChangeEvent& ev,
                               const v1::TableSchema& schema, const std::vector<int>& key_indexes,
                               Format format) {
  if (key_indexes.empty() || ev.op() == v1::OP_TRUNCATE || ev.op() == v1::OP_DDL) {
    return false;
  }
  const bool from_before = ev.op() == v1::OP_DELETE;
  const bool has = from_before ? ev.has_before() : ev.has_after();
  const v1::Row& row = from_before ? ev.before() : ev.after();
  if (!has) {
    return absl::InvalidArgumentError(fmt::format("table {}: {} event without a {} image for its key",
                                                  TableName(ev.table()), from_before ? "delete" : "change",
                                                  from_before ? "before" : "after"));
  }
  for (int i : key_indexes) {
    if (i >= row.values_size()) {
      return absl::InvalidArgumentError(
          fmt::format("table {}: row has {} values, key column {} is #{}", TableName(ev.table()),
                      row.values_size(), schema.columns(i).name(), i + 1));
    }
    if (row.values(i).kind_case() == v1::Value::kUnchanged) {
      return absl::InvalidArgumentError(fmt::format(
          "table {}: key column {} is an unchanged TOAST value", TableName(ev.table()),
          schema.columns(i).name()));
    }
  }
  if (format == Format::kProtobuf) {
    v1::Row key_row;
    for (int i : key_indexes) *key_row.add_values() = row.values(i);
    key_row.AppendToString(out);
    return true;
  }
  out->push_back('{');
  for (size_t k = 0; k < key_indexes.size(); ++k) {
    if (k > 0) out->push_back(',');
    const int i = key_indexes[k];
    TM_RETURN_IF_ERROR(json::AppendString(out, schema.columns(i).name()));
    out->push_back(':');
    absl::Status s = json::AppendValue(out, row.values(i));
    if (!s.ok()) {
      return absl::InvalidArgumentError(fmt::format("table {} key column {}: {}", TableName(ev.table()),
                                                    schema.columns(i).name(), s.message()));
    }
  }
  out->push_back('}');
  return true;
}

std::string PositionNotation(const v1::SourcePosition& pos) {
  std::string out;
  AppendPositionNotation(&out, pos);
  return out;
}

void AppendPositionNotation(std::string* out, const v1::SourcePosition& pos) {
  switch (pos.engine_case()) {
    case v1::SourcePosition::kPg: {
      // FormatLsn's "%X/%X" without fmt or an allocation: one header per message.
      const uint64_t lsn = pos.pg().lsn() != 0 ? pos.pg().lsn() : pos.pg().commit_lsn();
      char buf[24];
      char* p = std::to_chars(buf, buf + 8, static_cast<uint32_t>(lsn >> 32), 16).ptr;
      *p++ = '/';
      p = std::to_chars(p, p + 8, static_cast<uint32_t>(lsn), 16).ptr;
      for (char* c = buf; c < p; ++c) {
        if (*c >= 'a' && *c <= 'f') *c = static_cast<char>(*c - 'a' + 'A');
      }
      out->append(buf, static_cast<size_t>(p - buf));
      return;
    }
    case v1::SourcePosition::kMysql:
      fmt::format_to(std::back_inserter(*out), "{}:{}", pos.mysql().file(), pos.mysql().pos());
      return;
    case v1::SourcePosition::kMongo:
      out->append(absl::BytesToHexString(pos.mongo().resume_token()));
      return;
    case v1::SourcePosition::ENGINE_NOT_SET:
      break;
  }
}

Headers MessageHeaders(const v1::SourcePosition& pos, uint64_t journal_offset,
                       std::string_view transaction_id) {
  return {{std::string(kPositionHeader), PositionNotation(pos)},
          {std::string(kOffsetHeader), std::to_string(journal_offset)},
          {std::string(kTxidHeader), std::string(transaction_id)}};
}

std::string TxnMarkerKey(std::string_view txid) {
  std::string out = "{\"id\":";
  json::AppendTrustedString(&out, txid);  // ids are digits, GTIDs or lsid:n: ASCII
  out.push_back('}');
  return out;
}

std::string TxnBeginValue(const v1::TxnBegin& begin) {
  std::string out = "{\"status\":\"BEGIN\",\"id\":";
  json::AppendTrustedString(&out, begin.transaction_id());
  out += fmt::format(",\"event_count\":null,\"ts_ms\":{}}}", begin.commit_time_micros() / 1000);
  return out;
}

std::string TxnEndValue(const v1::TxnCommit& commit) {
  std::string out = "{\"status\":\"END\",\"id\":";
  json::AppendTrustedString(&out, commit.transaction_id());
  out += fmt::format(",\"event_count\":{},\"ts_ms\":{}}}", commit.event_count(),
                     commit.commit_time_micros() / 1000);
  return out;
}

}  // namespace tidemark::kafka
