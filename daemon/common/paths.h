// Path helpers shared by the config loader, the tailer and its recovery code.
//
// Stateless functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace errpulse {

bool HasGlobChars(const std::string& s);
// "/a/b/c.log" -> "/a/b"; "c.log" -> "."; "/c.log" -> "/".
std::string DirName(const std::string& path);
// The same as a view into `path` (no allocation: for per-round checks).
std::string_view DirNameView(std::string_view path);
// A glob's matches (sorted); a plain path is returned as it is, existing or not.
std::vector<std::string> ExpandPattern(const std::string& pattern);

}  // namespace errpulse
