#include "server/session.h"

#include <sys/socket.h>

#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "core/protocol.h"

namespace torque::server {

Session::Session(Socket socket, Service& service, IoMailbox& mailbox)
    : socket_(std::move(socket)), service_(service), mailbox_(mailbox), reader_(protocol::kMaxLine) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(socket_.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
    peer_.uid = static_cast<int>(cred.uid);
    peer_.pid = static_cast<int>(cred.pid);
  }
}

void Session::Start() { Read(); }

void Session::Close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ec;
  socket_.close(ec);
}

bool Session::Backlogged() const {
  return slots_.size() >= kMaxPendingReplies || out_.size() >= kMaxUnsentBytes;
}

void Session::Read() {
  if (reading_ || eof_ || closed_ || Backlogged()) return;
  reading_ = true;
  socket_.async_read_some(boost::asio::buffer(buf_), [self = shared_from_this()](auto ec, std::size_t n) {
    self->reading_ = false;
    if (ec) {
      // EOF or error: answer what was asked (a last line without LF counts), then close.
      self->eof_ = true;
      if (self->reader_.buffered() > 0) {
        self->reader_.Feed("\n");
        self->HandleLines();
      }
      self->MaybeFinish();
      return;
    }
    self->reader_.Feed(std::string_view(self->buf_.data(), n));
    self->HandleLines();
    if (self->reader_.dropping() > kMaxDroppedBytes) {
      spdlog::warn("client pid {} sent a line of over {} bytes without a line feed; "
                   "disconnecting it",
                   self->peer_.pid, protocol::kMaxLine + kMaxDroppedBytes);
      self->eof_ = true;  // read no more: answer what was asked, then close
      self->MaybeFinish();
      return;
    }
    self->Read();
  });
}

void Session::HandleLines() {
  while (!Backlogged()) {
    auto line = reader_.Next();
    if (!line) return;
    const uint64_t seq = next_seq_++;
    slots_.emplace_back();
    if (line->too_long) {
      Deliver(seq, protocol::FormatError(protocol::ErrorWord::kTooLong,
                                         "line exceeds " + std::to_string(protocol::kMaxLine) +
                                             " bytes"));
      continue;
    }
    auto parsed = protocol::ParseRequest(line->text);
    if (auto* err = std::get_if<protocol::ProtocolError>(&parsed)) {
      Deliver(seq, protocol::FormatError(err->word, err->text));
      continue;
    }
    auto self = shared_from_this();
    service_.Handle(std::get<protocol::Request>(parsed), peer_,
                    [self, seq](std::string reply) {
                      self->mailbox_.Run([self, seq, reply = std::move(reply)]() mutable {
                        self->Deliver(seq, std::move(reply));
                      });
                    });
  }
}

void Session::Deliver(uint64_t seq, std::string line) {
  slots_[seq - front_seq_] = std::move(line);
  while (!slots_.empty() && slots_.front()) {
    out_ += *slots_.front();
    out_ += '\n';
    slots_.pop_front();
    ++front_seq_;
  }
  Write();
}

void Session::Write() {
  if (closed_ || !writing_.empty() || out_.empty()) {
    MaybeFinish();
    return;
  }
  writing_.swap(out_);
  boost::asio::async_write(socket_, boost::asio::buffer(writing_),
                           [self = shared_from_this()](auto ec, std::size_t) {
                             self->writing_.clear();
                             if (ec) {
                               self->Close();
                               return;
                             }
                             self->Write();
                             // Space again: lines already buffered, then the socket.
                             self->HandleLines();
                             self->Read();
                           });
}

void Session::MaybeFinish() {
  if (eof_ && !reading_ && slots_.empty() && out_.empty() && writing_.empty()) {
    Close();
  }
}

}  // namespace torque::server
