#include "count/source_counts.h"

namespace errpulse {

int RangeDomainIndex(int64_t code) {
  std::string_view domain = RangeDomain(code);
  for (size_t i = 0; i < kRangeDomains.size(); ++i)
    if (kRangeDomains[i] == domain) return static_cast<int>(i);
  return static_cast<int>(kRangeDomains.size()) - 1;
}

}  // namespace errpulse
