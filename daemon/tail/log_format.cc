#include "tail/log_format.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "tail/container_decoder.h"
#include "tail/raw_inflater.h"
#include "tail/xlog_decoder.h"

namespace errpulse {
namespace {

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Whether a raw deflate stream starting at `head` inflates, without error, to
// LiteAV text: `[` followed by printable bytes. Plain text almost never
// inflates at all, and never to that.
bool InflatesToLiteAvText(std::string_view head) {
  RawInflater inflater;
  if (!inflater.ok()) return false;
  std::array<unsigned char, 512> out{};
  z_stream* z = inflater.get();
  z->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(head.data()));
  z->avail_in = static_cast<uInt>(head.size());
  z->next_out = out.data();
  z->avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(z, Z_SYNC_FLUSH);
  const size_t produced = out.size() - z->avail_out;
  if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) return false;
  if (produced < 4 || out[0] != '[') return false;
  for (size_t i = 0; i < produced; ++i) {
    const unsigned char c = out[i];
    if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') return false;
  }
  return true;
}

// Control bytes text does not have (NUL..BS, SO..US but ESC): compressed or
// binary data has them within its first bytes.
bool LooksBinary(std::string_view head) {
  const size_t n = std::min<size_t>(head.size(), 512);
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(head[i]);
    if (c < 0x09 || (c > 0x0d && c < 0x20 && c != 0x1b)) return true;
  }
  return false;
}

}  // namespace

std::optional<LogFormat> DetectFormat(std::string_view path, std::string_view head,
                                      bool file_complete) {
  // The SDKs name their files: LiteAV_C_20230313.clog, Imsdk_20200121.xlog.
  // A rotated copy keeps the name with a suffix (`.clog.1`).
  const size_t slash = path.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (EndsWith(name, ".clog") || name.find(".clog.") != std::string_view::npos)
    return LogFormat::kClog;
  if (EndsWith(name, ".xlog") || name.find(".xlog.") != std::string_view::npos)
    return LogFormat::kXlog;
  if (head.empty()) return file_complete ? std::optional(LogFormat::kPlain) : std::nullopt;
  const bool can_grow = head.size() < kDetectBytes && !file_complete;
  // Binary formats first: their first bytes are not text.
  if (LooksLikeXlog(head)) return LogFormat::kXlog;
  if (InflatesToLiteAvText(head)) return LogFormat::kClog;
  if (LooksBinary(head)) {
    // Compressed bytes whose first flush has not arrived in full yet, or
    // something else: decide once there is more (or all there will be).
    return can_grow ? std::nullopt : std::optional(LogFormat::kPlain);
  }
  const size_t newline = head.find('\n');
  if (newline == std::string_view::npos && can_grow) return std::nullopt;  // first line unfinished
  const std::string_view first = head.substr(0, std::min(newline, head.size()));
  if (LooksLikeDockerLine(first)) return LogFormat::kDocker;
  if (LooksLikeCriLine(first)) return LogFormat::kCri;
  return LogFormat::kPlain;
}

}  // namespace errpulse
