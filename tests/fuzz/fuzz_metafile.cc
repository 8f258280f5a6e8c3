// Metafiles and magnet files from a watched folder: the bencode scanner, the metafile
// validator and the magnet parser.
#include "jobs/bencode.h"
#include "jobs/metafile.h"
#include "tests/fuzz/fuzz.h"

using namespace torque;

TORQUE_FUZZ_TARGET {
  const std::string_view bytes = fuzz::Text(data, size);
  bool truncated = false;
  auto scanned = jobs::ScanBencode(bytes, &truncated);
  if (scanned.ok()) fuzz::Require(*scanned <= size, "the scan ends inside the input");
  auto meta = jobs::ParseMetafile(bytes, &truncated);
  if (meta.ok()) {
    fuzz::Require(scanned.ok(), "a valid metafile is valid bencode");
    fuzz::Require(meta->info_hash.size() == 40, "an info hash has 40 hex digits");
    (void)jobs::FileTypeOf(*meta);
  }
  if (auto magnet = jobs::ParseMagnet(bytes); magnet.ok()) {
    fuzz::Require(magnet->info_hash.size() == 40, "a magnet's hash has 40 hex digits");
  }
  return 0;
}
