// /api/v1/status: the status page's data as JSON, for scripts and for
// whoever prefers jq to a browser. Same snapshot, same numbers, every file
// listed (the page caps the list).
//
// Stateless function; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "status/status_snapshot.h"

namespace errpulse {

// `snapshot` may be nullptr (not started yet): then data.ready is false and
// only build, listen and uptime are given.
std::string StatusJson(const StatusSnapshot* snapshot, const ServerInfo& server, int64_t now_ms);

}  // namespace errpulse
