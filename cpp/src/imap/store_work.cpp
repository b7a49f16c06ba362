// Store work off the session's thread: a command whose store call may wait
// for the disk (a Maildir's fsyncs) gives that call to the Handler, which
// may run it elsewhere (the server's blocking pool). The session is paused
// meanwhile, like a login answered later: what the client sends is held, so
// the next pipelined command starts only after this one's tagged reply, and
// untagged EXISTS/EXPUNGE/FETCH keep the order RFC 9051 §7 asks for. Other
// sessions go on. The state machine itself still does no I/O.
#include <exception>
#include <memory>

#include "mailroom/imap/server_session.hpp"

namespace mailroom::imap {

void ServerSession::run_store(const std::string& tag, std::function<void()> work,
                              std::function<void(std::vector<Output>&)> done,
                              std::vector<Output>& out) {
  auto error = std::make_shared<std::exception_ptr>();
  std::function<void()> job = [work = std::move(work), error] {
    try {
      work();
    } catch (...) {
      *error = std::current_exception();
    }
  };
  auto finish = [this, tag, done = std::move(done), error](std::vector<Output>& o) {
    guarded(
        tag,
        [&] {
          if (*error) std::rethrow_exception(*error);
          done(o);
        },
        o);
  };
  if (auto in_place = handler_.run_store_work(std::move(job))) {
    (*in_place)();
    return finish(out);
  }
  paused_ = true;
  store_done_ = std::move(finish);
}

void ServerSession::resume_store(std::vector<Output>& out) {
  if (!store_done_) return;
  auto finish = std::move(store_done_);
  store_done_ = nullptr;
  paused_ = false;
  if (closed()) return;  // the autologout came first: nothing more to say
  finish(out);
  reply_delay_ms_ = 0;
  uid_command_ = false;
  std::string held = std::move(held_);
  held_.clear();
  if (!held.empty()) feed(held, out);
}

}  // namespace mailroom::imap
