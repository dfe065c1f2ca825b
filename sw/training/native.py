"""Optional compiled LIF loops (and spike pooling) for the CPU: a few lines of C built once with the system compiler.

The fused kernel (:mod:`~sc_neurocore.training.lif_kernel`) spends its CPU time in the step
loop: NumPy or torch need four or five whole-array passes per step.  The C loop below does one
pass per step, element by element (storing ``u - theta``, what the backward pass needs, when
``x_out`` is given), with the same arithmetic in the same order as the NumPy loop and the generic
cell (``d = beta * v; u = d + I`` -- no fused multiply-add, ``-ffp-contract=off``), so its spikes
and membranes equal the NumPy path's bit for bit.

The backward pass of the LIF sequence is one pass too (``lif_backward_<surrogate>``: the surrogate's derivative,
the products and the reverse recurrence), and both directions' loops are built for AVX2 beside the baseline.

It also holds the elementwise step of the recurrent LIF layer (:mod:`~sc_neurocore.training.recurrent_kernel`),
max pooling of spikes, forward and backward (:mod:`~sc_neurocore.training.pooling`), and the
convolution of spikes (:mod:`~sc_neurocore.training.spike_conv`).

The library is compiled on first use with ``$CC`` (else ``cc``/``gcc``), no torch headers, and
cached under ``$SC_NEUROCORE_CACHE`` (default ``~/.cache/sc_neurocore``), keyed by a hash of the
source and flags; it is called through :mod:`ctypes` on the tensors' data pointers.  Without a
compiler, or with ``SC_NEUROCORE_NATIVE=0``, :func:`library` returns ``None`` and the NumPy path
runs instead.  :data:`status` says which happened.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["library", "status", "SOURCE", "reuse_freed_memory"]

SOURCE = r"""
#include <stddef.h>
/* The vector loops are built twice on x86-64 Linux, for AVX2 and for the baseline, and the loader picks
   the one the CPU runs (GCC's target_clones); elsewhere once.  No fused multiply-add either way
   (-ffp-contract=off): the same values from both. */
#if defined(__x86_64__) && defined(__linux__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef VECTOR_CLONES
#define VECTOR_CLONES
#endif
/* One LIF step over m neurons; the body vectorises (see FLAGS). */
#define LIF_STEP(T_)                                                                       \
    for (long i = 0; i < m; i++) {                                                         \
        T_ d = beta * prev[i];                                                             \
        T_ x = d + in[i];                                                                  \
        T_ sp = x > theta ? (T_)1 : (T_)0;                                                 \
        u[i] = x - theta;                                                                  \
        s[i] = sp;                                                                         \
        v[i] = x - sp * theta;                                                             \
    }
#define LIF_FORWARD(NAME, T_)                                                              \
VECTOR_CLONES void NAME(const T_ *restrict cur, long cur_step, const T_ *restrict v0, T_ *restrict x_out, \
          T_ *restrict s_out, T_ *restrict v_out, T_ *restrict scratch, long steps, long m,  \
          T_ beta, T_ theta)                                                               \
{                                                                                          \
    for (long t = 0; t < steps; t++) {                                                     \
        const T_ *restrict in = cur + t * cur_step;                                        \
        const T_ *restrict prev = t ? v_out + (t - 1) * m : v0;                            \
        T_ *restrict s = s_out + t * m;                                                    \
        T_ *restrict v = v_out + t * m;                                                    \
        T_ *restrict u = x_out ? x_out + t * m : scratch;                                  \
        LIF_STEP(T_)                                                                       \
    }                                                                                      \
}
#define LIF_REVERSE(NAME, T_)                                                              \
VECTOR_CLONES void NAME(T_ *restrict r, long steps, long m, T_ beta)                       \
{                                                                                          \
    for (long t = steps - 2; t >= 0; t--) {                                                \
        T_ *restrict a = r + t * m;                                                        \
        const T_ *restrict b = r + (t + 1) * m;                                            \
        for (long i = 0; i < m; i++) { T_ d = beta * b[i]; a[i] = a[i] + d; }              \
    }                                                                                      \
}
/* Max pooling, k x k windows at stride k over planes of h x w (the last h % k rows and w % k columns
   dropped), as max_pool2d: the running maximum is replaced only by a strictly greater value, so the
   backward routes each window's gradient to its first maximum in row-major order. */
