#include "tail/line_decoder.h"

#include "tail/clog_decoder.h"
#include "tail/container_decoder.h"
#include "tail/xlog_decoder.h"

namespace errpulse {

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
