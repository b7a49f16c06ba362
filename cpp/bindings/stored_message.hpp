// How Python holds the store's records (StoredMessage): they are immutable (a
// change makes a new one), so Python shares them, read-only; its holder keeps
// one count of the record's own (store::MessagePtr is an intrusive pointer).
#pragma once

#include <memory>

#include "mailroom/store/message.hpp"

namespace mailroom::bindings {

using StoredMessagePtr = std::shared_ptr<store::Message>;

inline StoredMessagePtr stored_message(const store::MessagePtr& m) {
  if (!m) return nullptr;
  return StoredMessagePtr(const_cast<store::Message*>(m.get()),
                          [held = m](store::Message*) mutable { held.reset(); });
}

}  // namespace mailroom::bindings
