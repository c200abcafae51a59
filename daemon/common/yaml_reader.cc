#include "common/yaml_reader.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

namespace errpulse {
namespace {

// Edit distance, for "did you mean" suggestions on misspelt keys.
size_t Distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::optional<YAML::Node> YamlReader::LoadFile() {
  std::ifstream in(file_, std::ios::binary);
  if (!in) {
    ErrorAtFile(std::string("cannot open: ") + std::strerror(errno));
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    ErrorAtFile(std::string("cannot read: ") + std::strerror(errno));
    return std::nullopt;
  }
  return LoadString(text.str());
}

std::optional<YAML::Node> YamlReader::LoadString(const std::string& text) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    diagnostics_->push_back({file_, e.mark.line + 1, e.mark.column + 1,
                             "YAML syntax error: " + e.msg});
    ++errors_;
    return std::nullopt;
  }
}

void YamlReader::Error(const YAML::Node& at, std::string message) {
  Diagnostic d = Where(at);
  d.message = std::move(message);
  diagnostics_->push_back(std::move(d));
  ++errors_;
}

Diagnostic YamlReader::Where(const YAML::Node& node) const {
  if (!node.IsDefined()) return {file_, 0, 0, ""};  // a key that is not there
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {file_, 0, 0, ""};
  return {file_, mark.line + 1, mark.column + 1, ""};
}

void YamlReader::ErrorAtFile(std::string message) {
  diagnostics_->push_back({file_, 0, 0, std::move(message)});
  ++errors_;
}

void YamlReader::CheckKeys(const YAML::Node& map,
                           std::initializer_list<std::string_view> allowed,
                           std::string_view what) {
  if (!map.IsMap()) return;
  for (const auto& item : map) {
    const std::string key = item.first.Scalar();
    bool known = false;
    std::string_view best;
    size_t best_distance = 3;  // suggest only close spellings
    for (std::string_view candidate : allowed) {
      if (candidate == key) known = true;
      size_t d = Distance(key, candidate);
      if (d < best_distance) best_distance = d, best = candidate;
    }
    if (known) continue;
    std::string message = "unknown key '" + key + "' in " + std::string(what);
    if (!best.empty()) message += " (did you mean '" + std::string(best) + "'?)";
    Error(item.first, std::move(message));
  }
}

bool YamlReader::ExpectMap(const YAML::Node& node, std::string_view what) {
  if (node.IsMap()) return true;
  Error(node, std::string(what) + " must be a mapping (key: value)");
  return false;
}

bool YamlReader::ExpectSequence(const YAML::Node& node, std::string_view what) {
  if (node.IsSequence()) return true;
  Error(node, std::string(what) + " must be a list");
  return false;
}

std::optional<std::string> YamlReader::String(const YAML::Node& node,
                                              std::string_view what) {
  if (!node.IsScalar()) {
    Error(node, std::string(what) + " must be a string");
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<int64_t> YamlReader::Int(const YAML::Node& node, std::string_view what) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    int64_t value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec == std::errc() && end == s.data() + s.size() && !s.empty()) return value;
  }
  Error(node, std::string(what) + " must be an integer");
  return std::nullopt;
}

std::optional<bool> YamlReader::Bool(const YAML::Node& node, std::string_view what) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    if (s == "true") return true;
    if (s == "false") return false;
  }
  Error(node, std::string(what) + " must be true or false");
  return std::nullopt;
}

std::optional<std::vector<std::string>> YamlReader::StringList(const YAML::Node& node,
                                                                std::string_view what) {
  std::vector<std::string> out;
  if (node.IsScalar()) {
    out.push_back(node.Scalar());
    return out;
  }
  if (!node.IsSequence()) {
    Error(node, std::string(what) + " must be a string or a list of strings");
    return std::nullopt;
  }
  bool ok = true;
  for (const auto& item : node) {
    if (!item.IsScalar()) {
      Error(item, std::string(what) + ": each item must be a string");
      ok = false;
      continue;
    }
    out.push_back(item.Scalar());
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<int64_t> YamlReader::DurationMs(const YAML::Node& node,
                                              std::string_view what) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    int64_t value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    std::string_view unit(end, s.data() + s.size() - end);
    if (ec == std::errc() && value >= 0) {
      if (unit == "ms") return value;
      if (unit == "s") return value * 1000;
      if (unit == "m") return value * 60 * 1000;
      if (unit == "h") return value * 3600 * 1000;
    }
  }
  Error(node, std::string(what) + " must be a duration such as 500ms, 2s, 1m or 1h");
  return std::nullopt;
}

}  // namespace errpulse