#define POOL_FORWARD(NAME, T_)                                                             \
void NAME(const T_ *restrict s, T_ *restrict out, long planes, long h, long w, long k)     \
{                                                                                          \
    long ho = h / k, wo = w / k;                                                           \
    for (long p = 0; p < planes; p++) {                                                    \
        const T_ *restrict sp = s + p * h * w;                                             \
        for (long i = 0; i < ho; i++) {                                                    \
            T_ *restrict o = out + (p * ho + i) * wo;                                      \
            for (long j = 0; j < wo; j++) {                                                \
                T_ m = sp[i * k * w + j * k];                                              \
                for (long dy = 0; dy < k; dy++)                                            \
                    for (long dx = 0; dx < k; dx++) {                                      \
                        T_ x = sp[(i * k + dy) * w + j * k + dx];                          \
                        if (x > m) m = x;                                                  \
                    }                                                                      \
                o[j] = m;                                                                  \
            }                                                                              \
        }                                                                                  \
    }                                                                                      \
}
#define POOL_BACKWARD(NAME, T_)                                                            \
void NAME(const T_ *restrict s, const T_ *restrict g, T_ *restrict gin, long planes, long h, \
          long w, long k)                                                                  \
{                                                                                          \
    long ho = h / k, wo = w / k;                                                           \
    for (long p = 0; p < planes; p++) {                                                    \
        const T_ *restrict sp = s + p * h * w;                                             \
        T_ *restrict gp = gin + p * h * w;                                                 \
        for (long n = 0; n < h * w; n++) gp[n] = 0;                                        \
        for (long i = 0; i < ho; i++)                                                      \
            for (long j = 0; j < wo; j++) {                                                \
                long at = i * k * w + j * k;                                               \
                T_ m = sp[at];                                                             \
                for (long dy = 0; dy < k; dy++)                                            \
                    for (long dx = 0; dx < k; dx++) {                                      \
                        long q = (i * k + dy) * w + j * k + dx;                            \
                        if (sp[q] > m) { m = sp[q]; at = q; }                              \
                    }                                                                      \
                gp[at] = g[(p * ho + i) * wo + j];                                         \
            }                                                                              \
    }                                                                                      \
}
/* Convolution of a sparse input (spikes), stride 1, ``pad`` zeros on each side: every nonzero input value adds
   its product with a kernel column to the outputs it reaches.  The kernels come transposed, wt[c][ky][kx][o];
   each image's outputs are summed in acc[y][x][o] (channels last, so the inner loop runs over o), starting
   from +0, in the order (c, ky, kx) for every output, then the bias is added: out[n][o][y][x]. */
/* a[o] += v * x[o] for o < n (in T_, each product rounded), in blocks of 16 with a fixed trip count so that
   the compiler emits whole vectors; v == 1 skips the multiplication (1 * x == x). */
#define AXPY(T_, a, x, v, n)                                                               \
    {                                                                                      \
        long o_ = 0;                                                                       \
        if (v == 1) {                                                                      \
            for (; o_ + 16 <= n; o_ += 16)                                                 \
                for (long j_ = 0; j_ < 16; j_++) a[o_ + j_] = a[o_ + j_] + (T_)x[o_ + j_]; \
            for (; o_ < n; o_++) a[o_] = a[o_] + (T_)x[o_];                                \
        } else {                                                                           \
            for (; o_ + 16 <= n; o_ += 16)                                                 \
                for (long j_ = 0; j_ < 16; j_++) {                                         \
                    T_ p_ = v * (T_)x[o_ + j_];                                            \
                    a[o_ + j_] = a[o_ + j_] + p_;                                          \
                }                                                                          \
            for (; o_ < n; o_++) { T_ p_ = v * (T_)x[o_]; a[o_] = a[o_] + p_; }            \
        }                                                                                  \
    }
