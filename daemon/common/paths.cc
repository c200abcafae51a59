#include "common/paths.h"

#include <glob.h>

namespace errpulse {

bool HasGlobChars(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

std::string DirName(const std::string& path) { return std::string(DirNameView(path)); }

std::string_view DirNameView(std::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::vector<std::string> ExpandPattern(const std::string& pattern) {
  if (!HasGlobChars(pattern)) return {pattern};
  std::vector<std::string> out;
  glob_t matches{};
  if (::glob(pattern.c_str(), 0, nullptr, &matches) == 0) {
    for (size_t i = 0; i < matches.gl_pathc; ++i) out.emplace_back(matches.gl_pathv[i]);
  }
  ::globfree(&matches);
  return out;
}

}  // namespace errpulse
