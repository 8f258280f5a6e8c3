#include "jobs/item_action_list.h"

#include <algorithm>
#include <utility>

#include "core/utf8.h"
#include "core/words.h"
#include "jobs/settings.h"

namespace torque::jobs {
namespace {

using Kind = ItemStep::Kind;

constexpr char kKnown[] =
    "known: start stop prio label custom tag untag move erase erase_data run, and pyrosimple's "
    "set_prio set_custom delete purge cull";

// `text` cut at line breaks and at ';' outside quotes (backslash escapes a character outside
// single quotes, as SplitWords reads it). Blank pieces are dropped.
std::vector<std::string> SplitActions(std::string_view text) {
  std::vector<std::string> pieces;
  std::string piece;
  char quote = 0;
  auto end_piece = [&] {
    if (piece.find_first_not_of(" \t\r\f\v") != std::string::npos) pieces.push_back(piece);
    piece.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote == 0 && (c == ';' || c == '\n')) {
      end_piece();
      continue;
    }
    piece += c;
    if (c == '\\' && quote != '\'' && i + 1 < text.size()) {
      piece += text[++i];
    } else if (quote == 0 && (c == '\'' || c == '"')) {
      quote = c;
    } else if (c == quote) {
      quote = 0;
    }
  }
  end_piece();
  return pieces;
}

std::string OneLine(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  }
  const size_t first = out.find_first_not_of(' ');
  return first == std::string::npos ? "" : out.substr(first, out.find_last_not_of(' ') - first + 1);
}

Result<int> ParsePrio(const std::string& word) {
  static const char* const kNames[] = {"off", "low", "normal", "high"};
  for (int i = 0; i < 4; ++i) {
    if (word == std::to_string(i) || AsciiLower(word) == kNames[i]) return i;
  }
  return Status::InvalidArgument("expected a priority 0..3 or off, low, normal, high, got '" +
                                 word + "'");
}

bool ValidCustomKey(std::string_view key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsAsciiDigit(c) || c == '_';
  });
}

// One action from its words (words[0] is the verb).
Result<ItemStep> ParseStep(const std::vector<std::string>& words, std::string text) {
  ItemStep step;
  step.text = std::move(text);
  std::string verb = words[0];
  const std::vector<std::string> args(words.begin() + 1, words.end());
  auto fail = [&](const std::string& why) {
    return Status::InvalidArgument("action '" + step.text + "': " + why);
  };
  auto want = [&](size_t n, const char* form) -> Status {
    if (args.size() == n) return Status::Ok();
    return fail(std::string("expected ") + form +
                (n > 0 && args.size() > n ? " (quote a value that has blanks)" : ""));
  };
  auto parse = [&](const std::string& word, ItemTemplate& out) -> Status {
    auto t = ItemTemplate::Parse(word);
    if (!t.ok()) return fail(t.status().message());
    out = std::move(*t);
    return Status::Ok();
  };
  if (verb == "delete") verb = "erase";
  if (verb == "purge" || verb == "cull") verb = "erase_data";
  if (verb == "start" || verb == "stop" || verb == "erase" || verb == "erase_data") {
    step.kind = verb == "start"   ? Kind::kStart
                : verb == "stop"  ? Kind::kStop
                : verb == "erase" ? Kind::kErase
                                  : Kind::kEraseData;
    if (Status s = want(0, ("'" + verb + "' alone").c_str()); !s.ok()) return s;
  } else if (verb == "prio" || verb == "set_prio") {
    step.kind = Kind::kPrio;
    if (Status s = want(1, "'prio N'"); !s.ok()) return s;
    auto prio = ParsePrio(args[0]);
    if (!prio.ok()) return fail(prio.status().message());
    step.prio = *prio;
  } else if (verb == "label") {
    step.kind = Kind::kCustom;
    step.key = "1";
    if (Status s = want(1, "'label VALUE'"); !s.ok()) return s;
    if (Status s = parse(args[0], step.value); !s.ok()) return s;
  } else if (verb == "custom" || verb == "set_custom") {
    step.kind = Kind::kCustom;
    std::string value;
    if (verb == "set_custom" && args.size() == 2) {
      step.key = args[0];
      value = args[1];
    } else {
      if (Status s = want(1, "'custom KEY=VALUE'"); !s.ok()) return s;
      const size_t eq = args[0].find('=');
      if (eq == std::string::npos) return fail("expected 'custom KEY=VALUE'");
      step.key = args[0].substr(0, eq);
      value = args[0].substr(eq + 1);
    }
    if (!ValidCustomKey(step.key)) {
      return fail("'" + step.key + "' is not a custom key (letters, digits, '_'; 1..5 for " +
                  "d.custom1..d.custom5)");
    }
    if (Status s = parse(value, step.value); !s.ok()) return s;
  } else if (verb == "tag" || verb == "untag") {
    step.kind = Kind::kTag;
    if (args.empty()) return fail("expected '" + verb + " WORD...'");
    for (std::string word : args) {
      bool remove = verb == "untag";
      if (verb == "tag" && word.size() > 1 && (word[0] == '-' || word[0] == '+')) {
        remove = word[0] == '-';
        word.erase(0, 1);
      }
      ItemTemplate t;
      if (Status s = parse(word, t); !s.ok()) return s;
      (remove ? step.remove : step.words).push_back(std::move(t));
    }
  } else if (verb == "move") {
    step.kind = Kind::kMove;
    if (Status s = want(1, "'move TARGET'"); !s.ok()) return s;
    if (Status s = parse(args[0], step.value); !s.ok()) return s;
  } else if (verb == "run") {
    step.kind = Kind::kRun;
    if (args.empty()) return fail("expected 'run PROGRAM [ARG]...'");
    for (const std::string& word : args) {
      ItemTemplate t;
      if (Status s = parse(word, t); !s.ok()) return s;
      step.words.push_back(std::move(t));
    }
  } else {
    return Status::InvalidArgument("unknown action '" + verb + "' in '" + step.text + "' (" +
                                   kKnown + ")");
  }
  return step;
}