/* The kernel taps (ky0..ky1, kx0..kx1) through which input (iy, ix) reaches an output position (shared by the
   forward and the kernel gradient). */
#define KERNEL_WINDOW                                                                      \
    long ky0 = iy + pad - ho + 1, ky1 = iy + pad;                                          \
    long kx0 = ix + pad - wo + 1, kx1 = ix + pad;                                          \
    if (ky0 < 0) ky0 = 0;                                                                  \
    if (ky1 > k - 1) ky1 = k - 1;                                                          \
    if (kx0 < 0) kx0 = 0;                                                                  \
    if (kx1 > k - 1) kx1 = k - 1;
#define SPIKE_CONV_FORWARD(NAME, T_)                                                       \
VECTOR_CLONES void NAME(const T_ *restrict s, const T_ *restrict wt, const T_ *restrict bias, T_ *restrict out, \
          T_ *restrict acc, long n, long c_in, long h, long w, long c_out, long k, long pad) \
{                                                                                          \
    long ho = h + 2 * pad - k + 1, wo = w + 2 * pad - k + 1, plane = ho * wo;              \
    for (long img = 0; img < n; img++) {                                                   \
        const T_ *restrict si = s + img * c_in * h * w;                                    \
        for (long q = 0; q < plane * c_out; q++) acc[q] = 0;                               \
        for (long c = 0; c < c_in; c++)                                                    \
            for (long iy = 0; iy < h; iy++)                                                \
                for (long ix = 0; ix < w; ix++) {                                          \
                    T_ val = si[(c * h + iy) * w + ix];                                    \
                    if (val == 0) continue;                                                \
                    KERNEL_WINDOW                                                          \
                    for (long ky = ky0; ky <= ky1; ky++)                                   \
                        for (long kx = kx0; kx <= kx1; kx++) {                             \
                            const T_ *restrict wv = wt + ((c * k + ky) * k + kx) * c_out;  \
                            T_ *restrict a = acc + ((iy + pad - ky) * wo + ix + pad - kx) * c_out; \
                            AXPY(T_, a, wv, val, c_out)                                    \
                        }                                                                  \
                }                                                                          \
        T_ *restrict oi = out + img * c_out * plane;                                       \
        for (long o = 0; o < c_out; o++) {                                                 \
            T_ b = bias ? bias[o] : 0;                                                     \
            for (long q = 0; q < plane; q++) oi[o * plane + q] = bias ? acc[q * c_out + o] + b : acc[q * c_out + o]; \
        }                                                                                  \
    }                                                                                      \
}
/* Its kernel and bias gradients from the output gradient g[n][o][y][x], summed in double: dwt[c][ky][kx][o]
   (transposed as above) and db[o] (NULL: not wanted), both zeroed by the caller; gl is a scratch image of g,
   channels last. */
