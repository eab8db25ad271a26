#ifndef TRIPBENCH_CPOLL_H
#define TRIPBENCH_CPOLL_H

#include <poll.h>

/// `ppoll` with a timeout in nanoseconds (negative: wait indefinitely), restarted after a signal.
/// Swift's Glibc module hides `ppoll` (a GNU extension) and `poll` only takes milliseconds: an open-loop
/// schedule at 2,000 requests per second needs sub-millisecond wake-ups, or every request starts late.
int tripbench_poll_nanos(struct pollfd *fds, unsigned long count, long long timeout_nanos);

/// Lets the kernel wake the calling thread within 1 ns of a timeout instead of grouping its timers into the
/// default 50 µs of slack, so a request due at t is sent at t plus the wake-up latency, not up to 50 µs later.
/// Returns 0, or -1 with errno set.
int tripbench_precise_timers(void);

#endif
