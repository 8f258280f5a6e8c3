// Test helper: rTorrent items for queue tests, built from a few readable properties.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "jobs/rtorrent/item.h"
#include "tests/rtorrent/query_test_util.h"

namespace torque::testing {

// One download as a queue pass sees it.
struct QueueItem {
  std::string hash;
  std::string name;
  int prio = 2;
  bool open = false;
  bool active = false;
  bool complete = false;
  int64_t loaded = 0;   // tm_loaded (unix seconds), 0: unset
  int64_t started = 0;  // tm_started
  std::string message;
  int64_t done_chunks = 0;
  int64_t size_chunks = 100;
  int64_t down = 0;   // bytes/s
  std::string label;  // custom_1
  std::string tracker = "http://tracker.example.com/announce";
  bool ignored = false;
  std::string kind;  // the d.custom=kind cache, e.g. "70%_flac 30%_jpg"
};

// The item's d.multicall2 columns (command → value).
inline std::map<std::string, rtorrent::Value> QueueItemValues(const QueueItem& q) {
  using rtorrent::Array;
  using rtorrent::Value;
  return {{"d.hash=", q.hash},
          {"d.name=", q.name},
          {"d.priority=", Value(int64_t{q.prio})},
          {"d.is_open=", Value(int64_t{q.open})},
          {"d.is_active=", Value(int64_t{q.active})},
          {"d.complete=", Value(int64_t{q.complete})},
          {"d.custom=tm_loaded", q.loaded ? std::to_string(q.loaded) : ""},
          {"d.custom=tm_started", q.started ? std::to_string(q.started) : ""},
          {"d.message=", q.message},
          {"d.completed_chunks=", Value(q.done_chunks)},
          {"d.size_chunks=", Value(q.size_chunks)},
          {"d.down.rate=", Value(q.down)},
          {"d.custom1=", q.label},
          {"d.ignore_commands=", Value(int64_t{q.ignored})},
          {"d.custom=kind", q.kind},
          {"t.multicall=,t.url=,t.is_enabled=", Array{Value(Array{Value(q.tracker), Value(1)})}}};
}

inline rtorrent::Item MakeQueueItem(const QueueItem& q,
                                    rtorrent::TimeSec now = rtorrent::testing::kNow) {
  return rtorrent::testing::MakeItem(QueueItemValues(q), {"custom_1", "kind_25"}, now);
}

}  // namespace torque::testing
