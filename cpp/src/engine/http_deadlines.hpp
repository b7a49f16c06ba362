// Deadlines for answers given later (an HTTP long poll that times out): one
// thread for the whole process, started on first use, that runs each
// callback once its time comes. Callbacks must be quick (post to a
// connection's strand) and must hold nothing that dies with a server.
#pragma once

#include <chrono>
#include <functional>

namespace mailroom::engine {

void run_after(std::chrono::milliseconds delay, std::function<void()> callback);

}  // namespace mailroom::engine
