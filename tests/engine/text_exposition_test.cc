// AppendTextExposition against prometheus-cpp's TextSerializer: the same
// bytes for counters and gauges with every kind of value and label, HELP
// escaped as the text format asks, histograms handed through.
#include "metrics/text_exposition.h"

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

namespace errpulse {
namespace {

double FromBits(uint64_t bits) {
  double value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

TEST(TextExposition, SameBytesAsPrometheusCpp) {
  prometheus::Registry registry;
  auto& counters = prometheus::BuildCounter().Name("x_total").Help("Counts: x, y.").Register(registry);
  auto& gauges = prometheus::BuildGauge().Name("x_gauge").Help("").Register(registry);
  std::mt19937_64 random(3);
  const double specials[] = {0.0, -0.0, 0.1, 1.0 / 3, 1e15, 1e16, 1e20, 12345678901234567.0,
                             -2.5e-9, 1764142800.5, 4e-320,
                             std::numeric_limits<double>::quiet_NaN(),
                             std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(),
                             std::numeric_limits<double>::max(),
                             std::numeric_limits<double>::min()};
  for (size_t i = 0; i < std::size(specials); ++i)
    gauges.Add({{"i", std::to_string(i)}}).Set(specials[i]);
  for (int i = 0; i < 2000; ++i) {
    // Integers (what errpulse counts), fractions, and raw bit patterns.
    const double value = i % 3 == 0   ? static_cast<double>(random() % 100000000000ULL)
                         : i % 3 == 1 ? static_cast<double>(random() % 1000000) / 7.0
                                      : std::fabs(FromBits(random()));
    if (!std::isfinite(value)) continue;
    counters.Add({{"source", "s" + std::to_string(i % 12)}, {"code", std::to_string(-i)},
                  {"name", i % 5 == 0 ? "quote\" back\\slash new\nline" : "ERR_" + std::to_string(i)}})
        .Increment(value);
    gauges.Add({{"g", std::to_string(i)}}).Set(i % 2 ? -value : value);
  }
  counters.Add({}).Increment(5);  // no labels
  const std::string want = prometheus::TextSerializer().Serialize(registry.Collect());
  const std::string got = TextExpositionOf(registry);
  ASSERT_GT(want.size(), 100000u);
  if (got != want) {  // show the first difference, not 200 KB
    size_t at = 0;
    while (at < got.size() && at < want.size() && got[at] == want[at]) ++at;
    const size_t from = at > 80 ? at - 80 : 0;
    FAIL() << "first difference at byte " << at << "\n ours:   " << got.substr(from, 160)
           << "\n theirs: " << want.substr(from, 160);
  }
}

TEST(TextExposition, HelpIsEscapedAndHistogramsPassThrough) {
  prometheus::Registry registry;
  prometheus::BuildGauge().Name("g").Help("a \\ b\nc").Register(registry).Add({}).Set(1);
  auto& histogram = prometheus::BuildHistogram().Name("h").Help("lat").Register(registry);
  histogram.Add({}, prometheus::Histogram::BucketBoundaries{0.1, 1}).Observe(0.5);
  const std::string text = TextExpositionOf(registry);
  EXPECT_NE(text.find("# HELP g a \\\\ b\\nc\n# TYPE g gauge\ng 1\n"), std::string::npos) << text;
  prometheus::Registry only_histogram;
  prometheus::BuildHistogram().Name("h").Help("lat").Register(only_histogram)
      .Add({}, prometheus::Histogram::BucketBoundaries{0.1, 1}).Observe(0.5);
  EXPECT_NE(text.find(prometheus::TextSerializer().Serialize(only_histogram.Collect())),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace errpulse
