// Match: what the extractor found in one log line: the rule that matched, the
// error code (0 = success) and optional captured fields. Crosses the
// extract -> classify/count boundary.
//
// All views point into the caller's read buffer and are valid only during the
// callback that receives the Match: nothing is copied per line.
#pragma once

#include <cstdint>
#include <string_view>

namespace errpulse {

struct Match {
  int rule = -1;             // index into RuleSet::rules()
  int64_t code = 0;          // 0 means the line reports success
  std::string_view line;     // the whole line, without its newline
  std::string_view ts;       // the `ts` group when the rule has one, else empty
  size_t line_offset = 0;    // byte offset of the line within the scanned chunk
};

}  // namespace errpulse
