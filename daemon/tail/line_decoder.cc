#include "tail/line_decoder.h"

#include <algorithm>

#include "tail/clog_decoder.h"
#include "tail/container_decoder.h"
#include "tail/xlog_decoder.h"

namespace errpulse {

int64_t LineTimes::At(size_t line_offset) const {
  const LineTime* end = data + size;
  const LineTime* it = std::lower_bound(
      data, end, line_offset, [](const LineTime& t, size_t offset) { return t.offset < offset; });
  return it != end && it->offset == line_offset ? it->ms : -1;
}

std::unique_ptr<LineDecoder> MakeLineDecoder(LogFormat format, const std::string& path,
                                             size_t max_line_bytes) {
  switch (format) {
    case LogFormat::kClog:
      return MakeClogDecoder(path, max_line_bytes);
    case LogFormat::kXlog:
      return MakeXlogDecoder(path, max_line_bytes);
    case LogFormat::kCri:
      return MakeCriDecoder(path, max_line_bytes);
    case LogFormat::kDocker:
      return MakeDockerDecoder(path, max_line_bytes);
    case LogFormat::kAuto:
    case LogFormat::kPlain:
      break;
  }
  return nullptr;
}

}  // namespace errpulse
