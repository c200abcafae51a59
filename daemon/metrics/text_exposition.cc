#include "metrics/text_exposition.h"

#include <prometheus/text_serializer.h>

#include <charconv>
#include <cmath>

namespace errpulse {
namespace {

// As TextSerializer: "%.16g" (ostream precision max_digits10 - 1), and the
// text format's spellings of the special values.
void AppendValue(double value, std::string* out) {
  if (std::isnan(value)) {
    out->append("Nan");
  } else if (std::isinf(value)) {
    out->append(value < 0 ? "-Inf" : "+Inf");
  } else {
    char buffer[64];
    const auto result =
        std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::general, 16);
    out->append(buffer, result.ptr);
  }
}

// Label values: backslash, double quote and newline escaped; HELP text:
// backslash and newline.
void AppendEscaped(const std::string& text, bool quote, std::string* out) {
  for (char c : text) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '"' && quote) {
      out->append("\\\"");
    } else {
      out->push_back(c);
    }
  }
}

const char* TypeName(prometheus::MetricType type) {
  switch (type) {
    case prometheus::MetricType::Counter: return "counter";
    case prometheus::MetricType::Gauge: return "gauge";
    case prometheus::MetricType::Summary: return "summary";
    case prometheus::MetricType::Histogram: return "histogram";
    case prometheus::MetricType::Untyped: break;
  }
  return "untyped";
}

}  // namespace

void AppendTextExposition(const std::vector<prometheus::MetricFamily>& families, std::string* out) {
  size_t series = 0;
  for (const auto& family : families) series += family.metric.size();
  out->reserve(out->size() + series * 128);
  for (const auto& family : families) {
    if (family.type == prometheus::MetricType::Summary ||
        family.type == prometheus::MetricType::Histogram) {
      out->append(prometheus::TextSerializer().Serialize({family}));
      continue;
    }
    if (!family.help.empty()) {
      out->append("# HELP ").append(family.name).push_back(' ');
      AppendEscaped(family.help, /*quote=*/false, out);
      out->push_back('\n');
    }
    out->append("# TYPE ").append(family.name).push_back(' ');
    out->append(TypeName(family.type)).push_back('\n');
    for (const auto& metric : family.metric) {
      out->append(family.name);
      if (!metric.label.empty()) {
        char separator = '{';
        for (const auto& label : metric.label) {
          out->push_back(separator);
          out->append(label.name).append("=\"");
          AppendEscaped(label.value, /*quote=*/true, out);
          out->push_back('"');
          separator = ',';
        }
        out->push_back('}');
      }
      out->push_back(' ');
      AppendValue(family.type == prometheus::MetricType::Counter ? metric.counter.value
                  : family.type == prometheus::MetricType::Gauge ? metric.gauge.value
                                                                 : metric.untyped.value,
                  out);
      if (metric.timestamp_ms != 0) out->append(" ").append(std::to_string(metric.timestamp_ms));
      out->push_back('\n');
    }
  }
}

std::string TextExpositionOf(const prometheus::Registry& registry) {
  std::string text;
  AppendTextExposition(registry.Collect(), &text);
  return text;
}

}  // namespace errpulse
