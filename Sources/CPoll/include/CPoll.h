#ifndef TRIPBENCH_CPOLL_H
#define TRIPBENCH_CPOLL_H

#include <poll.h>

/// `ppoll` with a timeout in nanoseconds (negative: wait indefinitely), restarted after a signal.
/// Swift's Glibc module hides `ppoll` (a GNU extension) and `poll` only takes milliseconds: an open-loop
/// schedule at 2,000 requests per second needs sub-millisecond wake-ups, or every request starts late.
int tripbench_poll_nanos(struct pollfd *fds, unsigned long count, long long timeout_nanos);

#endif
