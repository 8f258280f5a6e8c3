// ItemActionList: what an item_action job type does to each item — its `action` key (with
// pyrosimple's `args` and `target`) parsed once into steps.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "jobs/item_template.h"

namespace torque::jobs {

// One action. Values are templates rendered per item.
struct ItemStep {
  enum class Kind { kStart, kStop, kPrio, kCustom, kTag, kMove, kErase, kEraseData, kRun };
  Kind kind = Kind::kStart;
  int prio = 0;                      // kPrio: 0 (off) .. 3 (high)
  std::string key;                   // kCustom: "1".."5" (d.customN) or KEY (d.custom=KEY)
  ItemTemplate value;                // kCustom: the value; kMove: the target directory
  std::vector<ItemTemplate> words;   // kTag: tags to add; kRun: program and arguments
  std::vector<ItemTemplate> remove;  // kTag: tags to remove
  std::string text;                  // as written, on one line, for messages
};

// Parses `text`, actions separated by line breaks or ';' (outside quotes), each split into
// words like a shell (quotes keep blanks in a value):
//   start | stop | prio 0..3|off|low|normal|high | label VALUE | custom KEY=VALUE |
//   tag WORD... | untag WORD... | move TARGET | erase | erase_data | run PROGRAM [ARG]...
// also under pyrosimple's Action names: set_prio N, set_custom KEY VALUE, delete (erase),
// purge and cull (erase_data); in `tag`, a word starting with '-' removes the tag ('+'
// adds). kInvalidArgument with a one-line reason naming the action, e.g. "unknown action
// 'strat' (known: ...)", "'erase' must be the last action", a template's error.
Result<std::vector<ItemStep>> ParseItemActions(std::string_view text);

// The steps of `type`: `action`, with `args` appended to a one-word action (pyrosimple's
// Action), or `args` alone as the program to run (pyrosimple's ItemCommand), then a move to
// `target` (pyrosimple's PathMover) when set. kInvalidArgument "file:line: job type 'x':
// key 'action': ..." (the key at fault), or when none of the three is set.
Result<std::vector<ItemStep>> ReadItemActions(const JobTypeConfig& type);

// The fields a run must fetch for `steps`: their templates' and those the steps read
// (move: path, directory, is_multi_file, d_state, is_open; tag: tagged; erase_data: path,
// files, is_multi_file, directory).
std::vector<std::string> ItemStepFields(const std::vector<ItemStep>& steps);

}  // namespace torque::jobs
