#include "config/config.h"

#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>
#include <fstream>
#include <set>

#include "build_info.h"
#include "common/paths.h"
#include "common/yaml_reader.h"

namespace errpulse {
namespace {

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return base_dir + "/" + path;
}

Diagnostic At(const YamlReader& reader, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {reader.file(), 0, 0, ""};
  return {reader.file(), mark.line + 1, mark.column + 1, ""};
}

bool ParseListen(const std::string& value, std::string* host, uint16_t* port) {
  size_t colon = value.rfind(':');
  if (colon == std::string::npos || colon + 1 >= value.size()) return false;
  std::string h = value.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h.empty()) return false;
  char* end = nullptr;
  long p = std::strtol(value.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || p < 0 || p > 65535) return false;
  *host = h;
  *port = static_cast<uint16_t>(p);
  return true;
}

// `catalog:` or `rules:`: a list of files/globs, resolved and expanded.
void ReadFileList(YamlReader& reader, const YAML::Node& node, const char* key,
                  const std::string& base_dir, std::vector<std::string>* out,
                  Diagnostics* diagnostics) {
  auto list = reader.StringList(node, key);
  if (!list) return;
  out->clear();
  size_t i = 0;
  for (const auto& item : *list) {
    const YAML::Node at = node.IsSequence() ? node[i] : node;
    ++i;
    ExpandFiles(Resolve(base_dir, item), At(reader, at), out, diagnostics);
  }
}

// `journal:` of a source: a map (possibly empty: `journal: {}` reads the whole
// system journal).
JournalSelection ReadJournalSelection(YamlReader& reader, const YAML::Node& node,
                                      const std::string& base_dir, const std::string& source) {
  JournalSelection selection;
  if (node.IsNull()) return selection;  // `journal:` alone
  if (!reader.ExpectMap(node, "journal")) return selection;
  reader.CheckKeys(node, {"units", "identifiers", "directory"}, "journal");
  for (auto [key, out] : {std::pair{"units", &selection.units},
                          std::pair{"identifiers", &selection.identifiers}}) {
    auto n = node[key];
    if (!n) continue;
    auto v = reader.StringList(n, key);
    if (!v) continue;
    for (const auto& name : *v) {
      if (name.empty() || name.find('=') != std::string::npos ||
          name.find_first_of("*?[") != std::string::npos)
        reader.Error(n, std::string("journal ") + key + " of source '" + source +
                            "': '" + name + "' is not an exact name (no globs, no '=')");
      else
        out->push_back(name);
    }
    if (v->empty())
      reader.Error(n, std::string("journal ") + key + " of source '" + source +
                          "' is empty: leave it out to take every entry");
  }
  if (auto n = node["directory"]) {
    if (auto v = reader.String(n, "directory")) {
      if (v->empty()) reader.Error(n, "journal directory of source '" + source + "' is empty");
      else selection.directory = Resolve(base_dir, *v);
    }
  }
  return selection;
}

