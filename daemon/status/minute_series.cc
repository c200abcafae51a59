#include "status/minute_series.h"

#include <algorithm>
#include <charconv>
#include <string_view>

namespace errpulse {
namespace {

constexpr std::string_view kFolded = "other:";

template <typename T, typename V>
bool EmptyOrHas(const std::vector<T>& list, const V& value) {
  return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
}

// A pair's labels as the alert engine gives an event of it (ClassifiedEvent).
struct PairLabels {
  bool folded = false;  // "other:<domain>": no code of its own
  int64_t code = 0;
  std::string domain, category;
};

PairLabels LabelsOf(const Catalog& catalog, const std::string& code) {
  PairLabels p;
  if (code.compare(0, kFolded.size(), kFolded) == 0) {
    p.folded = true;
    p.domain = code.substr(kFolded.size());
    p.category = "unknown";
    return p;
  }
  std::from_chars(code.data(), code.data() + code.size(), p.code);
  const CatalogEntry* e = catalog.Find(p.code);
  p.domain = e ? e->domain : std::string(RangeDomain(p.code));
  p.category = e ? e->category : "unknown";
  return p;
}

// `match` as the alert engine applies it to an error: AND across keys, OR
// within one.
bool Selects(const AlertMatch& m, const std::string& source, const PairLabels& p) {
  return EmptyOrHas(m.sources, source) && EmptyOrHas(m.domains, p.domain) &&
         EmptyOrHas(m.categories, p.category) &&
         (m.codes.empty() || (!p.folded && EmptyOrHas(m.codes, p.code)));
}

}  // namespace

SeriesIndex::SeriesIndex(const std::vector<const MinuteCounts*>& window, int64_t last_minute) {
  const int64_t first = last_minute - MinuteRing::kMinutes + 1;
  for (const MinuteCounts* m : window) {
    if (m->minute < first || m->minute > last_minute) continue;
    for (const auto& c : m->counts) {
      auto& series = by_pair_[{c.source, c.code}];
      if (series.empty()) series = Zeros();
      series[static_cast<size_t>(m->minute - first)] += c.count;
    }
  }
}

std::vector<uint64_t> SeriesIndex::ForCode(const std::string& code) const {
  std::vector<uint64_t> sum = Zeros();
  for (const auto& [pair, series] : by_pair_) {
    if (pair.second != code) continue;
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += series[i];
  }
  return sum;
}

std::vector<uint64_t> SeriesIndex::ForAlert(
    const Catalog& catalog, const std::vector<const AlertMatch*>& matches,
    const std::vector<std::string>& by, const std::map<std::string, std::string>& labels) const {
  auto label_is = [&](const std::string& name, const std::string& value) {
    auto it = labels.find(name);
    return it != labels.end() && it->second == value;
  };
  std::vector<uint64_t> sum = Zeros();
  for (const auto& [pair, series] : by_pair_) {
    // Named, not a structured binding: a lambda may not capture one (C++17).
    const std::string& source = pair.first;
    const PairLabels p = LabelsOf(catalog, pair.second);
    if (std::none_of(matches.begin(), matches.end(),
                     [&](const AlertMatch* m) { return Selects(*m, source, p); }))
      continue;
    bool same = true;
    for (const auto& name : by) {
      if (name == "source") same = same && label_is(name, source);
      if (name == "code") same = same && !p.folded && label_is(name, std::to_string(p.code));
      if (name == "domain") same = same && label_is(name, p.domain);
      if (name == "category") same = same && label_is(name, p.category);
    }
    if (!same) continue;
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += series[i];
  }
  return sum;
}

}  // namespace errpulse
