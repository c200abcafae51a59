// YamlReader: helpers that turn yaml-cpp nodes into typed values while
// recording a Diagnostic (file:line:col) for every mistake: wrong type,
// unknown key, missing key. Used by the config, rules and catalog loaders so
// all three report errors the same way.
//
// Holds a reference to the caller's Diagnostics; not thread-safe; one reader
// per load.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/diagnostic.h"

namespace errpulse {

class YamlReader {
 public:
  YamlReader(std::string file, Diagnostics* diagnostics)
      : file_(std::move(file)), diagnostics_(diagnostics) {}

  // Parses the file; on a syntax or I/O error records it and returns nullopt.
  std::optional<YAML::Node> LoadFile();
  // Parses text held in memory (tests, embedded defaults).
  std::optional<YAML::Node> LoadString(const std::string& text);

  const std::string& file() const { return file_; }

  void Error(const YAML::Node& at, std::string message);
  // Where `node` was written, as a Diagnostic with an empty message (for
  // errors found later, e.g. when a file the node names is read).
  Diagnostic Where(const YAML::Node& node) const;
  void ErrorAtFile(std::string message);

  // Reports keys of `map` that are not in `allowed`, with a suggestion.
  void CheckKeys(const YAML::Node& map, std::initializer_list<std::string_view> allowed,
                 std::string_view what);

  bool ExpectMap(const YAML::Node& node, std::string_view what);
  bool ExpectSequence(const YAML::Node& node, std::string_view what);

  std::optional<std::string> String(const YAML::Node& node, std::string_view what);
  std::optional<int64_t> Int(const YAML::Node& node, std::string_view what);
  std::optional<bool> Bool(const YAML::Node& node, std::string_view what);
  // A scalar or a sequence of scalars, as a list of strings.
  std::optional<std::vector<std::string>> StringList(const YAML::Node& node,
                                                      std::string_view what);
  // A duration such as `500ms`, `2s`, `1m`, `1h`; returns milliseconds.
  std::optional<int64_t> DurationMs(const YAML::Node& node, std::string_view what);

  int error_count() const { return errors_; }

 private:
  std::string file_;
  Diagnostics* diagnostics_;
  int errors_ = 0;
};

}  // namespace errpulse
