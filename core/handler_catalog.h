// The handler names torque knows, their pyrocore aliases and their own keys.
// Pure data, so the config can be validated without building handlers.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace torque {

// The canonical handler name for `name` ("exec" → "exec",
// "pyrocore.torrent.queue:QueueManager" → "queue_manager"); nullopt if unknown.
std::optional<std::string> CanonicalHandlerName(const std::string& name);

// Every canonical handler name, in the order messages list them ("exec" first).
std::vector<std::string> CanonicalHandlerNames();

// Handler-specific keys of a canonical handler (besides the common ones).
// A key ending in '.' is a prefix ("cmd." allows cmd.anything).
const std::vector<std::string>& HandlerKeys(const std::string& handler);

// Whether `key` is one of HandlerKeys(handler) or starts with one of its prefixes.
bool IsHandlerKey(const std::string& handler, const std::string& key);

// Whether `handler` is implemented in this build (others are rejected at startup).
bool HandlerImplemented(const std::string& handler);

}  // namespace torque
