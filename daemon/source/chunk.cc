#include "source/chunk.h"

#include <algorithm>

namespace errpulse {

int64_t LineTimes::At(size_t line_offset) const {
  const LineTime* end = data + size;
  const LineTime* it = std::lower_bound(
      data, end, line_offset, [](const LineTime& t, size_t offset) { return t.offset < offset; });
  return it != end && it->offset == line_offset ? it->ms : -1;
}

}  // namespace errpulse
