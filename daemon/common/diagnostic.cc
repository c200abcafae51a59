#include "common/diagnostic.h"

namespace errpulse {

std::string Diagnostic::ToString() const {
  std::string out = file;
  if (line > 0) {
    out += ':' + std::to_string(line);
    out += ':' + std::to_string(column > 0 ? column : 1);
  }
  out += ": ";
  out += message;
  return out;
}

std::string FormatDiagnostics(const Diagnostics& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics) {
    out += d.ToString();
    out += '\n';
  }
  return out;
}

}  // namespace errpulse
