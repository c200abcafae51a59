// Diagnostic: one user-facing error or warning about an input file (config,
// rules, catalog), with the position it refers to. Printed as
// `FILE:LINE:COL: message`, the format editors and CI annotate.
//
// Value type; no shared state; thread-compatible.
#pragma once

#include <string>
#include <vector>

namespace errpulse {

struct Diagnostic {
  std::string file;
  int line = 0;    // 1-based; 0 when the message is about the whole file
  int column = 0;  // 1-based; 0 when unknown
  std::string message;

  std::string ToString() const;
};

// Loaders append to a Diagnostics list and keep going where they can, so one
// `errpulsed check` run reports every mistake, not only the first.
using Diagnostics = std::vector<Diagnostic>;

std::string FormatDiagnostics(const Diagnostics& diagnostics);

}  // namespace errpulse