Status CheckOrder(const std::vector<ItemStep>& steps) {
  for (size_t i = 0; i + 1 < steps.size(); ++i) {
    if (steps[i].kind == Kind::kErase || steps[i].kind == Kind::kEraseData) {
      return Status::InvalidArgument("action '" + steps[i].text +
                                     "' must be the last action (nothing is left to act on)");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<ItemStep>> ParseItemActions(std::string_view text) {
  std::vector<ItemStep> steps;
  for (const std::string& piece : SplitActions(text)) {
    auto words = SplitWords(piece);
    if (!words.ok()) {
      return Status::InvalidArgument("action '" + OneLine(piece) +
                                     "': " + words.status().message());
    }
    auto step = ParseStep(*words, OneLine(piece));
    if (!step.ok()) return step.status();
    steps.push_back(std::move(*step));
  }
  if (steps.empty()) return Status::InvalidArgument("no action given");
  if (Status s = CheckOrder(steps); !s.ok()) return s;
  return steps;
}

Result<std::vector<ItemStep>> ReadItemActions(const JobTypeConfig& type) {
  const SettingReader r(type);
  const Setting* action = r.Find("action");
  const Setting* args = r.Find("args");
  const Setting* target = r.Find("target");
  std::vector<ItemStep> steps;
  if (action || args) {
    std::string text;
    const char* key = action ? "action" : "args";
    if (action && args) {
      const std::string verb = OneLine(action->value);
      if (verb.empty() || verb.find_first_of(" \t;'\"\\") != std::string::npos) {
        return r.Fail("args",
                      "args go with a one-word action (pyrosimple's Action, e.g. "
                      "action = set_custom), or alone as the program to run");
      }
      text = verb + " " + OneLine(args->value);
      key = "args";
    } else if (action) {
      text = action->value;
    } else {
      text = "run " + OneLine(args->value);
    }
    auto parsed = ParseItemActions(text);
    if (!parsed.ok()) return r.Fail(key, parsed.status().message());
    steps = std::move(*parsed);
  }
  if (target) {
    ItemStep move;
    move.kind = Kind::kMove;
    move.text = "move " + OneLine(target->value);
    auto t = ItemTemplate::Parse(OneLine(target->value));
    if (!t.ok()) return r.Fail("target", t.status().message());
    move.value = std::move(*t);
    steps.push_back(std::move(move));
    if (Status s = CheckOrder(steps); !s.ok()) return r.Fail("target", s.message());
  }
  if (steps.empty()) {
    return r.Fail("action",
                  "no action: set action (e.g. action = stop), target (move the "
                  "data there) or args (a program to run)");
  }
  return steps;
}

std::vector<std::string> ItemStepFields(const std::vector<ItemStep>& steps) {
  std::vector<std::string> names = {"name"};
  auto add = [&names](const std::vector<std::string>& more) {
    for (const std::string& n : more) {
      if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    }
  };
  for (const ItemStep& step : steps) {
    add(step.value.Fields());
    for (const ItemTemplate& t : step.words) add(t.Fields());
    for (const ItemTemplate& t : step.remove) add(t.Fields());
    switch (step.kind) {
      case Kind::kMove:
        add({"path", "directory", "is_multi_file", "is_open", "d_state"});
        break;
      case Kind::kTag:
        add({"tagged"});
        break;
      case Kind::kEraseData:
        add({"path", "directory", "is_multi_file", "files"});
        break;
      default:
        break;
    }
  }
  return names;
}

}  // namespace torque::jobs
