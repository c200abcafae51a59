#include "status/status_snapshot.h"

#include <algorithm>

namespace errpulse {
namespace {

CodeCount Classify(const Catalog& catalog, int64_t code, uint64_t count) {
  CodeCount out;
  out.code = std::to_string(code);
  out.count = count;
  if (const CatalogEntry* e = catalog.Find(code)) {
    out.known = true;
    out.name = e->name;
    out.domain = e->domain;
    out.category = e->category;
    out.severity = e->severity;
    out.meaning = e->meaning_en;
    out.action = e->action;
  } else {
    out.domain = std::string(RangeDomain(code));
    out.category = "unknown";  // meaning stays empty: the catalog has none
  }
  return out;
}

CodeCount Folded(size_t domain, uint64_t count) {
  CodeCount out;
  out.domain = std::string(kRangeDomains[domain]);
  out.code = "other:" + out.domain;
  out.category = "unknown";
  out.meaning = "uncatalogued codes past max_unknown_codes, folded together";
  out.count = count;
  return out;
}

}  // namespace

RecentCodes TopCodes(const Catalog& catalog, const CodeTotals& delta, size_t limit) {
  // Pick the top entries before classifying, so only `limit` are built.
  std::vector<std::pair<int64_t, uint64_t>> codes = delta.by_code;
  auto more = [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  };
  const size_t kept = std::min(limit, codes.size());
  std::partial_sort(codes.begin(), codes.begin() + static_cast<long>(kept), codes.end(), more);
  RecentCodes recent;
  recent.errors = delta.Sum();
  for (size_t i = 0; i < kept; ++i)
    recent.top.push_back(Classify(catalog, codes[i].first, codes[i].second));
  for (size_t d = 0; d < delta.other.size(); ++d)
    if (delta.other[d] > 0) recent.top.push_back(Folded(d, delta.other[d]));
  std::stable_sort(recent.top.begin(), recent.top.end(),
                   [](const CodeCount& a, const CodeCount& b) { return a.count > b.count; });
  if (recent.top.size() > limit) recent.top.resize(limit);
  return recent;
}

std::map<std::string, uint64_t> ErrorsByDomain(const Catalog& catalog, const CodeTotals& totals) {
  std::map<std::string, uint64_t> domains;
  for (const auto& [code, count] : totals.by_code) {
    const CatalogEntry* e = catalog.Find(code);
    domains[e ? e->domain : std::string(RangeDomain(code))] += count;
  }
  for (size_t d = 0; d < totals.other.size(); ++d)
    if (totals.other[d] > 0) domains[std::string(kRangeDomains[d])] += totals.other[d];
  return domains;
}

}  // namespace errpulse