#define SPIKE_CONV_WGRAD(NAME, T_)                                                         \
VECTOR_CLONES void NAME(const T_ *restrict s, const T_ *restrict g, double *restrict dwt, double *restrict db, \
          T_ *restrict gl, long n, long c_in, long h, long w, long c_out, long k, long pad) \
{                                                                                          \
    long ho = h + 2 * pad - k + 1, wo = w + 2 * pad - k + 1, plane = ho * wo;              \
    for (long img = 0; img < n; img++) {                                                   \
        const T_ *restrict si = s + img * c_in * h * w;                                    \
        const T_ *restrict gi = g + img * c_out * plane;                                   \
        for (long o = 0; o < c_out; o++)                                                   \
            for (long q = 0; q < plane; q++) gl[q * c_out + o] = gi[o * plane + q];        \
        if (db)                                                                            \
            for (long q = 0; q < plane; q++)                                               \
                for (long o = 0; o < c_out; o++) db[o] += (double)gl[q * c_out + o];       \
        for (long c = 0; c < c_in; c++)                                                    \
            for (long iy = 0; iy < h; iy++)                                                \
                for (long ix = 0; ix < w; ix++) {                                          \
                    double val = (double)si[(c * h + iy) * w + ix];                        \
                    if (val == 0) continue;                                                \
                    KERNEL_WINDOW                                                          \
                    for (long ky = ky0; ky <= ky1; ky++)                                   \
                        for (long kx = kx0; kx <= kx1; kx++) {                             \
                            double *restrict dw = dwt + ((c * k + ky) * k + kx) * c_out;   \
                            const T_ *restrict gv = gl + ((iy + pad - ky) * wo + ix + pad - kx) * c_out; \
                            AXPY(double, dw, gv, val, c_out)                               \
                        }                                                                  \
                }                                                                          \
    }                                                                                      \
}
#define COUNT_NONZERO(NAME, T_)                                                            \
long NAME(const T_ *restrict x, long n)                                                    \
{                                                                                          \
    long count = 0;                                                                        \
    for (long i = 0; i < n; i++) count += x[i] != 0;                                       \
    return count;                                                                          \
}
COUNT_NONZERO(count_nonzero_f32, float)
COUNT_NONZERO(count_nonzero_f64, double)
SPIKE_CONV_FORWARD(spike_conv_forward_f32, float)
SPIKE_CONV_FORWARD(spike_conv_forward_f64, double)
SPIKE_CONV_WGRAD(spike_conv_wgrad_f32, float)
SPIKE_CONV_WGRAD(spike_conv_wgrad_f64, double)
/* A LIF population followed by spike pooling, for planes of h x w neurons: each step runs LIF_STEP a row at a
   time (the same arithmetic as lif_forward, so the same spikes), pools each block of k rows as POOL_FORWARD
   does, and keeps per window only what the backward needs: the position of its first maximum (idx, 0..k*k-1,
   row-major) and u - theta there (x_r).  The post-reset membranes live in two buffers of m = planes*h*w
   (v_a, v_b), taken in turn; zeros is m zeros (the membrane before the first step); s_row and x_row are k*w
   scratch; idx and x_r may be NULL (inference). */