void ReadSource(YamlReader& reader, const YAML::Node& item, const std::string& base_dir,
                Config* config) {
  if (!reader.ExpectMap(item, "source")) return;
  reader.CheckKeys(item,
                   {"name", "paths", "journal", "start_at", "rules", "format", "kubernetes_labels"},
                   "source");
  SourceConfig source;
  if (auto n = item["name"]) {
    if (auto v = reader.String(n, "name")) {
      source.name = *v;
      if (v->empty()) reader.Error(n, "source name must not be empty");
      for (const auto& other : config->sources)
        if (other.name == *v) reader.Error(n, "source '" + *v + "' is defined twice");
    }
  } else {
    reader.Error(item, "source is missing 'name'");
  }
  if (auto n = item["paths"]) {
    if (auto v = reader.StringList(n, "paths")) {
      for (const auto& p : *v) source.paths.push_back(Resolve(base_dir, p));
      if (v->empty()) reader.Error(n, "source '" + source.name + "' has no paths");
    }
    if (item["journal"])
      reader.Error(n, "source '" + source.name + "' has both 'paths' and 'journal': a source "
                      "reads files or the journal; make two sources");
  } else if (auto j = item["journal"]) {
    source.journal = ReadJournalSelection(reader, j, base_dir, source.name);
    for (const char* key : {"format", "kubernetes_labels"})
      if (auto k = item[key])
        reader.Error(k, std::string("'") + key + "' is for file sources; journal source '" +
                            source.name + "' takes each entry's MESSAGE as one line");
  } else {
    reader.Error(item, "source '" + source.name + "' is missing 'paths' (files) or 'journal'");
  }
  if (auto n = item["start_at"]) {
    if (auto v = reader.String(n, "start_at")) {
      if (*v == "end") {
        source.start_at_end = true;
      } else if (*v == "beginning") {
        source.start_at_end = false;
      } else {
        reader.Error(n, "start_at must be 'end' or 'beginning', not '" + *v + "'");
      }
    }
  }
  if (auto n = item["format"]) {
    if (auto v = reader.String(n, "format")) {
      if (auto format = ParseLogFormat(*v)) {
        source.format = *format;
      } else {
        reader.Error(n, "format must be one of " + LogFormatChoices() + ", not '" + *v + "'");
      }
    }
  }
  if (auto n = item["kubernetes_labels"]) {
    if (auto v = reader.Bool(n, "kubernetes_labels")) source.kubernetes_labels = *v;
  }
  if (auto n = item["rules"]) {
    if (auto v = reader.StringList(n, "rules")) {
      source.rules = *v;
      for (size_t i = 0; i < v->size(); ++i)
        source.rule_positions.push_back(At(reader, n.IsSequence() ? n[i] : n));
    }
  }
  config->sources.push_back(std::move(source));
}

void ReadPositive(YamlReader& reader, const YAML::Node& root, const char* key, int64_t* out);
void ReadCap(YamlReader& reader, const YAML::Node& root, const char* key, int* out);
void ReadDurationAtLeast(YamlReader& reader, const YAML::Node& root, const char* key,
                         int64_t min_ms, int64_t* out_ms);

