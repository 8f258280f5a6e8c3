// Test helpers for the query module: Items built by hand from {command: value} maps, as
// rows of d.multicall2, and a fixed time zone.
#pragma once

#include <stdlib.h>
#include <time.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "jobs/rtorrent/fields.h"
#include "jobs/rtorrent/item.h"
#include "jobs/rtorrent/value.h"

namespace torque::rtorrent::testing {

// 2024-03-15 12:00:00 UTC.
inline constexpr TimeSec kNow = 1710504000;
inline constexpr int64_t kDay = 86400;

// Central European time with its DST rules, without needing tzdata.
inline constexpr const char* kBerlinTz = "CET-1CEST,M3.5.0,M10.5.0/3";

inline void SetTimeZone(const char* tz) {
  setenv("TZ", tz, 1);
  tzset();
}

// A projection of every fixed field plus `extra` field names (custom_x, kind_N, d_x).
inline std::shared_ptr<const Projection> FullProjection(
    const std::vector<std::string>& extra = {}) {
  auto projection = std::make_shared<Projection>();
  for (const auto& name : FixedFieldNames()) (void)projection->Add(name);
  for (const auto& name : extra) (void)projection->Add(name);
  return projection;
}

// The row `projection` asks for, from `values` (command → value; missing ones nil).
inline Array RowFor(const Projection& projection, const std::map<std::string, Value>& values) {
  Array row;
  for (const auto& command : projection.commands()) {
    const auto it = values.find(command);
    row.push_back(it == values.end() ? Value() : it->second);
  }
  return row;
}

inline std::shared_ptr<const ItemContext> Context(TimeSec now = kNow, AliasConfig aliases = {}) {
  auto context = std::make_shared<ItemContext>();
  context->now = now;
  context->aliases = std::move(aliases);
  return context;
}

// An item over FullProjection(extra) with hash "ABC" unless `values` sets d.hash=.
inline Item MakeItem(std::map<std::string, Value> values,
                     const std::vector<std::string>& extra = {}, TimeSec now = kNow,
                     AliasConfig aliases = {}) {
  values.emplace("d.hash=", "ABC");
  auto projection = FullProjection(extra);
  Array row = RowFor(*projection, values);
  return Item(projection, std::move(row), Context(now, std::move(aliases)));
}

}  // namespace torque::rtorrent::testing
