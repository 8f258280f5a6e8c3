// The text exposition writer: escaping, number forms, names, HELP/TYPE and histograms.
#include "core/prometheus_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace torque {
namespace {

TEST(PrometheusTextTest, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(EscapeLabelValue("plain"), "plain");
  EXPECT_EQ(EscapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(EscapeLabelValue("tab\there ünïcode"), "tab\there ünïcode");
  EXPECT_EQ(EscapeHelp("a \"quoted\" \\ path\nnext"), "a \"quoted\" \\\\ path\\nnext");
}

TEST(PrometheusTextTest, SampleValues) {
  EXPECT_EQ(FormatSampleValue(0), "0");
  EXPECT_EQ(FormatSampleValue(42), "42");
  EXPECT_EQ(FormatSampleValue(-3), "-3");
  EXPECT_EQ(FormatSampleValue(1234567890123.0), "1234567890123");
  EXPECT_EQ(FormatSampleValue(0.25), "0.25");
  EXPECT_EQ(FormatSampleValue(1e20), "1e+20");
  EXPECT_EQ(FormatSampleValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatSampleValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatSampleValue(std::nan("")), "NaN");
}

TEST(PrometheusTextTest, SanitizesNames) {
  EXPECT_EQ(SanitizeMetricName("throttle.global_up.total"), "throttle_global_up_total");
  EXPECT_EQ(SanitizeMetricName("a:b-c"), "a:b_c");
  EXPECT_EQ(SanitizeLabelName("a:b"), "a_b");
  EXPECT_EQ(SanitizeLabelName("1x"), "_1x");
  EXPECT_EQ(SanitizeLabelName(""), "_");
}

TEST(PrometheusTextTest, FamiliesAndSamples) {
  PrometheusText t;
  t.Family("torque_jobs", "gauge", "Jobs per type and state.");
  t.Sample("torque_jobs", {{"type", "a\"b"}, {"state", "queued"}}, 3);
  t.Sample("torque_up", 1);
  EXPECT_EQ(t.text(),
            "# HELP torque_jobs Jobs per type and state.\n"
            "# TYPE torque_jobs gauge\n"
            "torque_jobs{type=\"a\\\"b\",state=\"queued\"} 3\n"
            "torque_up 1\n");
}

TEST(PrometheusTextTest, HistogramBucketsAreCumulative) {
  PrometheusText t;
  t.Histogram("h", {{"type", "x"}}, {0.5, 1, 10}, {2, 0, 3, 1}, 31.5);
  EXPECT_EQ(t.text(),
            "h_bucket{type=\"x\",le=\"0.5\"} 2\n"
            "h_bucket{type=\"x\",le=\"1\"} 2\n"
            "h_bucket{type=\"x\",le=\"10\"} 5\n"
            "h_bucket{type=\"x\",le=\"+Inf\"} 6\n"
            "h_sum{type=\"x\"} 31.5\n"
            "h_count{type=\"x\"} 6\n");
}

}  // namespace
}  // namespace torque
