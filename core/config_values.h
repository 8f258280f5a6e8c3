// The configuration's value converters: typed values from settings, with file:line errors.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/config.h"
#include "core/status.h"

namespace torque::config {

// A merged setting: a later `order` overrides; `label` names it in messages.
struct Item {
  Setting setting;
  int64_t order = 0;
  std::string label;  // "[server] key 'socket'", "job type 'x': key 'retries'"
};

// kInvalidArgument "file:line: label: why".
Status Fail(const Item& item, const std::string& why);
// kInvalidArgument "file:line: label: expected <expected>, got '<got>'".
Status Fail(const Item& item, const std::string& expected, const std::string& got);

// Each converter sets `out` from the item's value, or fails naming the item and the
// bad value (and leaves `out` alone).
Status ToBool(const Item& item, bool& out);
// An integer in min..max; min == INT_MIN: any int.
Status ToInt(const Item& item, int min, int max, int& out);
Status ToDuration(const Item& item, DurationMs& out);
// spdlog level names; Python's (upper-case, "warning") are accepted too.
Status ToLogLevel(const Item& item, bool allow_empty, std::string& out);
// An octal file mode ("0600", "0o660", "660").
Status ToMode(const Item& item, unsigned& out);
// A [db] url "sqlite:///absolute/path" to its path.
Status ToSqlitePath(const Item& item, std::string& out);
// A list of aliases of job type `name` (separated by blanks or commas), added to `out`
// without duplicates or `name` itself.
Status ToAliases(const Item& item, const std::string& name, std::vector<std::string>& out);

// A notify_success / notify_fail value into `targets`; upq's retry tokens set the
// retries and retry_delay of `type` (keys processed later override them).
Status ToNotifyRule(const Item& item, std::vector<NotifyTarget>& targets, JobTypeConfig& type);

// A listen address "host:port" or "[v6 address]:port" (host an IP literal or "localhost",
// port 0..65535) into `host` (brackets removed; localhost as 127.0.0.1) and `port`.
Status ToListenAddress(const Item& item, std::string& host, int& port);

// A path value with "~" expanded and made absolute against `base_dir`; "" stays "".
std::string ToPath(const std::string& value, const std::string& base_dir);

// pyrocore's ConfigParser interpolation of items.at(key): %(key)s is another item's
// value, %% is '%'. Fails for a bad or unknown reference and for a loop.
Result<std::string> Expand(const std::map<std::string, Item>& items, const std::string& key);

// Why `word` cannot name a job type or, with `what` "alias", an alias: "invalid <what>
// 'word': ..." or "<what> 'word' is reserved ..."; empty when it can.
std::string NameError(const std::string& what, const std::string& word);

// $HOME, else the home directory in the password database, else "/".
std::string HomeDir();

}  // namespace torque::config
