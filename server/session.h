// Session: one client connection; reads request lines, answers them in order.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/local/stream_protocol.hpp>

#include "core/line_reader.h"
#include "server/io_mailbox.h"
#include "server/service.h"

namespace torque::server {

// Reads pipelined requests, hands them to the Service, and writes the replies
// in request order even when they complete out of order. A client that does
// not read its replies only stalls itself: reading pauses once too many
// replies are pending. Lives on the io_context's thread.
class Session : public std::enable_shared_from_this<Session> {
 public:
  using Socket = boost::asio::local::stream_protocol::socket;

  // Limits per connection.
  static constexpr std::size_t kMaxPendingReplies = 4096;
  static constexpr std::size_t kMaxUnsentBytes = 4 << 20;
  // An overlong line is answered with ERR toolong at once and the rest of it is dropped
  // up to its LF; once this much more arrived without one, the client is not speaking
  // the protocol: what is pending is answered and the connection closed.
  static constexpr std::size_t kMaxDroppedBytes = 1 << 20;

  // Replies finished on other threads come back through `mailbox`.
  Session(Socket socket, Service& service, IoMailbox& mailbox);
  void Start();
  // Closes the connection now (shutdown).
  void Close();
  const PeerInfo& peer() const { return peer_; }

 private:
  void Read();
  void HandleLines();
  void Deliver(uint64_t seq, std::string line);
  void Write();
  bool Backlogged() const;
  void MaybeFinish();

  Socket socket_;
  Service& service_;
  IoMailbox& mailbox_;
  PeerInfo peer_;
  protocol::LineReader reader_;
  std::array<char, 64 * 1024> buf_;
  std::deque<std::optional<std::string>> slots_;  // replies, in request order
  uint64_t next_seq_ = 0;   // sequence number of the next request
  uint64_t front_seq_ = 0;  // sequence number of slots_.front()
  std::string out_;         // replies ready to write
  std::string writing_;     // replies being written
  bool reading_ = false;
  bool eof_ = false;
  bool closed_ = false;
};

}  // namespace torque::server
