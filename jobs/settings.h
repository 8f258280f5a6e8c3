// SettingReader: a job type's own settings as typed values, shared by every handler.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/config.h"
#include "core/status.h"
#include "jobs/rtorrent/condition.h"
#include "jobs/template.h"

namespace torque::jobs {

// Reads the settings of one job type. A missing key gives the fallback; a present one
// that does not convert gives kInvalidArgument
//   "file:line: job type 'NAME': key 'KEY': expected ..., got 'VALUE'"
// (the config loader's wording), so a handler's constructor can return it as it is.
class SettingReader {
 public:
  explicit SettingReader(const JobTypeConfig& type) : type_(type) {}

  // The setting `key`, or nullptr.
  const Setting* Find(const std::string& key) const;
  std::string Text(const std::string& key, const std::string& fallback = "") const;
  Result<bool> Bool(const std::string& key, bool fallback) const;
  // An integer in min..max.
  Result<int> Int(const std::string& key, int fallback, int min, int max) const;
  // A duration ("90" seconds, "1m30s", "250ms"; see core/duration.h).
  Result<DurationMs> Duration(const std::string& key, DurationMs fallback) const;
  // A byte count or rate: digits with an optional fraction and unit b, k, m, g, t
  // (powers of 1024, as the condition language's sizes), e.g. "500k", "1.5m".
  Result<int64_t> ByteSize(const std::string& key, int64_t fallback) const;
  // A condition of the rTorrent condition language; its parse error (column and caret)
  // follows the key's location.
  Result<rtorrent::Condition> Condition(const std::string& key, const std::string& fallback) const;
  // A template whose {placeholders} are among `names`.
  Result<jobs::Template> Template(const std::string& key, const std::string& fallback,
                                  const std::vector<std::string>& names) const;

  // kInvalidArgument "file:line: job type 'NAME': key 'KEY': <why>" (the type's location
  // when the key is not set).
  Status Fail(const std::string& key, const std::string& why) const;

 private:
  const JobTypeConfig& type_;
};

// A condition written in a setting outside the job type (e.g. [TORQUE]
// queue_startable_base), named `label` in its error: "file:line: <label>: ...".
Result<rtorrent::Condition> ParseConditionSetting(const Setting& setting, const std::string& label);

// The words of a list setting: separated by blanks, commas and any of `more` ("a b,c" →
// {"a", "b", "c"}; with more = "[]\"'" pyrosimple's TOML list ["a", "b"] too).
std::vector<std::string> SplitListSetting(std::string_view text, std::string_view more = {});

}  // namespace torque::jobs
