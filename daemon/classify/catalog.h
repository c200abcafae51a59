// Catalog: the error-code catalog (data/catalog.yaml and any site additions),
// loaded once and then immutable. Classifies a code into name, domain,
// category and severity; codes it does not list are classified by range.
//
// Ownership: a Catalog owns its entries; Classify() returns pointers into it
// that stay valid for the Catalog's lifetime. Shared as
// std::shared_ptr<const Catalog>; all const methods are thread-safe.
//
// Lookup costs one binary search over a sorted vector: no allocation.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/diagnostic.h"

namespace errpulse {

struct CatalogEntry {
  int64_t code = 0;
  std::string code_text;  // decimal, as used in the `code` label
  std::string name;       // official symbolic name
  std::vector<std::string> aliases;
  std::string domain;
  std::string category;
  std::string severity;
  bool retryable = false;
  std::string origin;  // document | legacy | newer | site
  std::string meaning_en;
  std::string meaning_zh;
  std::string action;
  std::string defined_in;  // file:line, for `explain`
};

// The fixed vocabularies. Entries outside them are rejected at load.
const std::vector<std::string_view>& KnownDomains();
const std::vector<std::string_view>& KnownCategories();
const std::vector<std::string_view>& KnownSeverities();

// Domain of a code the catalog does not list, by its range: negative codes
// are client codes, 60000-79999 REST common, 100000-199999 server.
std::string_view RangeDomain(int64_t code);

class Catalog {
 public:
  // `entries` must be sorted by code with no duplicates (the loaders ensure it).
  explicit Catalog(std::vector<CatalogEntry> entries) : entries_(std::move(entries)) {}

  // Loads and merges catalog files in order; a code defined in a later file
  // replaces the earlier definition (site overrides). Returns nullptr and
  // appends diagnostics if any file is invalid.
  static std::shared_ptr<const Catalog> Load(const std::vector<std::string>& files,
                                             Diagnostics* diagnostics);
  // Parses one catalog held in memory (tests).
  static std::shared_ptr<const Catalog> FromString(const std::string& yaml,
                                                   const std::string& name,
                                                   Diagnostics* diagnostics);

  // The entry for `code`, or nullptr when the catalog does not list it.
  const CatalogEntry* Find(int64_t code) const;
  // Index of the entry in entries(), or -1. Dense, for per-code counter arrays.
  int IndexOf(int64_t code) const;

  const std::vector<CatalogEntry>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }

 private:
  std::vector<CatalogEntry> entries_;  // sorted by code
};

}  // namespace errpulse
