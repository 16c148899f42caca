// Typed, located reading of a YAML config (the layer under cli/config_loader.h).
// Every error is kInvalidArgument and starts with "<source>:<line>:<column>: " (1-based)
// followed by the dotted key path, so the user can go straight to the spot.
// Values are never echoed for keys that can hold secrets (callers pick what to echo).
// Pure: no environment, no files. Not thread-safe; short-lived, one per load.
#ifndef TIDEMARK_CLI_CONFIG_LOADER_YAML_H_
#define TIDEMARK_CLI_CONFIG_LOADER_YAML_H_

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tidemark::config {

// "10GiB" → bytes. A whole number with an optional unit: B, KB, MB, GB, TB (powers
// of 1000), KiB, MiB, GiB, TiB (powers of 1024); a bare number is bytes. The error
// (no location) says what a size looks like.
absl::StatusOr<uint64_t> ParseSize(std::string_view text);

// "1h30m" → milliseconds. One or more whole numbers each with a unit: ms, s, m, h, d.
// A bare number is accepted only when `bare_is_ms` (keys named *_ms).
absl::StatusOr<uint64_t> ParseDurationMs(std::string_view text, bool bare_is_ms);

// A YAML map being read, with its dotted path ("" for the top level, "source",
// "sinks[0]").
class Section {
 public:
  // `text` is the YAML the nodes were parsed from (shared by all sections).
  Section(std::string source_name, std::shared_ptr<const std::string> text, YAML::Node map,
          std::string path);

  const std::string& path() const { return path_; }
  // "source.dsn" for key "dsn".
  std::string KeyPath(std::string_view key) const;
  // "in source", "at the top level".
  std::string Where() const;

  // Every key must be in `allowed`, a string, and appear once. The error names the
  // first offender, its line and column, and lists the allowed keys.
  absl::Status CheckKeys(const std::vector<std::string_view>& allowed) const;

  bool Has(std::string_view key) const;
  // The keys of this map in file order (scalar keys only; CheckKeys rejects others).
  std::vector<std::string> Keys() const;

  // Each getter: nullopt when the key is absent; a type error when present with a
  // value of the wrong shape (an empty value is an error, not "absent").
  absl::StatusOr<std::optional<std::string>> String(std::string_view key) const;
  absl::StatusOr<std::optional<bool>> Bool(std::string_view key) const;
  absl::StatusOr<std::optional<uint64_t>> Uint(std::string_view key, uint64_t max) const;
  absl::StatusOr<std::optional<uint64_t>> Size(std::string_view key) const;
  absl::StatusOr<std::optional<uint64_t>> DurationMs(std::string_view key, bool bare_is_ms) const;
  absl::StatusOr<std::optional<std::vector<std::string>>> StringList(std::string_view key) const;
  // A nested map (an empty value counts as an empty map).
  absl::StatusOr<std::optional<Section>> Map(std::string_view key) const;
  // The elements of a list of maps, as "key[i]" sections; the error names the element.
  absl::StatusOr<std::optional<std::vector<Section>>> MapList(std::string_view key) const;

  // "<src>:<l>:<c>: <path of key>: <message>" located at the key's value (or at
  // this section when the key is absent).
  absl::Status ErrorAt(std::string_view key, std::string_view message) const;
  // Located at the list element `index` of `key`.
  absl::Status ErrorAtElement(std::string_view key, size_t index, std::string_view message) const;
  // "<src>:<l>:<c>: missing required key '<key>' in <section>".
  absl::Status Missing(std::string_view key) const;
  // The 1-based line of `key`'s value (0 when absent).
  int LineOf(std::string_view key) const;
  // "a", "b" or "c": `value` must be one of `allowed`, else an error listing them.
  absl::Status CheckOneOf(std::string_view key, std::string_view value,
                          const std::vector<std::string_view>& allowed) const;

 private:
  YAML::Node Value(std::string_view key) const;
  // Where errors about `key` point: its value, or the key itself when the value is
  // empty (yaml-cpp places an empty value on the next line), or this section.
  YAML::Mark MarkOf(std::string_view key) const;
  // yaml-cpp turns the plain scalars null/Null/NULL/~ into null nodes; the text
  // tells them apart from an empty value (so `type: null` names the null sink).
  std::optional<std::string> NullSpelling(const YAML::Node& v) const;
  absl::Status Located(const YAML::Mark& mark, std::string_view message) const;
  absl::Status TypeError(std::string_view key, const YAML::Node& v, std::string_view want) const;

  std::string source_;
  std::shared_ptr<const std::string> text_;
  YAML::Node map_;
  std::string path_;
};

// "<src>:<l>:<c>: " for a mark (1-based), "<src>: " when the mark is unknown.
std::string LocationPrefix(std::string_view source_name, const YAML::Mark& mark);

// What a node is, for type errors: "a map", "a list", "an empty value", "'ten'".
std::string Describe(const YAML::Node& node);

}  // namespace tidemark::config

#endif  // TIDEMARK_CLI_CONFIG_LOADER_YAML_H_
