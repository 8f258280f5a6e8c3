// The summary table: reads RESULT lines written by the workloads and prints one aligned row
// per figure with the four systems, the ratio that a target is about, and PASS/MISS.
#pragma once

#include <iosfwd>
#include <map>
#include <string>
#include <tuple>

#include "core/status.h"

namespace torque::bench {

// (workload, system, metric) → value, e.g. ("submit8", "redis", "rate") → 2150.
using Results = std::map<std::tuple<std::string, std::string, std::string>, double>;

// Reads every "RESULT w s m v" line of `path` (other lines are ignored); a figure measured
// several times gets the median of its values. kNotFound when the file cannot be read.
Result<Results> ReadResults(const std::string& path);

// Prints the table and the notes under it. Returns the number of missed targets (targets
// whose figures are missing count as missed).
int PrintReport(const Results& results, std::ostream& out);

}  // namespace torque::bench
