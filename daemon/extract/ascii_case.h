// ASCII case: the folding the extract/ scanners do themselves (RE2's own
// (?i) folding is wider: see required_literal.h for where that matters).
// Pure inline functions; thread-safe.
#pragma once

#include <string>

namespace errpulse {

inline bool IsAsciiLetter(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
inline unsigned char AsciiLower(unsigned char c) { return IsAsciiLetter(c) ? (c | 0x20) : c; }
inline std::string AsciiLowered(std::string text) {
  for (char& c : text) c = static_cast<char>(AsciiLower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace errpulse
