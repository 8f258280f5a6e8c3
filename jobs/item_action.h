// ItemAction: the item_action handler (pyrosimple's Action, ItemCommand and PathMover in one)
// — runs actions on rTorrent items: the one an event hook names by hash, or, on a scheduled
// run, every item the type's `matcher` selects.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "jobs/handler.h"
#include "jobs/handler_env.h"
#include "jobs/item_action_list.h"
#include "jobs/item_mover.h"
#include "jobs/process_runner.h"
#include "jobs/rtorrent/condition.h"
#include "jobs/rtorrent/sort.h"

namespace torque::rtorrent {
class Connector;
}

namespace torque::jobs {

// Args: an info hash (40 hex digits, any case: `download_finished HASH` from torque.rc's
// hooks) acts on that item of view main, when it satisfies `matcher` if one is set (else
// the run succeeds saying why it does not match); no args (a scheduled run) acts on every
// item of `view` (default main) that `matcher` selects, in `sort` order (default name,hash).
// The steps (item_action_list.h) run in order per item; each item's rTorrent calls go in one
// system.multicall, except around a move, a run and erase_data, which need the answer first.
//   move: skipped when the rendered target is empty or the data is already in it; else
//     checked first (no data, destination exists, another file system: the item is not
//     touched), then d.stop+d.close, rename (ItemDisk), d.directory_base.set, d.open+d.start
//     only when it was started (d.open when it was only open), d.save_resume. When the
//     rename fails the item's state is restored; when rTorrent refuses the new directory the
//     data is moved back.
//   erase_data: d.stop, d.close, d.erase, then the item's own files are deleted (never
//     anything else).
//   run: the program (no shell) with the rendered arguments, in `cwd`, within the job's
//     timeout; TORQUE_JOB_ID, TORQUE_JOB_TYPE, TORQUE_SOCKET and TORQUE_ITEM_HASH set.
// The result has a line per item saying what was done ("would ..." with dry_run, which
// changes nothing), then a count. An item's failure does not stop the others; the run fails
// naming every failed item, finally (not retried) when no failure can be cured by retrying.
class ItemAction : public Handler {
 public:
  // kInvalidArgument with file:line for a bad action, template, matcher, sort or scgi_url,
  // or a schedule without a matcher. `disk`, `runner` null: the real ones.
  static Result<std::unique_ptr<ItemAction>> Create(const JobTypeConfig& type,
                                                    const HandlerEnv& env,
                                                    std::shared_ptr<ItemDisk> disk = {},
                                                    std::shared_ptr<ProcessRunner> runner = {});

  Status Start(HandlerHost& host) override;
  RunResult Run(JobContext& ctx) override;

  const std::vector<ItemStep>& steps() const { return steps_; }

 private:
  ItemAction() = default;

  std::string type_name_;
  std::vector<ItemStep> steps_;
  std::optional<rtorrent::Condition> matcher_;
  rtorrent::SortOrder sort_;
  std::string view_ = "main";
  std::string cwd_;
  std::vector<std::string> fields_;  // fetched besides the condition's and the sort's
  std::shared_ptr<const rtorrent::Connector> connector_;
  std::shared_ptr<ItemDisk> disk_;
  std::shared_ptr<ProcessRunner> runner_;
};

}  // namespace torque::jobs
