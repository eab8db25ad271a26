#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <sys/prctl.h>
#include <time.h>
#include "CPoll.h"

int tripbench_poll_nanos(struct pollfd *fds, unsigned long count, long long timeout_nanos) {
    struct timespec timeout = {timeout_nanos / 1000000000LL, timeout_nanos % 1000000000LL};
    int ready;
    do {
        ready = ppoll(fds, count, timeout_nanos < 0 ? NULL : &timeout, NULL);
    } while (ready < 0 && errno == EINTR);
    return ready;
}

int tripbench_precise_timers(void) {
    return prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
}
