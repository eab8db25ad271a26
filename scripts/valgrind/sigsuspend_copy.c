/* Preloaded into tripbench under valgrind (make profile-driver). libdispatch waits in sigsuspend() with a mask
 * that lives in read-only memory, and valgrind 3.19 edits the mask it is handed in place (to keep its own
 * signal deliverable), so it faults and gives up. This passes it a writable copy instead. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>

int sigsuspend(const sigset_t *mask) {
    static int (*next)(const sigset_t *);
    if (!next) next = (int (*)(const sigset_t *))dlsym(RTLD_NEXT, "sigsuspend");
    sigset_t copy = *mask;
    return next(&copy);
}
