// LogFormat: how the bytes of a followed file become text lines (the source
// key `format:`), named the way the config spells it.
//
//   auto    decide per file (tail/log_format.h's DetectFormat)
//   plain   text lines as written
//   clog    LiteAV/TRTC SDK .clog: raw deflate, a sync flush per line or batch,
//           one unfinished stream per process session, appended to
//   xlog    mars .xlog: blocks `magic|seq|hours|len|key|payload|0x00`
//   cri     Kubernetes CRI container log: `TIME STREAM P|F MESSAGE`
//   docker  Docker json-file: `{"log":"...","stream":"...","time":"..."}`
//
// In common/ because both the config and the file source speak it.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace errpulse {

enum class LogFormat { kAuto = 0, kPlain, kClog, kXlog, kCri, kDocker };
inline constexpr size_t kLogFormatCount = 6;

// "auto", "plain", "clog", "xlog", "cri", "docker".
std::string_view LogFormatName(LogFormat format);
std::optional<LogFormat> ParseLogFormat(std::string_view name);
// "auto, plain, clog, xlog, cri, docker": for messages about a bad name.
std::string LogFormatChoices();

}  // namespace errpulse
