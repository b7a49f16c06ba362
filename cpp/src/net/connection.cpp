#include "connection.hpp"

#include "server_tls.hpp"

namespace mailroom::net {

namespace asio = boost::asio;
namespace ssl = asio::ssl;

namespace {

// `octets` moved in a transfer: `deadline` moves octets / rate seconds on,
// never past `limit` from now and never back (Postfix's smtpd_min_data_rate).
// Without a rate, each read or write gives `limit` from now.
void move_deadline(Connection::Clock::time_point& deadline, std::size_t octets, std::size_t rate,
                   Connection::Clock::duration limit) {
  const auto cap = Connection::Clock::now() + limit;
  auto moved = cap;
  if (rate > 0)
    moved = std::min(cap, deadline + std::chrono::duration_cast<Connection::Clock::duration>(
                                         std::chrono::duration<double>(double(octets) / double(rate))));
  deadline = std::max(deadline, moved);
}

}  // namespace

Connection::Connection(tcp::socket socket, std::shared_ptr<const NetworkOptions> options,
                       bool implicit_tls, std::shared_ptr<std::atomic<std::size_t>> active,
                       std::shared_ptr<void> slot)
    : socket_(std::move(socket)),
      options_(std::move(options)),
      read_timer_(socket_.get_executor()),
      write_timer_(socket_.get_executor()),
      delay_timer_(socket_.get_executor()),
      active_(std::move(active)),
      implicit_tls_(implicit_tls) {
  slot_ = std::move(slot);
  // Writes are tried at once (write_now) and wait for the socket only for
  // what it did not take; reads stay asynchronous.
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
}

Connection::~Connection() {
  end_session();
  --*active_;
}

void Connection::start(bool over_limit) {
  // On the strand: the accept handler runs elsewhere.
  auto self = shared_from_this();
  asio::post(socket_.get_executor(), [self, over_limit] { self->begin(over_limit); });
}

void Connection::begin(bool over_limit) {
  Outputs out;
  if (over_limit) {
    session_->refuse(out);
  } else if (implicit_tls_) {
    // RFC 8314 §3: the handshake comes first, then the greeting inside TLS.
    return handshake([this] {
      session_->tls_established();
      Outputs greeting;
      session_->greet(greeting);
      take(greeting);
    });
  } else {
    session_->greet(out);
  }
  take(out);
  pump();
}

void Connection::shutdown() {
  auto self = shared_from_this();
  asio::post(socket_.get_executor(), [self] { self->close(); });
}

void Connection::run_on_strand(ConnectionRef::Task fn) {
  auto self = shared_from_this();
  asio::post(socket_.get_executor(), [self, fn = std::move(fn)] {
    if (self->closed_) return;
    Outputs out;
    fn(out);
    self->take(out);
    self->pump();
  });
}

void Connection::post(ConnectionRef::Task fn) { run_on_strand(std::move(fn)); }

void Connection::notify() {
  run_on_strand([this](Outputs& out) { session_->on_notify(out); });
}

void Connection::take(Outputs& out) {
  for (auto& o : out) {
    if (o.start_tls) upgrade_due_ = true;
    if (o.close_after) input_over_ = true;  // nothing after it is read
    if (o.codec) codec_in_ = o.codec;       // the next octet read is encoded
    queued_bytes_ += o.size();
    queue_.push_back(std::move(o));
  }
  out.clear();
  session_->output_queued(queued_bytes_);
  // The record is final as soon as the protocol is done, before the last
  // reply goes out: a client that saw the sign-off finds the whole transcript.
  if (session_->closed()) end_session();
}

void Connection::end_session() {
  if (ended_ || !session_) return;
  ended_ = true;
  session_->ended();
}

// What to do next: write, read, upgrade to TLS or close, in that order.
void Connection::pump() {
  if (closed_ || handshaking_ || closing_tls_) return;
  if (codec_in_ && codec_in_->pending()) feed_decoded();
  const bool over = input_over_ || timed_out_ || eof_ || session_->closed();
  if (over) end_session();
  start_write();
  if (upgrade_ready_) {
    // RFC 3207 §4 / RFC 2595 §4: the handshake starts right after the
    // positive reply; the session drops whatever came meanwhile.
    if (reading_) return cancel_read();
    upgrade_ready_ = upgrade_due_ = false;
    return handshake([this] { session_->tls_established(); });
  }
  if (over && (closing_ || queue_.empty()) && !writing_ && !delaying_) {
    if (reading_) return cancel_read();
    // A client that left gets no close_notify: nobody would read it.
    return eof_ ? close() : finish();
  }
  start_read();
  update_read_deadline();
  // Waiting for a handler, nothing pending may hold the connection: it
  // holds itself until the answer or close().
  if (session_->paused())
    keep_alive_ = shared_from_this();
  else
    keep_alive_.reset();
}

void Connection::start_read() {
  if (reading_ || eof_ || timed_out_ || input_over_ || upgrade_due_ || session_->closed() ||
      session_->paused() || queued_bytes_ >= options_->max_queued_output ||
      (codec_in_ && codec_in_->pending()))
    return;
  reading_ = true;
  auto self = shared_from_this();
  auto done = [self](boost::system::error_code ec, std::size_t n) { self->on_read(ec, n); };
  if (tls_)
    tls_->async_read_some(asio::buffer(buffer_.get(), buffer_size_), std::move(done));
  else
    socket_.async_read_some(asio::buffer(buffer_.get(), buffer_size_), std::move(done));
}

void Connection::on_read(boost::system::error_code ec, std::size_t n) {
  reading_ = false;
  if (closed_) return;
  if (ec) {
    // The client closed (or a cancel for a timeout, an upgrade, a close):
    // what is queued still goes out, then the connection closes.
    if (ec != asio::error::operation_aborted) eof_ = true;
    return pump();
  }
  Outputs out;
  if (codec_in_) {
    codec_in_->received(std::string_view(buffer_.get(), n));
  } else {
    session_->feed(std::string_view(buffer_.get(), n), out);
  }
  // Message content buys time; a command does not (the client owes it
  // within the idle deadline of our last reply, however it trickles).
  if (read_deadline_armed_ && session_->receiving_data())
    move_deadline(read_deadline_, n, options_->min_data_rate, idle_timeout());
  // A full read: more is likely coming (a message body: the largest reads at
  // once); a short one: a command, and the connection goes back to holding little.
  if (n == buffer_size_ && buffer_size_ < kMaxRead)
    resize_buffer(session_->receiving_data() ? kMaxRead : buffer_size_ * 2);
  else if (n < kMinRead / 2 && buffer_size_ > kMinRead)
    resize_buffer(kMinRead);
  take(out);
  pump();
}

void Connection::feed_decoded() {
  // A piece at a time, and only while the replies fit the output bound: a
  // small compressed read may stand for far more commands than that.
  std::string piece;
  while (!session_->closed() && !session_->paused() && !input_over_ &&
         queued_bytes_ < options_->max_queued_output) {
    piece.clear();
    std::size_t got = 0;
    try {
      got = codec_in_->decoded(piece, kMaxRead);
    } catch (const std::exception&) {
      eof_ = true;  // undecodable input: what is queued goes out, then close
      codec_in_.reset();
      break;
    }
    if (got == 0) break;
    Outputs out;
    session_->feed(piece, out);
    if (read_deadline_armed_ && session_->receiving_data())
      move_deadline(read_deadline_, got, options_->min_data_rate, idle_timeout());
    take(out);
  }
}

void Connection::cancel_read() {
  boost::system::error_code ignored;
  socket_.cancel(ignored);
}

// The idle deadline runs while a read is pending and nothing is waiting to be
// written: the client owes us the next command. While we write or wait for a
// handler, it does not.
//
// A reply written while the deadline runs (a write that the socket took at
// once) starts it again from now, without touching the timer: the timer
// still expires at the older time, finds the deadline moved on and waits
// again (wait_read_deadline). Only a deadline earlier than the timer's (a
// shorter idle timeout under stress) sets the timer anew.
void Connection::update_read_deadline() {
  const bool want = reading_ && queue_.empty() && !writing_ && !delaying_;
  if (want && read_deadline_armed_) {
    if (!replied_) return;
    replied_ = false;
    read_deadline_ = Clock::now() + idle_timeout();
    if (read_deadline_ < read_timer_.expiry()) wait_read_deadline(++read_deadline_generation_);
    return;
  }
  replied_ = false;
  if (want == read_deadline_armed_) return;
  read_deadline_armed_ = want;
  const std::uint64_t generation = ++read_deadline_generation_;
  if (!want) {
    read_timer_.cancel();
    return;
  }
  read_deadline_ = Clock::now() + idle_timeout();
  wait_read_deadline(generation);
}

// Postfix's stress mode: past stress_percent of the cap, idle clients get
// stress_idle_timeout, so idle or slow ones cannot hold every slot.
std::chrono::milliseconds Connection::idle_timeout() const {
  auto idle = options_->idle_timeout;
  if (session_ && session_->idle_timeout().count() > 0) idle = session_->idle_timeout();
  if (options_->stress_idle_timeout.count() > 0 &&
      active_->load() * 100 > options_->max_connections * options_->stress_percent)
    idle = std::min(idle, options_->stress_idle_timeout);
  return idle;
}

// Reads move read_deadline_ on without touching the timer; when it fires
// early it waits again for the rest.
void Connection::wait_read_deadline(std::uint64_t generation) {
  read_timer_.expires_at(read_deadline_);
  auto self = shared_from_this();
  read_timer_.async_wait([self, generation](boost::system::error_code ec) {
    if (ec || self->closed_ || generation != self->read_deadline_generation_) return;
    if (Clock::now() < self->read_deadline_) return self->wait_read_deadline(generation);
    self->on_read_deadline();
  });
}

void Connection::wait_write_deadline(std::uint64_t generation) {
  write_timer_.expires_at(write_deadline_);
  auto self = shared_from_this();
  write_timer_.async_wait([self, generation](boost::system::error_code ec) {
    if (ec || !self->writing_ || generation != self->write_generation_) return;
    if (Clock::now() < self->write_deadline_) return self->wait_write_deadline(generation);
    self->close();  // the peer does not drain its replies
  });
}

void Connection::on_read_deadline() {
  read_deadline_armed_ = false;
  Outputs out;
  session_->on_timeout(out);
  take(out);
  timed_out_ = true;
  end_session();
  pump();
}

void Connection::start_write() {
  while (!writing_ && !delaying_ && !closing_ && !upgrade_ready_ && !queue_.empty() && !closed_) {
    if (queue_.front().delay_ms > 0) {
      delaying_ = true;
      delay_timer_.expires_after(std::chrono::milliseconds(queue_.front().delay_ms));
      queue_.front().delay_ms = 0;
      auto self = shared_from_this();
      delay_timer_.async_wait([self](boost::system::error_code e) {
        self->delaying_ = false;
        if (e) return self->close();
        self->pump();
      });
      return;
    }
    if (!write_next()) return;  // the rest waits for the socket
  }
}

// Gathers the consecutive undelayed pieces at the front of the queue into
// one write and writes what the socket takes now (plain TCP; a TLS stream
// writes asynchronously). True when all of it went: the write is over, no
// timer and no handler involved. Otherwise the rest is written
// asynchronously under the write deadline, and false.
bool Connection::write_next() {
  inflight_.clear();
  buffers_.clear();
  bool close_after = false, start_tls = false;
  std::shared_ptr<StreamCodec> codec;  // a piece that starts one ends the write
  while (!queue_.empty() && queue_.front().delay_ms == 0 && !close_after && !start_tls &&
         !codec) {
    close_after = queue_.front().close_after;
    start_tls = queue_.front().start_tls;
    codec = queue_.front().codec;
    inflight_.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  std::size_t bytes = 0;
  encoded_.clear();
  for (std::size_t k = 0; k < inflight_.size(); ++k) {
    const Output& o = inflight_[k];
    bytes += o.size();
    if (codec_out_) {
      // Each write ends in a flush: the peer can read all of it now.
      const bool last = k + 1 == inflight_.size();
      codec_out_->encode(o.bytes, false, encoded_);
      if (o.body) codec_out_->encode(*o.body, false, encoded_);
      codec_out_->encode(o.tail, last, encoded_);
      continue;
    }
    if (!o.bytes.empty()) buffers_.push_back(asio::buffer(o.bytes));
    if (o.body && !o.body->empty()) buffers_.push_back(asio::buffer(*o.body));
    if (!o.tail.empty()) buffers_.push_back(asio::buffer(o.tail.data(), o.tail.size()));
  }
  if (codec_out_) buffers_.push_back(asio::buffer(encoded_));
  if (codec) codec_out_ = std::move(codec);  // for what comes after this write
  if (!tls_) {
    std::size_t left = asio::buffer_size(buffers_);
    boost::system::error_code e;
    // The socket takes what fits in its send buffer; the rest waits.
    while (left > 0) {
      const std::size_t n = socket_.write_some(buffers_, e);
      if (e) break;
      consume_buffers(n);
      left -= n;
    }
    if (left == 0) {
      write_done(bytes, close_after, start_tls);
      return !closed_;
    }
    if (e != asio::error::would_block) {
      write_done(bytes, close_after, start_tls);
      close();
      return false;
    }
  }
  writing_ = true;
  // A stalled write closes after idle_timeout; one that moves at
  // min_data_rate or faster (a large RETR to a slow reader) goes on.
  write_deadline_ = Clock::now() + options_->idle_timeout;
  wait_write_deadline(++write_generation_);
  auto self = shared_from_this();
  auto progress = [self, written = std::size_t{0}](const boost::system::error_code& e,
                                                   std::size_t total) mutable -> std::size_t {
    if (e) return 0;
    if (total > written)
      move_deadline(self->write_deadline_, total - written, self->options_->min_data_rate,
                    self->options_->idle_timeout);
    written = total;
    return kMaxWrite;
  };
  auto done = [self, bytes, close_after, start_tls](boost::system::error_code e, std::size_t) {
    self->writing_ = false;
    self->write_timer_.cancel();
    self->write_done(bytes, close_after, start_tls);
    if (self->closed_) return;
    if (e) return self->close();
    self->pump();
  };
  if (tls_)
    asio::async_write(*tls_, buffers_, std::move(progress), std::move(done));
  else
    asio::async_write(socket_, buffers_, std::move(progress), std::move(done));
  return false;
}

// What a written piece of output leaves to do (closed or not).
void Connection::write_done(std::size_t bytes, bool close_after, bool start_tls) {
  queued_bytes_ -= bytes;
  inflight_.clear();
  if (session_) session_->output_queued(queued_bytes_);
  if (encoded_.capacity() > kMaxWrite) std::string().swap(encoded_);
  replied_ = true;
  if (closed_) return;
  if (close_after) closing_ = true;
  if (start_tls && !tls_) upgrade_ready_ = true;
}

// Drops the first `n` octets of buffers_, written.
void Connection::consume_buffers(std::size_t n) {
  std::size_t whole = 0;
  while (whole < buffers_.size() && n >= buffers_[whole].size()) n -= buffers_[whole++].size();
  buffers_.erase(buffers_.begin(), buffers_.begin() + static_cast<std::ptrdiff_t>(whole));
  if (n > 0 && !buffers_.empty()) buffers_.front() += n;
}

// The TLS handshake on this socket, with its own deadline; `then` runs on
// success, a failure or timeout closes the connection.
template <class Then>
void Connection::handshake(Then then) {
  handshaking_ = true;
  tls_ = std::make_unique<ssl::stream<tcp::socket&>>(socket_, options_->tls->context);
  write_timer_.expires_after(options_->handshake_timeout);
  auto self = shared_from_this();
  write_timer_.async_wait([self](boost::system::error_code ec) {
    if (!ec && self->handshaking_) self->close();  // the handshake took too long
  });
  tls_->async_handshake(ssl::stream_base::server,
                        [self, then = std::move(then)](boost::system::error_code ec) {
                          self->handshaking_ = false;
                          self->write_timer_.cancel();
                          if (ec || self->closed_) return self->close();
                          then();
                          self->pump();
                        });
}

// After the last reply inside TLS: send close_notify (RFC 8446 §6.1) so the
// client sees a clean end rather than a truncation, wait a moment for its
// own, then close.
void Connection::finish() {
  end_session();
  if (!tls_ || closed_) return close();
  closing_tls_ = true;
  auto self = shared_from_this();
  write_timer_.expires_after(std::chrono::seconds(1));
  write_timer_.async_wait([self](boost::system::error_code ec) {
    if (!ec) self->close();
  });
  tls_->async_shutdown([self](boost::system::error_code) { self->close(); });
}

void Connection::close() {
  end_session();
  if (closed_) return;
  closed_ = true;
  keep_alive_.reset();  // the caller's handler holds another reference
  boost::system::error_code ec;
  read_timer_.cancel();
  write_timer_.cancel();
  delay_timer_.cancel();
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

}  // namespace mailroom::net
