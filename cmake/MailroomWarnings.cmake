# The warnings every mailroom translation unit is built with; MAILROOM_WERROR
# makes them errors (CI sets it).
set(MAILROOM_WARNINGS -Wall -Wextra -Wpedantic $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local>
                      -Wno-missing-field-initializers)
if(MAILROOM_WERROR)
  list(APPEND MAILROOM_WARNINGS -Werror)
endif()