// A webhook; its URL (which may carry a robot key) from `url`, `url_file` or
// `url_env`, so the config file itself need not hold the secret.
void ReadWebhook(YamlReader& reader, const YAML::Node& item, AlertingConfig* out) {
  if (!reader.ExpectMap(item, "webhook")) return;
  reader.CheckKeys(item,
                   {"name", "url", "url_file", "url_env", "format", "ca_file", "group_by",
                    "group_wait", "group_interval", "repeat_interval", "max_per_minute",
                    "max_per_second"},
                   "webhook");
  WebhookConfig hook;
  if (auto n = item["name"]) {
    if (auto v = reader.String(n, "name")) hook.name = *v;
  } else {
    reader.Error(item, "webhook is missing 'name'");
  }
  int sources = 0;
  if (auto n = item["url"]) {
    ++sources;
    if (auto v = reader.String(n, "url")) hook.url = *v;
  }
  if (auto n = item["url_file"]) {
    ++sources;
    if (auto v = reader.String(n, "url_file")) {
      std::ifstream in(*v);
      std::getline(in, hook.url);
      if (!in) reader.Error(n, "cannot read the webhook URL from '" + *v + "'");
    }
  }
  if (auto n = item["url_env"]) {
    ++sources;
    if (auto v = reader.String(n, "url_env")) {
      const char* value = std::getenv(v->c_str());
      if (!value || !*value) {
        reader.Error(n, "environment variable '" + *v + "' (the webhook URL) is not set");
      } else {
        hook.url = value;
      }
    }
  }
  while (!hook.url.empty() && std::isspace(static_cast<unsigned char>(hook.url.back())))
    hook.url.pop_back();
  if (sources != 1) {
    reader.Error(item, "webhook '" + hook.name + "' needs exactly one of url, url_file, url_env");
  } else if (!hook.url.empty() && hook.url.rfind("http://", 0) != 0 &&
             hook.url.rfind("https://", 0) != 0) {
    // Say where, not what: the URL may hold a key.
    reader.Error(item, "webhook '" + hook.name + "': the URL must start with http:// or https://");
  }
  if (auto n = item["format"]) {
    if (auto v = reader.String(n, "format")) {
      hook.format = *v;
      if (*v != "alertmanager" && *v != "wecom" && *v != "dingtalk" && *v != "feishu" &&
          *v != "slack")
        reader.Error(n, "format must be one of alertmanager, wecom, dingtalk, feishu, slack");
    }
  }
  if (auto n = item["ca_file"]) {
    if (auto v = reader.String(n, "ca_file")) hook.ca_file = *v;
  }
  if (auto n = item["group_by"]) {
    if (auto v = reader.StringList(n, "group_by")) hook.group_by = *v;
  }
  ReadDurationAtLeast(reader, item, "group_wait", 0, &hook.group_wait_ms);
  ReadDurationAtLeast(reader, item, "group_interval", 1000, &hook.group_interval_ms);
  ReadDurationAtLeast(reader, item, "repeat_interval", 60'000, &hook.repeat_interval_ms);
  for (auto [key, out_value] : {std::pair{"max_per_minute", &hook.max_per_minute},
                                std::pair{"max_per_second", &hook.max_per_second}}) {
    if (auto n = item[key]) {
      if (auto v = reader.Int(n, key)) {
        if (*v < 0) reader.Error(n, std::string(key) + " must be 0 (no limit) or more");
        else *out_value = *v;
      }
    }
  }
  out->webhooks.push_back(std::move(hook));
}

void ReadAlerting(YamlReader& reader, const YAML::Node& node, AlertingConfig* out) {
  if (!reader.ExpectMap(node, "alerting")) return;
  reader.CheckKeys(node,
                   {"alertmanagers", "webhooks", "resend_interval", "evaluation_interval",
                    "timeout", "queue_size", "host"},
                   "alerting");
  if (auto n = node["alertmanagers"]) {
    if (auto v = reader.StringList(n, "alertmanagers")) {
      for (size_t i = 0; i < v->size(); ++i) {
        if ((*v)[i].rfind("http://", 0) != 0 && (*v)[i].rfind("https://", 0) != 0)
          reader.Error(n.IsSequence() ? n[i] : n,
                       "alertmanager URL must start with http:// or https://");
      }
      out->alertmanagers = *v;
    }
  }
  ReadDurationAtLeast(reader, node, "resend_interval", 1000, &out->resend_interval_ms);
  ReadDurationAtLeast(reader, node, "evaluation_interval", 100, &out->evaluation_interval_ms);
  ReadDurationAtLeast(reader, node, "timeout", 100, &out->timeout_ms);
  ReadPositive(reader, node, "queue_size", &out->queue_size);
  if (auto n = node["webhooks"]) {
    if (reader.ExpectSequence(n, "webhooks"))
      for (const auto& item : n) ReadWebhook(reader, item, out);
  }
  if (auto n = node["host"])
    if (auto v = reader.String(n, "host")) out->host = *v;
}

// A cap on series (distinct unknown codes, containers): 0 to 100000.
void ReadCap(YamlReader& reader, const YAML::Node& root, const char* key, int* out) {
  if (auto n = root[key]) {
    if (auto v = reader.Int(n, key)) {
      if (*v < 0 || *v > 100000) {
        reader.Error(n, std::string(key) + " must be between 0 and 100000");
      } else {
        *out = static_cast<int>(*v);
      }
    }
  }
}

void ReadPositive(YamlReader& reader, const YAML::Node& root, const char* key,
                  int64_t* out) {
  if (auto n = root[key]) {
    if (auto v = reader.Int(n, key)) {
      if (*v <= 0) {
        reader.Error(n, std::string(key) + " must be positive");
      } else {
        *out = *v;
      }
    }
  }
}

void ReadDurationAtLeast(YamlReader& reader, const YAML::Node& root, const char* key,
                         int64_t min_ms, int64_t* out_ms) {
  if (auto n = root[key]) {
    if (auto v = reader.DurationMs(n, key)) {
      if (*v < min_ms) {
        reader.Error(n, std::string(key) + " must be at least " + std::to_string(min_ms) + "ms");
      } else {
        *out_ms = *v;
      }
    }
  }
}

void ReadRoot(YamlReader& reader, const YAML::Node& root, const std::string& base_dir,
              Config* config, Diagnostics* diagnostics) {
  if (root.IsNull()) return;  // an empty file is the defaults
  if (!reader.ExpectMap(root, "config")) return;
  reader.CheckKeys(root,
                   {"listen", "state_dir", "catalog", "rules", "sources",
                    "max_unknown_codes", "poll_interval", "rescan_interval", "max_line_bytes",
                    "read_chunk_bytes", "log_level", "commit_interval", "sync_interval", "on_corrupt_state",
                    "max_open_files", "scan_threads", "alerts", "alerting", "max_containers"},
                   "config");
  if (auto n = root["listen"]) {
    if (auto v = reader.String(n, "listen")) {
      if (!ParseListen(*v, &config->listen_host, &config->listen_port))
        reader.Error(n, "listen must be HOST:PORT (e.g. 127.0.0.1:9464), not '" + *v + "'");
    }
  }
  if (auto n = root["state_dir"]) {
    if (auto v = reader.String(n, "state_dir")) config->state_dir = Resolve(base_dir, *v);
  }
  if (auto n = root["catalog"])
    ReadFileList(reader, n, "catalog", base_dir, &config->catalog_files, diagnostics);
  if (auto n = root["rules"])
    ReadFileList(reader, n, "rules", base_dir, &config->rule_files, diagnostics);
  ReadCap(reader, root, "max_unknown_codes", &config->max_unknown_codes);
  ReadCap(reader, root, "max_containers", &config->max_containers);
  ReadDurationAtLeast(reader, root, "poll_interval", 100, &config->poll_interval_ms);
  ReadDurationAtLeast(reader, root, "rescan_interval", 100, &config->rescan_interval_ms);
  if (auto n = root["commit_interval"]) {
    if (auto v = reader.DurationMs(n, "commit_interval")) {
      if (*v < 1 || *v > 1000) {
        reader.Error(n, "commit_interval must be between 1ms and 1s");
      } else {
        config->commit_interval_ms = *v;
      }
    }
  }
  if (auto n = root["sync_interval"]) {
    if (auto v = reader.DurationMs(n, "sync_interval")) {
      if (*v < 0 || *v > 3'600'000) {
        reader.Error(n, "sync_interval must be between 0s (every commit) and 1h");
      } else {
        config->sync_interval_ms = *v;
      }
    }
  }
  if (auto n = root["on_corrupt_state"]) {
    if (auto v = reader.String(n, "on_corrupt_state")) {
      if (*v == "end" || *v == "beginning") {
        config->corrupt_state_from_end = *v == "end";
      } else {
        reader.Error(n, "on_corrupt_state must be 'end' or 'beginning', not '" + *v + "'");
      }
    }
  }
  ReadPositive(reader, root, "max_line_bytes", &config->max_line_bytes);
  ReadPositive(reader, root, "read_chunk_bytes", &config->read_chunk_bytes);
  ReadPositive(reader, root, "max_open_files", &config->max_open_files);
  ReadPositive(reader, root, "scan_threads", &config->scan_threads);
  if (config->scan_threads > 2) {
    reader.Error(root["scan_threads"], "scan_threads must be 1 or 2 (a chunk is matched in at "
                                       "most two halves)");
    config->scan_threads = 2;
  }
  if (auto n = root["log_level"]) {
    if (auto v = reader.String(n, "log_level")) {
      static const std::set<std::string> kLevels = {"trace", "debug", "info",
                                                    "warn",  "error", "critical"};
      if (kLevels.count(*v) == 0) {
        reader.Error(n, "log_level must be one of trace, debug, info, warn, error, critical");
      } else {
        config->log_level = *v;
      }
    }
  }
  if (auto n = root["sources"]) {
    if (reader.ExpectSequence(n, "sources"))
      for (const auto& item : n) ReadSource(reader, item, base_dir, config);
  }
  if (auto n = root["alerts"]) {
    std::map<std::string, std::string> names;
    ReadAlertRules(reader, n, &config->alerts, &names);
  }
  if (auto n = root["alerting"]) ReadAlerting(reader, n, &config->alerting);
}

}  // namespace

