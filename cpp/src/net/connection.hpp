// One accepted client connection, full duplex, on its own strand: bytes from
// the socket into the Session, its output back out in order (each piece
// after its delay), reads going on while output is written, up to
// NetworkOptions::max_queued_output. A deadline on every operation: the idle
// deadline on a read the client owes us (the session's timeout reply), moved
// on by message content at min_data_rate and started again by each reply;
// the same on each write that waits for the socket (closes), moved on by
// what is written; the handshake deadline on TLS handshakes. A write the
// socket takes at once (most replies) involves no timer and no handler.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "mailroom/net/network.hpp"
#include "mailroom/net/session.hpp"

namespace mailroom::net {

class Connection final : public ConnectionRef::Target,
                         public std::enable_shared_from_this<Connection> {
 public:
  using tcp = boost::asio::ip::tcp;
  using Clock = std::chrono::steady_clock;

  // `slot` is released when the connection ends (the caps it counts against).
  Connection(tcp::socket socket, std::shared_ptr<const NetworkOptions> options, bool implicit_tls,
             std::shared_ptr<std::atomic<std::size_t>> active, std::shared_ptr<void> slot = {});
  ~Connection() override;

  // The session the listener's factory made for this connection; before start().
  void attach(std::unique_ptr<Session> session) { session_ = std::move(session); }
  // The greeting (after the handshake on implicit TLS), or the refusal when
  // the server is over its cap.
  void start(bool over_limit);
  // Any thread: close on the connection's strand.
  void shutdown();

  void post(ConnectionRef::Task fn) override;
  void notify() override;

 private:
  void begin(bool over_limit);
  void take(Outputs& out);
  void pump();
  void start_read();
  void on_read(boost::system::error_code ec, std::size_t n);
  // Feeds the session what codec_in_ holds decoded, while its output fits.
  void feed_decoded();
  void start_write();
  bool write_next();
  void write_done(std::size_t bytes, bool close_after, bool start_tls);
  void consume_buffers(std::size_t n);
  void update_read_deadline();
  std::chrono::milliseconds idle_timeout() const;
  void wait_read_deadline(std::uint64_t generation);
  void wait_write_deadline(std::uint64_t generation);
  void on_read_deadline();
  template <class Then>
  void handshake(Then then);
  void cancel_read();
  void finish();  // close_notify inside TLS, then close
  void close();
  void end_session();
  void run_on_strand(ConnectionRef::Task fn);

  tcp::socket socket_;
  std::shared_ptr<const NetworkOptions> options_;
  std::unique_ptr<boost::asio::ssl::stream<tcp::socket&>> tls_;  // once the handshake began
  boost::asio::steady_timer read_timer_;
  boost::asio::steady_timer write_timer_;  // writes and handshakes
  boost::asio::steady_timer delay_timer_;
  std::shared_ptr<std::atomic<std::size_t>> active_;
  std::unique_ptr<Session> session_;
  std::shared_ptr<Connection> keep_alive_;  // while the session is paused
  bool implicit_tls_;

  // Grows while reads fill it (up to kMaxRead) and shrinks back when they do
  // not, so an idle connection holds kMinRead, not 64 KiB. What it held is
  // consumed by each read, so a new size is a new block: nothing is copied
  // over and nothing zeroed.
  static constexpr std::size_t kMinRead = 2048, kMaxRead = 64 * 1024;
  static constexpr std::size_t kMaxWrite = 64 * 1024;  // per write call
  std::unique_ptr<char[]> buffer_ = std::make_unique_for_overwrite<char[]>(kMinRead);
  std::size_t buffer_size_ = kMinRead;
  void resize_buffer(std::size_t size) {
    buffer_ = std::make_unique_for_overwrite<char[]>(size);
    buffer_size_ = size;
  }
  std::shared_ptr<void> slot_;
  std::deque<Output> queue_;
  std::size_t queued_bytes_ = 0;
  std::vector<Output> inflight_;  // being written; owns what buffers_ point to
  std::vector<boost::asio::const_buffer> buffers_;
  // A StreamCodec (Output::codec): input goes through codec_in_ from the
  // moment the session asks; output through codec_out_ once the asking
  // piece is written. `encoded_` holds a write's encoded octets.
  std::shared_ptr<StreamCodec> codec_in_, codec_out_;
  std::string encoded_;

  bool reading_ = false;
  bool writing_ = false;
  bool delaying_ = false;
  bool handshaking_ = false;
  bool upgrade_due_ = false;     // an Output with start_tls is queued or written
  bool upgrade_ready_ = false;   // ... and written: handshake once no read is pending
  bool eof_ = false;             // the client's input is over
  bool input_over_ = false;      // an Output with close_after is queued
  bool timed_out_ = false;
  bool closing_ = false;         // a closing Output was written
  bool closing_tls_ = false;
  bool closed_ = false;
  bool ended_ = false;
  bool read_deadline_armed_ = false;
  bool replied_ = false;  // output was written since the read deadline was last set
  std::uint64_t read_deadline_generation_ = 0;
  Clock::time_point read_deadline_;
  Clock::time_point write_deadline_;
  std::uint64_t write_generation_ = 0;
};

}  // namespace mailroom::net
