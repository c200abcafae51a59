// TextExposition: collected metric families in the Prometheus text format
// (version 0.0.4), written straight into one string. prometheus-cpp's own
// TextSerializer goes through std::ostream and took about as long as
// collecting the values (~1 ms per 1,000 series); this writer formats numbers
// with std::to_chars into a reserved buffer. Output is byte for byte what
// TextSerializer writes (same "%.16g" numbers, "Nan", "+Inf", label escapes),
// except that HELP text is escaped as the format asks (TextSerializer writes
// it raw). Summary and histogram families are handed to TextSerializer.
//
// Pure function; thread-safe.
#pragma once

#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <string>
#include <vector>

namespace errpulse {

// Appends `families` in the text format to `out`.
void AppendTextExposition(const std::vector<prometheus::MetricFamily>& families, std::string* out);
// Everything in `registry`, in the text format (a scrape).
std::string TextExpositionOf(const prometheus::Registry& registry);

}  // namespace errpulse
