// Query: the items of an rTorrent view that match a condition, in sort order, fetched in
// a fixed number of round trips whatever the number of items.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "jobs/rtorrent/condition.h"
#include "jobs/rtorrent/item.h"
#include "jobs/rtorrent/rpc_client.h"
#include "jobs/rtorrent/sort.h"
#include "jobs/rtorrent/traits.h"

namespace torque::rtorrent {

struct QueryOptions {
  std::string view = "main";
  // Let rTorrent drop items that cannot match first (d.multicall.filtered), when the
  // condition has a translatable part; the condition is still checked here on every row.
  bool prefilter = true;
  // Fields fetched besides those the condition and the sort need (e.g. for display).
  std::vector<std::string> extra_fields;
  // Write the kind / m_alias caches back to rTorrent, as pyrocore does.
  bool write_caches = true;
  AliasConfig aliases;
  TimeSec now = 0;  // the time conditions are evaluated at; 0: the current time
};

// What a query found and what it cost.
struct QueryResult {
  std::vector<Item> items;  // the matches, sorted
  int64_t fetched = 0;      // rows rTorrent returned (after its pre-filter)
  int round_trips = 0;      // XMLRPC requests made
  std::string prefilter;    // the d.multicall.filtered expression used, "" for none
};

// What FetchItems fetches.
struct FetchOptions {
  std::string view = "main";
  // Let rTorrent drop items that cannot match `filter` first (d.multicall.filtered), when
  // it has a translatable part.
  bool prefilter = true;
  // The fields to fetch; hash and name always come first.
  std::vector<std::string> fields;
  AliasConfig aliases;
  TimeSec now = 0;  // the items' time (and the pre-filter's); 0: the current time
};

// The fetched items and what it cost.
struct FetchResult {
  std::vector<Item> items;  // every row rTorrent returned, in its order, unfiltered here
  int64_t fetched = 0;      // rows rTorrent returned (after its pre-filter)
  int round_trips = 0;      // XMLRPC requests made
  std::string prefilter;    // the d.multicall.filtered expression used, "" for none
};

// The cache write-backs `items` want (each Item::PendingWrites), for the caller to send in
// one system.multicall (RtorrentClient::SystemMultiCall), or not.
std::vector<MethodCall> CacheWrites(const std::vector<Item>& items);

// The items of `options.view` with `options.fields`: one d.multicall2 (one
// d.multicall.filtered when `filter`'s pre-filter is used), then, when a kind field is
// fetched, one system.multicall for the file lists of items whose kind cache is missing.
// `filter` (may be null) only drives rTorrent's pre-filter: the caller matches. Sends no
// cache write-back. Failure: kInvalidArgument for an unknown field (before any request),
// else the Rpc's Status (kIoError for an answer of the wrong shape). Thread-safe when the
// Rpc is.
Result<FetchResult> FetchItems(RtorrentClient& client, const Condition* filter,
                               const FetchOptions& options);

// FetchItems of every field `extra_fields`, the condition and the sort need, then the
// match, the write-backs and the sort. Round trips: one d.multicall2 (or
// d.multicall.filtered); one system.multicall for the file lists of items
// whose kind cache is empty, when a kind field is asked for; one system.multicall for
// cache write-backs. A failed write-back is ignored (the cache is only a cache).
// `condition` null: every item; `sort` null: rTorrent's order.
Result<QueryResult> Query(RtorrentClient& client, const Condition* condition,
                          const SortOrder* sort, const QueryOptions& options = {});

}  // namespace torque::rtorrent