#define LIF_POOL_FORWARD(NAME, T_)                                                         \
void NAME(const T_ *restrict cur, long cur_step, const T_ *restrict zeros, T_ *restrict v_a, T_ *restrict v_b, \
          T_ *restrict pooled, T_ *restrict x_r, unsigned char *restrict idx, T_ *restrict s_row, \
          T_ *restrict x_row, long steps, long planes, long h, long w, long k, T_ beta, T_ theta) \
{                                                                                          \
    long ho = h / k, wo = w / k, hw = h * w;                                               \
    for (long t = 0; t < steps; t++) {                                                     \
        const T_ *restrict cur_t = cur + t * cur_step;                                     \
        const T_ *restrict prev_t = t ? (t % 2 ? v_a : v_b) : zeros;                       \
        T_ *restrict v_t = t % 2 ? v_b : v_a;                                              \
        for (long p = 0; p < planes; p++) {                                                \
            for (long r = 0; r < h; r++) {                                                 \
                long row = r < ho * k ? r % k : 0;                                         \
                const T_ *restrict in = cur_t + p * hw + r * w;                            \
                const T_ *restrict prev = prev_t + p * hw + r * w;                         \
                T_ *restrict u = x_row + row * w;                                          \
                T_ *restrict s = s_row + row * w;                                          \
                T_ *restrict v = v_t + p * hw + r * w;                                     \
                { long m = w; LIF_STEP(T_) }                                               \
                if (r >= ho * k || row != k - 1) continue;                                 \
                long at_out = ((t * planes + p) * ho + r / k) * wo;                        \
                for (long j = 0; j < wo; j++) {                                            \
                    long at = j * k;                                                       \
                    T_ mx = s_row[at];                                                     \
                    for (long dy = 0; dy < k; dy++)                                        \
                        for (long dx = 0; dx < k; dx++) {                                  \
                            long q = dy * w + j * k + dx;                                  \
                            if (s_row[q] > mx) { mx = s_row[q]; at = q; }                  \
                        }                                                                  \
                    pooled[at_out + j] = mx;                                               \
                    if (idx) {                                                             \
                        idx[at_out + j] = (unsigned char)((at / w) * k + at % w - j * k);  \
                        x_r[at_out + j] = x_row[at];                                       \
                    }                                                                      \
                }                                                                          \
            }                                                                              \
        }                                                                                  \
    }                                                                                      \
}
/* The pooled gradient g (planes x ho x wo) routed to the positions idx names; zeros elsewhere (out: h x w). */
#define UNPOOL_INDEXED(NAME, T_)                                                           \
void NAME(const T_ *restrict g, const unsigned char *restrict idx, T_ *restrict out, long planes, long h, \
          long w, long k)                                                                  \
{                                                                                          \
    long ho = h / k, wo = w / k;                                                           \
    for (long p = 0; p < planes; p++) {                                                    \
        T_ *restrict op = out + p * h * w;                                                 \
        for (long n = 0; n < h * w; n++) op[n] = 0;                                        \
        for (long i = 0; i < ho; i++)                                                      \
            for (long j = 0; j < wo; j++) {                                                \
                long at = (p * ho + i) * wo + j, d = idx[at];                              \
                op[(i * k + d / k) * w + j * k + d % k] = g[at];                           \
            }                                                                              \
    }                                                                                      \
}
LIF_POOL_FORWARD(lif_pool_forward_f32, float)
LIF_POOL_FORWARD(lif_pool_forward_f64, double)
UNPOOL_INDEXED(unpool_indexed_f32, float)
UNPOOL_INDEXED(unpool_indexed_f64, double)
POOL_FORWARD(pool_forward_f32, float)
POOL_FORWARD(pool_forward_f64, double)
POOL_BACKWARD(pool_backward_f32, float)
POOL_BACKWARD(pool_backward_f64, double)
/* A surrogate's derivative at x = u - theta into out, by the same operations in the same order as its torch
   function in surrogates.py (k1, k2: its constants, recurrent_kernel._NATIVE_SURROGATES). */
#define SG_ATAN(T_, out, x) { T_ a_ = (x) * k1; a_ = a_ * a_; a_ = a_ + (T_)1; a_ = (T_)1 / a_; out = a_ * k2; }
#define SG_FAST_SIGMOID(T_, out, x) { T_ a_ = (x) < 0 ? -(x) : (x); a_ = a_ * k1; a_ = a_ + (T_)1; a_ = a_ * a_; \
                                      a_ = (T_)1 / a_; out = a_ * k2; }
#define SG_SUPERSPIKE(T_, out, x) { T_ a_ = (x) < 0 ? -(x) : (x); a_ = a_ * k1; a_ = a_ + (T_)1; a_ = a_ * a_; \
                                    out = (T_)1 / a_; }
/* One step of the recurrent LIF layer (recurrent_kernel.py), the order of recurrent_lif_step: u = beta * prev + in,
   then u = u + rec (rec = s[t-1] @ W_rec.T, computed by the caller); fire at u > theta, subtract reset; x gets
   u - theta, s and s2 (a second copy, the next step's product operand) the spikes.  prev NULL: the zero membrane
   (u = in); rec NULL: no recurrent current (the zero spikes). */