std::string ShippedDataDir() {
  char exe[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) {
    exe[n] = '\0';
    const std::string binary_dir = std::string(build::kBinaryDir) + "/";
    struct stat st;
    const std::string in_tree = std::string(build::kSourceDir) + "/data/catalog.yaml";
    if (std::string(exe).rfind(binary_dir, 0) == 0 && ::stat(in_tree.c_str(), &st) == 0)
      return build::kSourceDir;
  }
  if (const char* env = std::getenv("ERRPULSE_SHARE_DIR"); env && *env) return env;
  return build::kShareDir;
}

bool ExpandFiles(const std::string& pattern, const Diagnostic& where,
                 std::vector<std::string>* out, Diagnostics* diagnostics) {
  auto report = [&](std::string message) {
    Diagnostic d = where;
    d.message = std::move(message);
    diagnostics->push_back(std::move(d));
    return false;
  };
  if (!HasGlobChars(pattern)) {
    struct stat st;
    if (::stat(pattern.c_str(), &st) != 0)
      return report("'" + pattern + "': " + std::strerror(errno));
    out->push_back(pattern);
    return true;
  }
  glob_t matches{};
  int rc = ::glob(pattern.c_str(), 0, nullptr, &matches);
  if (rc != 0) {
    ::globfree(&matches);
    return report("'" + pattern + "' matches no file");
  }
  for (size_t i = 0; i < matches.gl_pathc; ++i) out->push_back(matches.gl_pathv[i]);
  ::globfree(&matches);
  return true;
}

