// Shell-like words (exec commands, condition text, torque-cli arguments): words split,
// joined and split again are the same words.
#include "core/words.h"
#include "tests/fuzz/fuzz.h"

using namespace torque;

TORQUE_FUZZ_TARGET {
  auto words = SplitWords(fuzz::Text(data, size));
  if (!words.ok()) return 0;
  auto again = SplitWords(JoinWords(*words));
  fuzz::Require(again.ok(), "joined words split");
  fuzz::Require(*again == *words, "split/join round trip");
  return 0;
}
