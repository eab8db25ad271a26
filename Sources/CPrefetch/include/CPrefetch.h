#ifndef TRIPBENCH_CPREFETCH_H
#define TRIPBENCH_CPREFETCH_H

/// Asks the CPU to bring the cache line holding `address` into all cache levels, without waiting for it.
/// Swift has no prefetch intrinsic; this inlines into Swift callers as one `prefetcht0` (or `prfm` on arm64).
static inline __attribute__((always_inline)) void tripbench_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
