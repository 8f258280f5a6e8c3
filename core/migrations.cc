#include "core/migrations.h"

#include <cstdio>

namespace torque {

Result<std::span<const EmbeddedFile>> PendingMigrations(std::span<const EmbeddedFile> files,
                                                        int version, const std::string& database) {
  const int known = static_cast<int>(files.size());
  if (version > known) {
    return Status::FailedPrecondition(database + " has schema version " + std::to_string(version) +
                                      ", newer than this torqued knows (" + std::to_string(known) +
                                      "); upgrade torqued");
  }
  for (int v = version + 1; v <= known; ++v) {
    char prefix[16];
    std::snprintf(prefix, sizeof(prefix), "%04d_", v);
    if (!files[v - 1].name.starts_with(prefix)) {
      return Status::Internal("migration " + std::to_string(v) + " is named " +
                              std::string(files[v - 1].name));
    }
  }
  return files.subspan(static_cast<size_t>(version));
}

}  // namespace torque
