// Giving freed heap back to the system. glibc keeps what is freed in its
// arenas (one per thread that allocated), so a process's resident memory
// stays at its peak after a burst (a large Maildir read, thousands of
// connections gone) unless asked; elsewhere a no-op.
#pragma once

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace mailroom {

// Returns free pages of every arena to the system (malloc_trim(0): the top
// of each heap and the free pages inside it). Takes milliseconds on a large
// heap and holds each arena's lock meanwhile: call it after a burst, not on
// a hot path.
inline void return_free_memory() {
#ifdef __GLIBC__
  ::malloc_trim(0);
#endif
}

}  // namespace mailroom
