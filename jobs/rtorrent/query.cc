#include "jobs/rtorrent/query.h"

#include <ctime>
#include <memory>
#include <utility>

namespace torque::rtorrent {
namespace {

// A row list from a d.multicall-style answer: a list of lists.
Result<std::vector<Array>> Rows(const Value& answer, size_t columns) {
  if (!answer.IsArray()) return Status::IoError("rTorrent answered a multicall with no list");
  std::vector<Array> rows;
  rows.reserve(answer.AsArray().size());
  for (const Value& row : answer.AsArray()) {
    if (!row.IsArray() || row.AsArray().size() != columns) {
      return Status::IoError("rTorrent answered a multicall row with the wrong shape");
    }
    rows.push_back(row.AsArray());
  }
  return rows;
}

}  // namespace

Result<QueryResult> Query(RtorrentClient& client, const Condition* condition,
                          const SortOrder* sort, const QueryOptions& options) {
  auto context = std::make_shared<ItemContext>();
  context->now = options.now ? options.now : static_cast<TimeSec>(std::time(nullptr));
  context->aliases = options.aliases;

  auto projection = std::make_shared<Projection>();
  for (const char* always : {"hash", "name"}) {
    if (Status s = projection->Add(always); !s.ok()) return s;
  }
  std::vector<std::string> names = options.extra_fields;
  if (condition) names.insert(names.end(), condition->Fields().begin(), condition->Fields().end());
  if (sort) {
    std::vector<std::string> sorted = sort->Fields();
    names.insert(names.end(), sorted.begin(), sorted.end());
  }
  for (const std::string& name : names) {
    if (Status s = projection->Add(name); !s.ok()) return s;
  }

  QueryResult out;
  std::optional<std::string> filter;
  if (condition && options.prefilter) filter = condition->RtorrentPrefilter(context->now);
  Result<std::vector<Array>> rows = std::vector<Array>();
  if (filter) {
    out.prefilter = *filter;
    Array params = {Value(""), Value(options.view), Value(*filter)};
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

  std::vector<Item> items;
  items.reserve(rows->size());
  for (Array& row : *rows) items.emplace_back(projection, std::move(row), context);

  // Items whose kind cache is missing: all their file lists in one request.
  std::vector<MethodCall> file_calls;
  std::vector<Item*> need_files;
  for (Item& item : items) {
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

  // Cache write-backs of every fetched item (matching or not: the next query profits).
  std::vector<MethodCall> writes;
  if (options.write_caches) {
    for (const Item& item : items) {
      writes.insert(writes.end(), item.PendingWrites().begin(), item.PendingWrites().end());
    }
  }
  for (Item& item : items) {
    if (!condition || condition->Match(item, context->now)) out.items.push_back(std::move(item));
  }
  if (!writes.empty()) {
    ++out.round_trips;
    (void)client.SystemMultiCall(writes);
  }
  if (sort) sort->Sort(out.items);
  return out;
}

}  // namespace torque::rtorrent
