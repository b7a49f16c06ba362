// What a connection of the network layer drives: a protocol Session, made by
// the listener's SessionFactory for each accepted client. The network layer
// knows no protocol; a session knows no socket. No Asio in this header.
//
// Adding a protocol (say IMAP) is then three pieces:
//   1. a sans-IO state machine (cpp/src/imap): bytes in, replies out;
//   2. an engine handler and the traits that make it a net::Session
//      (cpp/src/engine/imap_service.cpp, with engine::ProtocolService: the
//      session's settings for a connection, how to make one);
//   3. one listener entry, ListenerOptions{"imap", Protocol::Imap,
//      TlsMode::StartTls, host, 143}, and its factory in Server::start().
//
// A connection is full duplex: it reads while replies are being written, up
// to a bound on queued output (a client that sends and never reads stops
// being read), and writes whatever the session produces, also unprompted:
// ConnectionRef::notify() (any thread) wakes the session on the connection's
// strand, where on_notify() may append output (an IMAP IDLE update, a live
// HTTP event). A session whose handler answers later (a Python hook, an
// fsync) reports paused(): the connection stops feeding it, and
// ConnectionRef::post() brings the answer back onto the strand.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mailroom::net {

// A transformation of every byte of a connection both ways, between TLS
// (below it) and the session (above it): IMAP's COMPRESS=DEFLATE (RFC 4978
// §4: TLS first, then compression). What is received is kept by the codec
// until the connection reads it back decoded, in bounded pieces, so input
// that expands a thousandfold still reaches the session a little at a time.
class StreamCodec {
 public:
  virtual ~StreamCodec() = default;
  // Octets read from the peer.
  virtual void received(std::string_view wire) = 0;
  // Appends up to `max` decoded octets to `out`; returns how many (0: it
  // needs more input). Throws std::runtime_error for octets that do not
  // decode; the connection then stops reading and closes.
  virtual std::size_t decoded(std::string& out, std::size_t max) = 0;
  // Whether decoded() may give more without more input.
  virtual bool pending() const = 0;
  // Octets for the peer appended to `wire`; `flush`: everything so far must
  // be decodable by the peer once `wire` is sent.
  virtual void encode(std::string_view data, bool flush, std::string& wire) = 0;
};

// One piece of output, written in order: `bytes`, then `*body` when set,
// then `tail`.
struct Output {
  std::string bytes;
  std::shared_ptr<const std::string> body;
  std::string_view tail;       // a static string
  std::uint32_t delay_ms = 0;  // wait this long before writing it
  bool close_after = false;    // close the connection once written
  bool start_tls = false;      // begin the TLS handshake once written
  // From the next octet read on, and for all output after this one, every
  // byte goes through `codec` (this one is written as it is).
  std::shared_ptr<StreamCodec> codec;

  std::size_t size() const { return bytes.size() + (body ? body->size() : 0) + tail.size(); }
};

using Outputs = std::vector<Output>;

// The protocol side of one connection. Every call comes on the connection's
// strand, never two at once.
class Session {
 public:
  virtual ~Session() = default;
  // The first words (a greeting); after the handshake on implicit TLS.
  virtual void greet(Outputs& out) = 0;
  // Instead of greet() when the server is over its connection cap: a
  // closing reply ("421 Too many connections").
  virtual void refuse(Outputs& out) = 0;
  // Bytes read from the client (any split).
  virtual void feed(std::string_view data, Outputs& out) = 0;
  // The TLS handshake finished (after an Output with start_tls, or before
  // greet() on implicit TLS).
  virtual void tls_established() = 0;
  // The client sent nothing for the idle deadline: a closing reply.
  virtual void on_timeout(Outputs& out) = 0;
  // ConnectionRef::notify() was called: output the session may have now.
  virtual void on_notify(Outputs& /*out*/) {}
  // The client is sending a message body or another bulk transfer (SMTP
  // DATA and BDAT chunks; an IMAP APPEND literal, an HTTP request body):
  // what it reads buys time at NetworkOptions::min_data_rate.
  virtual bool receiving_data() const { return false; }
  // How many octets of output wait to be written, after each change: a
  // session that writes unprompted (live events) stops adding to a backlog
  // its client does not read.
  virtual void output_queued(std::size_t /*octets*/) {}
  // Waiting for a handler's answer: feed() is not called meanwhile.
  virtual bool paused() const { return false; }
  // How long the client may stay silent before on_timeout(); zero: the
  // network's idle_timeout. (IMAP's autologout is at least 30 minutes, RFC
  // 9051 §5.4.) The network's stress mode still shortens it.
  virtual std::chrono::milliseconds idle_timeout() const { return std::chrono::milliseconds{0}; }
  // The protocol is over: no more input is read; close once written.
  virtual bool closed() const = 0;
  // Called once, when the protocol is over or the connection closes.
  virtual void ended() {}
};

// A handle on one connection that any thread may hold; it does not keep the
// connection alive, and what it posts is dropped once the connection is gone.
class ConnectionRef {
 public:
  // Runs `fn` on the connection's strand while the connection lives; what
  // it appends is written like the session's other output.
  using Task = std::function<void(Outputs& out)>;
  class Target {
   public:
    virtual ~Target() = default;
    virtual void post(Task fn) = 0;
    virtual void notify() = 0;
  };

  ConnectionRef() = default;
  explicit ConnectionRef(std::weak_ptr<Target> t) : target_(std::move(t)) {}
  void post(Task fn) const {
    if (auto t = target_.lock()) t->post(std::move(fn));
  }
  // Wakes the session: Session::on_notify() on the strand.
  void notify() const {
    if (auto t = target_.lock()) t->notify();
  }

 private:
  std::weak_ptr<Target> target_;
};

// The client of a new connection, for the factory.
struct Peer {
  std::string address;  // "ip:port" / "[v6]:port"
  ConnectionRef connection;
};

// Makes the session of each accepted connection of a listener.
using SessionFactory = std::function<std::unique_ptr<Session>(const Peer& peer)>;

}  // namespace mailroom::net
