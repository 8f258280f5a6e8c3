#include "jobs/rtorrent/query.h"

#include <ctime>
#include <memory>
#include <optional>
#include <utility>

namespace torque::rtorrent {
namespace {

// A row list from a d.multicall-style answer (a list of lists), moved out of it.
Result<std::vector<Array>> Rows(Value& answer, size_t columns) {
  Array* list = std::get_if<Array>(&answer.v);
  if (!list) return Status::IoError("rTorrent answered a multicall with no list");
  std::vector<Array> rows;
  rows.reserve(list->size());
  for (Value& row : *list) {
    Array* values = std::get_if<Array>(&row.v);
    if (!values || values->size() != columns) {
      return Status::IoError("rTorrent answered a multicall row with the wrong shape");
    }
    rows.push_back(std::move(*values));
  }
  return rows;
}

}  // namespace

std::vector<MethodCall> CacheWrites(const std::vector<Item>& items) {
  std::vector<MethodCall> writes;
  for (const Item& item : items) {
    for (MethodCall& w : item.PendingWrites()) writes.push_back(std::move(w));
  }
  return writes;
}

Result<FetchResult> FetchItems(RtorrentClient& client, const Condition* filter,
                               const FetchOptions& options) {
  auto context = std::make_shared<ItemContext>();
  context->now = options.now ? options.now : static_cast<TimeSec>(std::time(nullptr));
  context->aliases = options.aliases;

  auto projection = std::make_shared<Projection>();
  for (const char* always : {"hash", "name"}) {
    if (Status s = projection->Add(always); !s.ok()) return s;
  }
  for (const std::string& name : options.fields) {
    if (Status s = projection->Add(name); !s.ok()) return s;
  }

  FetchResult out;
  std::optional<std::string> expression;
  if (filter && options.prefilter) expression = filter->RtorrentPrefilter(context->now);
  Result<std::vector<Array>> rows = std::vector<Array>();
  if (expression) {
    out.prefilter = *expression;
    Array params = {Value(""), Value(options.view), Value(*expression)};
    for (const std::string& c : projection->commands()) params.emplace_back(c);
    ++out.round_trips;
    auto answer = client.rpc().Call("d.multicall.filtered", params);
    if (!answer.ok()) return answer.status();
    rows = Rows(*answer, projection->commands().size());
  } else {
    ++out.round_trips;
    rows = client.MultiCall2(options.view, projection->commands());
  }
  if (!rows.ok()) return rows.status();
  out.fetched = static_cast<int64_t>(rows->size());

  out.items.reserve(rows->size());
  for (Array& row : *rows) out.items.emplace_back(projection, std::move(row), context);

  // Items whose kind cache is missing: all their file lists in one request.
  std::vector<MethodCall> file_calls;
  std::vector<Item*> need_files;
  for (Item& item : out.items) {
    if (!item.NeedsFiles()) continue;
    file_calls.push_back(item.FilesCall());
    need_files.push_back(&item);
  }
  if (!file_calls.empty()) {
    ++out.round_trips;
    auto answers = client.SystemMultiCall(file_calls);
    if (!answers.ok()) return answers.status();
    for (size_t i = 0; i < need_files.size() && i < answers->size(); ++i) {
      // An item erased meanwhile answers a fault: it keeps no file list.
      if ((*answers)[i].ok()) (void)need_files[i]->SetFiles(*(*answers)[i]);
    }
  }

  return out;
}

Result<QueryResult> Query(RtorrentClient& client, const Condition* condition,
                          const SortOrder* sort, const QueryOptions& options) {
  FetchOptions fetch;
  fetch.view = options.view;
  fetch.prefilter = options.prefilter;
  fetch.fields = options.extra_fields;
  if (condition) {
    fetch.fields.insert(fetch.fields.end(), condition->Fields().begin(), condition->Fields().end());
  }
  if (sort) {
    std::vector<std::string> sorted = sort->Fields();
    fetch.fields.insert(fetch.fields.end(), sorted.begin(), sorted.end());
  }
  fetch.aliases = options.aliases;
  fetch.now = options.now ? options.now : static_cast<TimeSec>(std::time(nullptr));
  Result<FetchResult> fetched = FetchItems(client, condition, fetch);
  if (!fetched.ok()) return fetched.status();

  QueryResult out;
  out.fetched = fetched->fetched;
  out.round_trips = fetched->round_trips;
  out.prefilter = std::move(fetched->prefilter);
  // Cache write-backs of every fetched item (matching or not: the next query profits).
  std::vector<MethodCall> writes;
  if (options.write_caches) writes = CacheWrites(fetched->items);
  for (Item& item : fetched->items) {
    if (!condition || condition->Match(item, fetch.now)) out.items.push_back(std::move(item));
  }
  if (!writes.empty()) {
    ++out.round_trips;
    (void)client.SystemMultiCall(writes);
  }
  if (sort) sort->Sort(out.items);
  return out;
}

}  // namespace torque::rtorrent
