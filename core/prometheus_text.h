// PrometheusText: writes Prometheus' text exposition format (version 0.0.4) — HELP and TYPE
// lines, samples with escaped label values, histograms with cumulative buckets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace torque {

// The Content-Type of a text exposition.
inline constexpr char kPrometheusContentType[] = "text/plain; version=0.0.4; charset=utf-8";

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// `value` as a label value: '\\', '"' and newline escaped (\\, \", \n).
std::string EscapeLabelValue(std::string_view value);
// `text` as HELP text: '\\' and newline escaped.
std::string EscapeHelp(std::string_view text);
// A sample value: integers without exponent or fraction, others shortest round-trip,
// NaN, +Inf and -Inf as the format spells them.
std::string FormatSampleValue(double value);
// `name` made a valid metric or label name: every character outside [a-zA-Z0-9_] (and ':'
// for metrics) becomes '_', and a leading digit gets a '_' before it.
std::string SanitizeMetricName(std::string_view name);
std::string SanitizeLabelName(std::string_view name);

// Appends families to a text. Each family is opened once (HELP and TYPE), then its samples
// follow; names and label names are taken as valid (see Sanitize*), label values are escaped.
// Not thread-safe.
class PrometheusText {
 public:
  // Opens family `name` of `type` ("gauge", "counter", "histogram", "untyped").
  void Family(std::string_view name, std::string_view type, std::string_view help);
  void Sample(std::string_view name, const MetricLabels& labels, double value);
  void Sample(std::string_view name, double value) { Sample(name, {}, value); }
  // One histogram of family `name`: a `name`_bucket sample per upper bound with the count
  // of observations at or below it (`counts[i]`: those in bucket i alone, i.e. above
  // bounds[i-1]; counts has one more entry than bounds, for +Inf), then _sum and _count.
  void Histogram(std::string_view name, const MetricLabels& labels,
                 const std::vector<double>& bounds, const std::vector<int64_t>& counts, double sum);

  const std::string& text() const { return text_; }
  std::string Take() { return std::move(text_); }

 private:
  void Labels(const MetricLabels& labels, const std::pair<std::string, std::string>* extra);
  std::string text_;
};

}  // namespace torque