#define RLIF_BODY(T_, U_)                                                                  \
    for (long i = 0; i < m; i++) {                                                         \
        T_ a = U_;                                                                         \
        T_ sp = a > theta ? (T_)1 : (T_)0;                                                 \
        x[i] = a - theta;                                                                  \
        s[i] = sp;                                                                         \
        s2[i] = sp;                                                                        \
        v[i] = a - sp * theta;                                                             \
    }
#define RLIF_STEP(NAME, T_)                                                                \
void NAME(const T_ *restrict in, const T_ *restrict prev, const T_ *restrict rec, T_ *restrict s, \
          T_ *restrict s2, T_ *restrict v, T_ *restrict x, long m, T_ beta, T_ theta)      \
{                                                                                          \
    if (prev && rec) RLIF_BODY(T_, ((T_)(beta * prev[i]) + in[i]) + rec[i])                \
    else if (prev) RLIF_BODY(T_, (T_)(beta * prev[i]) + in[i])                             \
    else if (rec) RLIF_BODY(T_, in[i] + rec[i])                                            \
    else RLIF_BODY(T_, in[i])                                                              \
}
RLIF_STEP(rlif_step_f32, float)
RLIF_STEP(rlif_step_f64, double)
/* A backward macro instantiated as NAME_<surrogate>_<f32|f64> for each surrogate the loops know. */
#define FOR_SURROGATES(MACRO, NAME)                                                        \
    MACRO(NAME##_atan_f32, float, SG_ATAN) MACRO(NAME##_atan_f64, double, SG_ATAN)         \
    MACRO(NAME##_fast_sigmoid_f32, float, SG_FAST_SIGMOID)                                 \
    MACRO(NAME##_fast_sigmoid_f64, double, SG_FAST_SIGMOID)                                \
    MACRO(NAME##_superspike_f32, float, SG_SUPERSPIKE)                                     \
    MACRO(NAME##_superspike_f64, double, SG_SUPERSPIKE)
/* One element of a LIF layer's backward: a = (gs + q) * sg(x), kept in c when c is not NULL, then
   d = a + gv + beta * dnext.  gs, q, gv, dnext, c NULL: zeros (no term), nothing kept. */
#define BACKWARD_ELEMENT(T_, SG, x, gs, q, gv, dnext, d, c, i)                            \
    {                                                                                      \
        T_ g_;                                                                             \
        SG(T_, g_, x[i]);                                                                  \
        T_ a = gs ? gs[i] : (T_)0;                                                         \
        if (q) a = a + q[i];                                                               \
        a = a * g_;                                                                        \
        if (c) c[i] = a;                                                                   \
        if (gv) a = a + gv[i];                                                             \
        if (dnext) { T_ b_ = beta * dnext[i]; a = a + b_; }                                \
        d[i] = a;                                                                          \
    }
/* One step of the recurrent LIF layer's backward (recurrent_kernel.py), from the last step to the first
   (q = d[t+1] @ W_rec, computed by the caller). */
#define RLIF_BACKWARD(NAME, T_, SG)                                                        \
VECTOR_CLONES void NAME(const T_ *restrict x, const T_ *restrict gs, const T_ *restrict q, \
          const T_ *restrict gv, const T_ *restrict dnext, T_ *restrict d, T_ *restrict c, long m, \
          T_ beta, T_ k1, T_ k2)                                                           \
{                                                                                          \
    for (long i = 0; i < m; i++) BACKWARD_ELEMENT(T_, SG, x, gs, q, gv, dnext, d, c, i)    \
}
FOR_SURROGATES(RLIF_BACKWARD, rlif_backward)
/* The LIF sequence's backward (lif_kernel.py) over all steps, from the last to the first: BACKWARD_ELEMENT without
   q, and with recur the reverse recurrence's beta * d[t+1] (without it d is lif_kernel's r).  The same operations
   in the same order as the torch path: sg * gs, + gv, + beta * d.  gs_step, gv_step: elements per step (0: one
   slice broadcast over the steps). */
#define LIF_BACKWARD(NAME, T_, SG)                                                         \
VECTOR_CLONES void NAME(const T_ *restrict x, const T_ *restrict gs, long gs_step, const T_ *restrict gv, \
          long gv_step, T_ *restrict d, T_ *restrict c, long steps, long m, long recur, T_ beta, T_ k1, T_ k2) \
{                                                                                          \
    const T_ *restrict none = 0;                                                           \
    for (long t = steps - 1; t >= 0; t--) {                                                \
        const T_ *restrict xt = x + t * m;                                                 \
        const T_ *restrict gst = gs ? gs + t * gs_step : 0;                                \
        const T_ *restrict gvt = gv ? gv + t * gv_step : 0;                                \
        const T_ *restrict dn = recur && t + 1 < steps ? d + (t + 1) * m : 0;              \
        T_ *restrict dt = d + t * m;                                                       \
        T_ *restrict ct = c ? c + t * m : 0;                                               \
        for (long i = 0; i < m; i++) BACKWARD_ELEMENT(T_, SG, xt, gst, none, gvt, dn, dt, ct, i) \
    }                                                                                      \
}
FOR_SURROGATES(LIF_BACKWARD, lif_backward)
LIF_FORWARD(lif_forward_f32, float)
LIF_FORWARD(lif_forward_f64, double)
LIF_REVERSE(lif_reverse_f32, float)
LIF_REVERSE(lif_reverse_f64, double)
"""

#: ``-fno-trapping-math`` lets the compare become a vector blend (it changes no value, only the
#: floating-point exception flags); ``-ffp-contract=off`` keeps multiply and add separately rounded.
FLAGS = ["-O3", "-ffp-contract=off", "-fno-trapping-math", "-shared", "-fPIC"]

#: ``"not loaded"``, ``"loaded <path>"``, ``"disabled (...)"`` or ``"unavailable (...)"``.
status = "not loaded"
_lib = None
_tried = False


def _cache_dir() -> Path:
    root = os.environ.get("SC_NEUROCORE_CACHE")
    if root:
        return Path(root)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "sc_neurocore"


def _compiler() -> str | None:
    for name in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if name and shutil.which(name):
            return name
    return None


def _build(path: Path, compiler: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        src = Path(tmp) / "lif.c"
        src.write_text(SOURCE)
        out = Path(tmp) / path.name
        subprocess.run([compiler, *FLAGS, "-o", str(out), str(src)], check=True, capture_output=True, timeout=120)
        os.replace(out, path)  # atomic: concurrent builders each finish with a complete file


def _bind(lib) -> None:
    c_long, ptr = ctypes.c_long, ctypes.c_void_p
    for suffix, real in (("f32", ctypes.c_float), ("f64", ctypes.c_double)):
        fwd = getattr(lib, f"lif_forward_{suffix}")
        fwd.argtypes = [ptr, c_long, ptr, ptr, ptr, ptr, ptr, c_long, c_long, real, real]
        fwd.restype = None
        rev = getattr(lib, f"lif_reverse_{suffix}")
        rev.argtypes = [ptr, c_long, c_long, real]
        rev.restype = None
        pool = getattr(lib, f"pool_forward_{suffix}")
        pool.argtypes = [ptr, ptr, c_long, c_long, c_long, c_long]
        pool.restype = None
        unpool = getattr(lib, f"pool_backward_{suffix}")
        unpool.argtypes = [ptr, ptr, ptr, c_long, c_long, c_long, c_long]
        unpool.restype = None
        conv = getattr(lib, f"spike_conv_forward_{suffix}")
        conv.argtypes = [ptr, ptr, ptr, ptr, ptr] + [c_long] * 7
        conv.restype = None
        wgrad = getattr(lib, f"spike_conv_wgrad_{suffix}")
        wgrad.argtypes = [ptr, ptr, ptr, ptr, ptr] + [c_long] * 7
        wgrad.restype = None
        fused = getattr(lib, f"lif_pool_forward_{suffix}")
        fused.argtypes = [ptr, c_long] + [ptr] * 8 + [c_long] * 5 + [real, real]
        fused.restype = None
        route = getattr(lib, f"unpool_indexed_{suffix}")
        route.argtypes = [ptr, ptr, ptr] + [c_long] * 4
        route.restype = None
        for surrogate in ("atan", "fast_sigmoid", "superspike"):
            rback = getattr(lib, f"rlif_backward_{surrogate}_{suffix}")
            rback.argtypes = [ptr] * 7 + [c_long, real, real, real]
            rback.restype = None
            back = getattr(lib, f"lif_backward_{surrogate}_{suffix}")
            back.argtypes = [ptr, ptr, c_long, ptr, c_long, ptr, ptr, c_long, c_long, c_long, real, real, real]
            back.restype = None
        rstep = getattr(lib, f"rlif_step_{suffix}")
        rstep.argtypes = [ptr] * 7 + [c_long, real, real]
        rstep.restype = None
        count = getattr(lib, f"count_nonzero_{suffix}")
        count.argtypes = [ptr, c_long]
        count.restype = c_long


def library():
    """The loaded ``ctypes`` library, or ``None`` (see :data:`status`)."""
    global _lib, _tried, status
    if _tried:
        return _lib
    _tried = True
    if os.environ.get("SC_NEUROCORE_NATIVE", "1") == "0":
        status = "disabled (SC_NEUROCORE_NATIVE=0)"
        return None
    compiler = _compiler()
    if compiler is None:
        status = "unavailable (no C compiler)"
        return None
    digest = hashlib.sha256((SOURCE + " ".join(FLAGS)).encode()).hexdigest()[:16]
    path = _cache_dir() / f"lif_{digest}.so"
    try:
        if not path.exists():
            _build(path, compiler)
        lib = ctypes.CDLL(str(path))
        _bind(lib)
    except (OSError, subprocess.SubprocessError, AttributeError) as exc:
        status = f"unavailable ({type(exc).__name__}: {exc})"
        return None
    _lib = lib
    status = f"loaded {path}"
    return _lib


#: glibc's ``mallopt`` parameters (``malloc.h``).
_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4
_malloc_tuned: bool | None = None


def reuse_freed_memory() -> bool:
    """Let freed tensor memory be reused instead of returned to the system and faulted in again (glibc only).

    glibc serves every allocation above 32 MiB with a fresh ``mmap`` and unmaps it on free, so a tensor that
    size costs a page fault per 4 KiB page on every batch -- the ``(T, batch, ...)`` buffers of a conv net's
    first layer are 44 MiB at batch 64 and T = 25, and the faults were half of an epoch's time on the CPU
    (``docs/bench/conv_training.md``).  This sets ``M_MMAP_MAX = 0`` (allocations come from the heap, which
    falls back to ``mmap`` by itself when it cannot grow) and ``M_TRIM_THRESHOLD`` to 2 GiB (up to that much
    freed memory stays with the process).  It changes how memory is obtained, never a value.  Process-wide and
    idempotent; :func:`~sc_neurocore.training.train_epoch` and ``evaluate`` call it.  ``SC_NEUROCORE_MALLOC=0``,
    another C library or a failing ``mallopt`` leave the allocator alone.  Returns whether the setting is on.
    """
    global _malloc_tuned
    if _malloc_tuned is not None:
        return _malloc_tuned
    _malloc_tuned = False
    if os.environ.get("SC_NEUROCORE_MALLOC", "1") == "0":
        return False
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 - glibc's own symbol: not musl, not macOS
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    _malloc_tuned = bool(mallopt(_M_MMAP_MAX, 0)) and bool(mallopt(_M_TRIM_THRESHOLD, 2**31 - 1))
    return _malloc_tuned
