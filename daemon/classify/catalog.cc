#include "classify/catalog.h"

#include <algorithm>
#include <map>

#include "common/yaml_reader.h"

namespace errpulse {

const std::vector<std::string_view>& KnownDomains() {
  static const std::vector<std::string_view> kDomains = {
      "client_general",    "client_device",     "client_room",    "client_user",
      "client_seat",       "client_preload",    "rest_common",    "server_room",
      "server_signalling", "server_seat",       "server_connection",
      "server_battle",     "server_metadata",   "server_gift"};
  return kDomains;
}

const std::vector<std::string_view>& KnownCategories() {
  static const std::vector<std::string_view> kCategories = {
      "rate_limit", "auth",     "permission", "billing", "invalid_request",
      "not_found",  "conflict", "state",      "capacity", "device",
      "internal",   "timeout",  "network",    "unsupported"};
  return kCategories;
}

const std::vector<std::string_view>& KnownSeverities() {
  static const std::vector<std::string_view> kSeverities = {"critical", "error",
                                                            "warning", "info"};
  return kSeverities;
}

std::string_view RangeDomain(int64_t code) {
  if (code < 0) return "client";
  if (code >= 60000 && code <= 79999) return "rest_common";
  if (code >= 100000 && code <= 199999) return "server";
  return "unknown";
}

namespace {

bool OneOf(const std::vector<std::string_view>& set, const std::string& value) {
  return std::find(set.begin(), set.end(), value) != set.end();
}

std::string Join(const std::vector<std::string_view>& set) {
  std::string out;
  for (auto v : set) out += (out.empty() ? "" : ", ") + std::string(v);
  return out;
}

// Reads one `codes:` item into `entry`; returns false on any error.
bool ReadEntry(YamlReader& reader, const YAML::Node& item, CatalogEntry* entry) {
  if (!reader.ExpectMap(item, "catalog entry")) return false;
  const int errors_before = reader.error_count();
  reader.CheckKeys(item,
                   {"code", "name", "aliases", "domain", "category", "severity",
                    "retryable", "origin", "meaning_en", "meaning_zh", "action"},
                   "catalog entry");
  auto required = [&](const char* key) -> YAML::Node {
    YAML::Node node = item[key];
    if (!node) reader.Error(item, std::string("catalog entry is missing '") + key + "'");
    return node;
  };
  if (auto n = required("code")) {
    if (auto v = reader.Int(n, "code")) {
      entry->code = *v;
      if (*v == 0) reader.Error(n, "code 0 is success and cannot be a catalog entry");
    }
  }
  entry->code_text = std::to_string(entry->code);
  auto text = [&](const char* key, std::string* out) {
    if (auto n = required(key)) {
      if (auto v = reader.String(n, key)) *out = *v;
    }
  };
  text("name", &entry->name);
  text("meaning_en", &entry->meaning_en);
  text("meaning_zh", &entry->meaning_zh);
  text("action", &entry->action);
  auto vocabulary = [&](const char* key, std::string* out,
                        const std::vector<std::string_view>& allowed) {
    if (auto n = required(key)) {
      if (auto v = reader.String(n, key)) {
        *out = *v;
        if (!OneOf(allowed, *v))
          reader.Error(n, std::string(key) + " '" + *v + "' is not one of: " + Join(allowed));
      }
    }
  };
  vocabulary("domain", &entry->domain, KnownDomains());
  vocabulary("category", &entry->category, KnownCategories());
  vocabulary("severity", &entry->severity, KnownSeverities());
  if (auto n = required("retryable")) {
    if (auto v = reader.Bool(n, "retryable")) entry->retryable = *v;
  }
  entry->origin = "site";
  if (auto n = item["origin"]) {
    if (auto v = reader.String(n, "origin")) entry->origin = *v;
  }
  if (auto n = item["aliases"]) {
    if (auto v = reader.StringList(n, "aliases")) entry->aliases = *v;
  }
  const YAML::Mark mark = item.Mark();
  entry->defined_in = reader.file() + ":" + std::to_string(mark.line + 1);
  return reader.error_count() == errors_before;
}

// Parses one catalog document into `by_code`, replacing earlier definitions.
bool ReadCatalog(YamlReader& reader, const YAML::Node& root,
                 std::map<int64_t, CatalogEntry>* by_code) {
  if (!reader.ExpectMap(root, "catalog file")) return false;
  const int errors_before = reader.error_count();
  reader.CheckKeys(root, {"version", "codes"}, "catalog file");
  YAML::Node codes = root["codes"];
  if (!codes) {
    reader.Error(root, "catalog file has no 'codes' list");
    return false;
  }
  if (!reader.ExpectSequence(codes, "codes")) return false;
  std::map<int64_t, int> seen_in_file;  // code -> line, to report duplicates
  for (const auto& item : codes) {
    CatalogEntry entry;
    if (!ReadEntry(reader, item, &entry)) continue;
    auto [it, inserted] = seen_in_file.emplace(entry.code, item.Mark().line + 1);
    if (!inserted) {
      reader.Error(item, "code " + entry.code_text + " is already defined at line " +
                             std::to_string(it->second));
      continue;
    }
    (*by_code)[entry.code] = std::move(entry);
  }
  return reader.error_count() == errors_before;
}

std::shared_ptr<const Catalog> MakeCatalog(std::map<int64_t, CatalogEntry> by_code) {
  std::vector<CatalogEntry> entries;
  entries.reserve(by_code.size());
  for (auto& [code, entry] : by_code) entries.push_back(std::move(entry));
  return std::make_shared<const Catalog>(std::move(entries));
}

}  // namespace

std::shared_ptr<const Catalog> Catalog::Load(const std::vector<std::string>& files,
                                             Diagnostics* diagnostics) {
  std::map<int64_t, CatalogEntry> by_code;
  bool ok = true;
  for (const auto& file : files) {
    YamlReader reader(file, diagnostics);
    auto root = reader.LoadFile();
    if (!root || !ReadCatalog(reader, *root, &by_code)) ok = false;
  }
  if (!ok) return nullptr;
  return MakeCatalog(std::move(by_code));
}

std::shared_ptr<const Catalog> Catalog::FromString(const std::string& yaml,
                                                   const std::string& name,
                                                   Diagnostics* diagnostics) {
  std::map<int64_t, CatalogEntry> by_code;
  YamlReader reader(name, diagnostics);
  auto root = reader.LoadString(yaml);
  if (!root || !ReadCatalog(reader, *root, &by_code)) return nullptr;
  return MakeCatalog(std::move(by_code));
}

int Catalog::IndexOf(int64_t code) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), code,
                             [](const CatalogEntry& e, int64_t c) { return e.code < c; });
  if (it == entries_.end() || it->code != code) return -1;
  return static_cast<int>(it - entries_.begin());
}

const CatalogEntry* Catalog::Find(int64_t code) const {
  int index = IndexOf(code);
  return index < 0 ? nullptr : &entries_[index];
}

}  // namespace errpulse