Config DefaultConfig() {
  Config config;
  const std::string dir = ShippedDataDir();
  Diagnostics ignored;  // a missing shipped file is reported when it is loaded
  config.catalog_files = {dir + "/data/catalog.yaml"};
  if (!ExpandFiles(dir + "/rules/*.yaml", {}, &config.rule_files, &ignored))
    config.rule_files = {dir + "/rules/codes.yaml"};
  return config;
}

std::optional<Config> ParseConfig(const std::string& text, const std::string& name,
                                  const std::string& base_dir, Diagnostics* diagnostics) {
  const size_t errors_before = diagnostics->size();
  YamlReader reader(name, diagnostics);
  auto root = reader.LoadString(text);
  if (!root) return std::nullopt;
  Config config = DefaultConfig();
  config.file = name;
  ReadRoot(reader, *root, base_dir, &config, diagnostics);
  if (diagnostics->size() != errors_before) return std::nullopt;
  return config;
}

std::optional<Config> LoadConfig(const std::string& path, Diagnostics* diagnostics) {
  YamlReader reader(path, diagnostics);
  const size_t errors_before = diagnostics->size();
  auto root = reader.LoadFile();
  if (!root) return std::nullopt;
  Config config = DefaultConfig();
  config.file = path;
  ReadRoot(reader, *root, DirName(path), &config, diagnostics);
  if (diagnostics->size() != errors_before) return std::nullopt;
  return config;
}

}  // namespace errpulse
