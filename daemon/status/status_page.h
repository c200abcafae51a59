// The status page at "/": one self-contained HTML document rendered on the
// server from a StatusSnapshot, readable with curl and with scripts off.
// Firing alerts come first, in red; then the top codes of the last 5 and 15
// minutes with their catalog name and meaning, errors by domain, the sources
// and their files (offset, size, lag, rotations, errors), and the build.
// Each alert and top code row carries a chart of its last hour per minute
// (sparkline.h): inline SVG, drawn on the server like the rest.
//
// Self-contained: inline CSS, no script, no external URL (a Content Security
// Policy in the page forbids loading anything); every string from files,
// logs or config is HTML-escaped. Refreshes itself with a meta refresh.
//
// Stateless functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "status/status_snapshot.h"

namespace errpulse {

// `snapshot` may be nullptr (the pipeline has not started yet).
// `refresh_seconds` 0 turns the automatic refresh off.
std::string RenderStatusPage(const StatusSnapshot* snapshot, const ServerInfo& server,
                             int64_t now_ms, int refresh_seconds);

}  // namespace errpulse
