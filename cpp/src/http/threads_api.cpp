// GET /api/mailroom/threads?account=&folder=&start=&limit=: a folder's
// messages as conversations, built by the engine's RFC 5256 REFERENCES
// threading (mime/threading.cpp, the same function as the archive tables'
// thread_id). Threads come newest first (by their latest message), a page
// of `limit` threads at a time; each lists its messages ({Depth, Message}) in thread order
// (RFC 5256 §3 steps 4 and 6: a parent before its children, siblings by
// sent date) with their depth below the thread's top.
#include "mail_api_impl.hpp"
#include "mailroom/mime/threading.hpp"

namespace mailroom::http {

namespace {

struct ThreadedMessage {
  std::uint32_t message;  // index into the folder's messages
  std::uint32_t depth;    // messages above it in its thread
};

// The messages of each thread in pre-order; a dummy (a message referred to
// but absent) adds no depth.
std::vector<std::vector<ThreadedMessage>> thread_members(const mime::Threads& t) {
  std::vector<std::vector<ThreadedMessage>> out(t.roots.size());
  std::vector<std::pair<std::uint32_t, std::uint32_t>> stack;  // node, depth
  for (std::size_t k = 0; k < t.roots.size(); ++k) {
    stack.push_back({t.roots[k], 0});
    while (!stack.empty()) {
      auto [n, depth] = stack.back();
      stack.pop_back();
      const auto& node = t.nodes[n];
      std::uint32_t below = depth;
      if (node.message >= 0) {
        out[k].push_back({static_cast<std::uint32_t>(node.message), depth});
        below = depth + 1;
      }
      for (auto c = node.children.rbegin(); c != node.children.rend(); ++c)
        stack.push_back({*c, below});
    }
  }
  return out;
}

}  // namespace

void MailApi::Impl::add_thread_routes() {
  router.add("GET", "/api/mailroom/threads", [this](Request& r, const PathParams&) {
    const std::uint64_t start = number_param(r, "start", 0, 1u << 30);
    const std::uint64_t limit = number_param(r, "limit", 50, 1000);
    FolderListing f;
    try {
      f = folder_listing(r);
    } catch (const FolderMissing& e) {
      return Answer::now(error_response(404, e.what()));
    }
    // What threading needs of every message; a message without a Date that
    // parses is dated by its arrival (RFC 5256 §2.2: the internal date).
    std::vector<mime::ThreadInput> inputs;
    inputs.reserve(f.messages.size());
    for (const auto& m : f.messages) {
      mime::ThreadInput in;
      if (auto v = view_message(store, m, f.folder, f.status.uidvalidity))
        in = mime::thread_input(*v->parsed);
      if (in.date == 0) in.date = m->internal_date;
      inputs.push_back(std::move(in));
    }
    const mime::Threads threads = mime::thread_references(inputs);
    auto members = thread_members(threads);
    // Newest first: by the latest message's date, then its UID.
    std::vector<std::pair<std::pair<std::int64_t, std::uint32_t>, std::size_t>> order;
    order.reserve(members.size());
    for (std::size_t k = 0; k < members.size(); ++k) {
      std::pair<std::int64_t, std::uint32_t> latest{0, 0};
      for (const auto& tm : members[k])
        latest = std::max(latest, {inputs[tm.message].date, f.messages[tm.message]->uid});
      order.push_back({latest, k});
    }
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return b < a; });
    json::array page;
    for (std::size_t i = start; i < order.size() && page.size() < limit; ++i) {
      json::array messages;
      std::uint64_t unread = 0;
      for (const auto& tm : members[order[i].second]) {
        const auto& m = f.messages[tm.message];
        auto v = view_message(store, m, f.folder, f.status.uidvalidity);
        if (!v) continue;
        if (!(m->flags & store::kSeen)) ++unread;
        messages.push_back(json::object{{"Depth", tm.depth}, {"Message", folder_summary(*v)}});
      }
      page.push_back(json::object{{"Unread", unread}, {"Messages", std::move(messages)}});
    }
    json::object out{{"Account", f.account},    {"Folder", f.folder},
                     {"total", order.size()},   {"messages", f.messages.size()},
                     {"unread", f.status.unseen}, {"start", start},
                     {"count", page.size()},    {"threads", std::move(page)}};
    return Answer::now(json_response(out));
  });
}

}  // namespace mailroom::http
