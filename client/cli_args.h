// CliArg: one option of torque-cli's command line as written ("-s X", "--socket=X"), shared
// by the main command parser and `rt`'s.
#pragma once

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "client/cli.h"

namespace torque::client {

class CliArg {
 public:
  // `arg` is an option word; "--name=value" carries its value inline.
  explicit CliArg(const std::string& arg) : name_(arg) {
    const size_t eq = arg.find('=');
    if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_value_ = arg.substr(eq + 1);
      name_.resize(eq);
    }
  }

  const std::string& name() const { return name_; }
  bool has_inline_value() const { return inline_value_.has_value(); }
  // The option is spelled `a` or `b`.
  bool Is(const char* a, const char* b = nullptr) const {
    return name_ == a || (b && name_ == b);
  }

  // The option's value: inline, or the next word of `args` (then `i` moves on to it).
  // nullopt, with `error` "option X needs a value", when there is none.
  std::optional<std::string> Value(const std::vector<std::string>& args, size_t& i,
                                   std::string& error) const {
    if (inline_value_) return inline_value_;
    if (i + 1 >= args.size()) {
      error = "option " + name_ + " needs a value";
      return std::nullopt;
    }
    return args[++i];
  }

 private:
  std::string name_;
  std::optional<std::string> inline_value_;
};

// The usage error every torque-cli command prints; returns kExitUsage.
inline int PrintUsageError(std::ostream& err, const std::string& message) {
  err << "torque-cli: " << message << "\nTry 'torque-cli --help' for more information.\n";
  return kExitUsage;
}

}  // namespace torque::client
