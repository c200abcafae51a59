// Small shared helpers for the subcommands: option parsing and loading the
// config (or the defaults) with diagnostics printed to stderr.
//
// Stateless; used on the main thread only.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "engine/setup.h"
#include "http/web_config.h"

namespace errpulse {

// Removes `--name VALUE` or `--name=VALUE` from args; returns the value.
std::optional<std::string> TakeOption(Args* args, const std::string& name);
// Removes a boolean `--name` flag; returns whether it was present.
bool TakeFlag(Args* args, const std::string& name);
// Reports (to stderr) any argument starting with "--" left unparsed.
bool RejectUnknownOptions(const Args& args, const char* command);

// Loads the config at `path` (or, when `path` is empty: the default config
// file if it exists, else the built-in defaults when `defaults_ok`), then
// compiles it. Prints diagnostics to stderr and returns nullptr on error.
std::shared_ptr<const Setup> LoadSetup(const std::string& path, bool defaults_ok);
// The same, with the diagnostics (FILE:LINE:COL: message lines) returned in
// `report` instead of printed: for reloads, which log them.
std::shared_ptr<const Setup> LoadSetup(const std::string& path, bool defaults_ok,
                                       std::string* report);

// Loads the web config file (--web.config.file) with its certificate and key.
// Prints diagnostics to stderr and returns nullptr on error.
std::shared_ptr<const WebConfig> LoadWebConfigFile(const std::string& path);
// The same, with the diagnostics appended to `report` instead of printed.
std::shared_ptr<const WebConfig> LoadWebConfigFile(const std::string& path, std::string* report);

}  // namespace errpulse
