#ifndef COPENBLAS_SHIM_H
#define COPENBLAS_SHIM_H
// The two OpenBLAS entry points tripbench calls, declared here rather than through <cblas.h>: Debian installs
// that header under a directory per threading variant (openblas-serial, -pthread, -openmp), while
// libopenblas.so on the default library path is whichever variant is installed.

/// C = alpha·op(A)·op(B) + beta·C; the enums are CBLAS's (row-major 101; no transpose 111, transpose 112).
void cblas_sgemm(int order, int transposeA, int transposeB, int m, int n, int k, float alpha, const float *a,
                 int lda, const float *b, int ldb, float beta, float *c, int ldc);

/// Threads OpenBLAS itself may start for one call (a no-op in the serial variant).
void openblas_set_num_threads(int threads);
#endif
