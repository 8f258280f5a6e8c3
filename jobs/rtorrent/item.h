// Item: one download as a query fetched it (a d.multicall2 row), yielding typed field values,
// including the computed ones (alias, kind_N, traits, leechtime, ...) and the cache
// write-backs pyrocore makes (d.custom.set kind / m_alias).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/status.h"
#include "jobs/rtorrent/fields.h"
#include "jobs/rtorrent/traits.h"
#include "jobs/rtorrent/value.h"

namespace torque::rtorrent {

// A field's value. Which alternative a field yields is fixed by its matcher:
// kPattern string; kFloat int64_t (prio, fno) or double (done, ratio); kByteSize, kTime,
// kTimeNotNull int64_t; kBool bool; kDuration int64_t or monostate (pyrocore's None);
// kTagged a sorted set of words (traits: an ordered list); kFiles the file list.
using FieldValue = std::variant<std::monostate, bool, int64_t, double, std::string,
                                std::vector<std::string>, std::vector<FileInfo>>;

// An XMLRPC call the query engine sends for an item (a cache write-back, a file list).
using PendingCall = MethodCall;

// What items need besides their row: the time they were fetched (no hidden clock), the
// alias tables and pyrocore's pyro.last_xfer.min_rate.
struct ItemContext {
  TimeSec now = 0;
  AliasConfig aliases;
  int64_t last_xfer_min_rate = 5000;
};

// One fetched download. Copyable. Get is const and safe to call from several threads;
// SetFiles is not.
class Item {
 public:
  // `row` holds one value per command of `projection`, in its order (a d.multicall2 row).
  // A row shorter than the projection reads as nil in the missing columns.
  Item(std::shared_ptr<const Projection> projection, Array row,
       std::shared_ptr<const ItemContext> context);

  const std::string& hash() const { return hash_; }
  const ItemContext& context() const { return *context_; }

  // The value of `field`. Commands the projection did not fetch read as nil, i.e. "", 0,
  // false or the empty set; a field never fails.
  FieldValue Get(const Field& field) const;

  // True when a kind-type field (kind, kind_N, traits) was fetched, its d.custom=kind
  // cache is empty or malformed, and no file list is known yet. The query engine then
  // sends FilesCall() for all such items in one system.multicall and hands each answer
  // to SetFiles.
  bool NeedsFiles() const;
  // f.multicall(hash, "", "f.path=", "f.size_bytes=").
  PendingCall FilesCall() const;
  // The value FilesCall returned ([[path, size], ...]; unwrap system.multicall's
  // one-element list first). kInvalidArgument when it is not a list of such pairs (the
  // item then keeps no file list).
  Status SetFiles(const Value& answer);

  // The cache write-backs this item wants (d.custom.set hash kind "80%_mkv ...",
  // d.custom.set hash m_alias <tracker URL>), for the engine to send in one batch. Made on
  // each call (most items' are never asked for); they change only with SetFiles.
  std::vector<PendingCall> PendingWrites() const;

 private:
  const Value& Column(std::string_view command) const;
  std::string Str(std::string_view command) const;
  int64_t Int(std::string_view command) const;
  const std::vector<FileInfo>* Files() const;
  std::string Tracker() const;
  std::string Alias() const;
  std::string DataPath() const;
  const KindHistogram& Histogram() const;
  void ComputeKindFromFiles();

  std::shared_ptr<const Projection> projection_;
  Array row_;
  std::shared_ptr<const ItemContext> context_;
  std::string hash_;
  std::optional<std::vector<FileInfo>> files_;  // from the row or SetFiles
  std::optional<KindHistogram> histogram_;      // from the cache or the files
  bool wants_kind_ = false;
  std::string kind_cache_;  // computed from the files, to write back; "" for none
};

}  // namespace torque::rtorrent
