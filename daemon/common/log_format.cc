#include "common/log_format.h"

#include <array>

namespace errpulse {
namespace {

constexpr std::array<std::string_view, kLogFormatCount> kNames = {"auto", "plain", "clog",
                                                                   "xlog", "cri",  "docker"};

}  // namespace

std::string_view LogFormatName(LogFormat format) { return kNames[static_cast<size_t>(format)]; }

std::string LogFormatChoices() {
  std::string choices;
  for (const auto name : kNames) choices += (choices.empty() ? "" : ", ") + std::string(name);
  return choices;
}

std::optional<LogFormat> ParseLogFormat(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == name) return static_cast<LogFormat>(i);
  return std::nullopt;
}

}  // namespace errpulse
