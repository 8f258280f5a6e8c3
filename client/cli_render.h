// How torque-cli shows replies: aligned tables, the record view, short times and durations.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace torque::client {

// torque-cli --help: the forms of the command line, its options and exit codes.
extern const char kUsage[];


// A JSON value as a table cell: null → "-", booleans → yes/no, strings as they are.
std::string Text(const nlohmann::json& v);

// j[key], or null when j is not an object or has no such key.
const nlohmann::json& Field(const nlohmann::json& j, const char* key);

// j[key] if it is a string, else "".
std::string Str(const nlohmann::json& j, const char* key);

// j[key] if it is a boolean, else `fallback`.
bool Flag(const nlohmann::json& j, const char* key, bool fallback = false);

// Aligned columns separated by two blanks; `numeric` columns are right-aligned.
class Table {
 public:
  Table(std::vector<std::string> header, std::vector<bool> numeric);
  void Add(std::vector<std::string> row);
  // Writes the header and the rows, without trailing blanks.
  void Print(std::ostream& out) const;

 private:
  std::vector<bool> numeric_;
  std::vector<std::vector<std::string>> rows_;
};

// One job record (a STATUS payload) as "key: value" lines, times in local time.
void PrintRecord(std::ostream& out, const nlohmann::json& job);

// A LIST payload as a table, or "no jobs".
void PrintJobTable(std::ostream& out, const nlohmann::json& jobs);

// A STATS payload: daemon, database and totals lines, then a table per job type.
void PrintStats(std::ostream& out, const nlohmann::json& s);

// A TYPES payload as a table.
void PrintTypes(std::ostream& out, const nlohmann::json& types);

// A CANCEL or RETRY payload (a job record): "job 12: cancelling".
void PrintJobState(std::ostream& out, const nlohmann::json& job);

// A PAUSE or RESUME payload: "TYPE: paused" or "TYPE: resumed".
void PrintPauseState(std::ostream& out, const nlohmann::json& j);

// "torque-cli VERSION (protocol N)".
std::string ClientVersion();

// A VERSION payload: torque-cli's and torqued's versions, a line each.
void PrintVersions(std::ostream& out, const nlohmann::json& v);

}  // namespace torque::client
