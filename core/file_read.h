// ReadWholeFile: a small file (a config file, rtorrent.rc, a metafile, a watch.ini) as one
// string, with the reason when it cannot be had.
#pragma once

#include <cstddef>
#include <limits>
#include <string>

#include "core/status.h"

namespace torque {

// The bytes of `path`. kNotFound when it does not exist; kIoError "cannot read PATH: why"
// for a directory, a permission or read error, or a file larger than `max_bytes`.
Result<std::string> ReadWholeFile(const std::string& path,
                                  std::size_t max_bytes = std::numeric_limits<std::size_t>::max());

}  // namespace torque
