// Field values as people read them (table cells, explanations) and as JSON.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "jobs/rtorrent/fields.h"
#include "jobs/rtorrent/item.h"

namespace torque::rtorrent {

// A field's value as a table cell: yes/no; sizes as "1.5 GiB" (rates "/s"); times as local
// "YYYY-MM-DD HH:MM" ("-" for 0); durations "45s", "5m3s", "3d4h" ("-" when unknown);
// ratio with 2 decimals, done with 1; sets comma-joined ("-" when empty); file paths
// comma-joined; hash upper-case; control characters in text as '?'. Reads the local time
// zone; thread-safe.
std::string FormatFieldValue(const Field& field, const FieldValue& value);

// A field's raw value as JSON: booleans, numbers (bytes, unix seconds), strings, arrays of
// words, files as [{"path", "size"}], null for an unknown duration.
nlohmann::ordered_json FieldValueJson(const FieldValue& value);

// "0 B", "1023 B", "1.0 KiB", "1.5 GiB" (powers of 1024, one decimal).
std::string HumanSize(int64_t bytes);

}  // namespace torque::rtorrent
