// Fused-loss loops, compiled in every ISA unit (included by simd/isa_body.inc after unary.h and
// reduce_loops.h, inside the unit's namespace, so only headers the prelude has included):
// cross-entropy over rows [r0, r1) of [N, C, S] logits (kernels/loss.cc splits the rows into fixed
// blocks and adds the blocks' partial sums in block order) and BCE-with-logits chunk loops.
#pragma once
#include <limits>

// The largest logit of a row (stride S); a NaN logit makes the row's sum of exponentials NaN anyway.
template <typename T>
static inline T row_max(const T* x, ptrdiff_t C, ptrdiff_t S) {
  // Four independent chains: a single running max is one long dependency chain.
  const T lo = -std::numeric_limits<T>::infinity();
  T m0 = lo, m1 = lo, m2 = lo, m3 = lo;
  ptrdiff_t c = 0;
  for (; c + 4 <= C; c += 4) {
    const T a = x[c * S], b = x[(c + 1) * S], d = x[(c + 2) * S], e = x[(c + 3) * S];
    m0 = a > m0 ? a : m0;
    m1 = b > m1 ? b : m1;
    m2 = d > m2 ? d : m2;
    m3 = e > m3 ? e : m3;
  }
  for (; c < C; ++c) m0 = x[c * S] > m0 ? x[c * S] : m0;
  m0 = m1 > m0 ? m1 : m0;
  m2 = m3 > m2 ? m3 : m2;
  return m2 > m0 ? m2 : m0;
}

// d[c] = (x[c] - m) - shift in T: the max m is a logit, so x - m is the exactly rounded difference, and
// shift (0 or the row's log Σ exp) is small, which keeps float32 accurate for logits of any size.
template <typename T>
static inline void load_shifted(T* d, const T* x, ptrdiff_t C, ptrdiff_t S, T m, T shift) {
  if (S == 1) {
    for (ptrdiff_t c = 0; c < C; ++c) d[c] = (x[c] - m) - shift;
  } else {
    for (ptrdiff_t c = 0; c < C; ++c) d[c] = (x[c * S] - m) - shift;
  }
}

// Rows [r0, r1): lse[r], the row losses (out, when given) and their sums added to *loss_sum and
// *weight_sum in row order; d and e are scratch buffers of C values.
template <typename T>
static void ce_forward_rows(const CEParams& p, ptrdiff_t r0, ptrdiff_t r1, const T* x, const T* w,
                            const int32_t* labels, const T* probs, T* out, double* lse, double* loss_sum,
                            double* weight_sum, T* d, T* e) {
  const ptrdiff_t C = p.C, S = p.S;
  const double keep = 1 - p.eps, spread = p.eps / double(C);
  for (ptrdiff_t r = r0; r < r1; ++r) {
    const ptrdiff_t base = (r / S) * C * S + r % S;
    int32_t t = 0;
    if (labels) {
      t = labels[r];
      if (t == p.ignore) {
        if (out) out[r] = T(0);
        lse[r] = 0;
        continue;
      }
    }
    const T m = row_max(x + base, C, S);
    load_shifted(d, x + base, C, S, m, T(0));
    unary_loop<T>(U_EXP, e, 1, d, 1, C, UnaryParams{});
    const double logs = std::log(sum_run<T>(e, 1, C));
    lse[r] = double(m) + logs;
    double loss, rw;
    if (labels) {
      rw = w ? double(w[t]) : 1.0;
      loss = keep * rw * (logs - double(d[t]));
      if (p.eps > 0) {
        double sm = 0;
        for (ptrdiff_t c = 0; c < C; ++c) sm += (w ? double(w[c]) : 1.0) * (logs - double(d[c]));
        loss += spread * sm;
      }
    } else {
      rw = 1;
      loss = 0;
      const T* y = probs + base;
      for (ptrdiff_t c = 0; c < C; ++c) {
        const double yc = keep * double(y[c * S]) + spread;
        loss += (w ? double(w[c]) : 1.0) * yc * (logs - double(d[c]));
      }
    }
    if (out) out[r] = static_cast<T>(loss);
    *loss_sum += loss;
    *weight_sum += rw;
  }
}

// gx = g_r·(softmax·A - B) for rows [r0, r1); g_r = gr[r]·scale, or scale when gr is null; wsum is
// the sum of the class weights (C without weights); d and e are scratch buffers of C values.
template <typename T>
static void ce_backward_rows(const CEParams& p, ptrdiff_t r0, ptrdiff_t r1, T* gx, const T* x,
                             const T* w, const int32_t* labels, const T* probs, const T* gr,
                             const double* lse, double scale, double wsum, T* d, T* e) {
  const ptrdiff_t C = p.C, S = p.S;
  const double keep = 1 - p.eps, spread = p.eps / double(C);
  for (ptrdiff_t r = r0; r < r1; ++r) {
    const ptrdiff_t base = (r / S) * C * S + r % S;
    T* g = gx + base;
    if (labels && labels[r] == p.ignore) {
      for (ptrdiff_t c = 0; c < C; ++c) g[c * S] = T(0);
      continue;
    }
    const double gs = gr ? double(gr[r]) * scale : scale;
    const T m = row_max(x + base, C, S);
    load_shifted(d, x + base, C, S, m, static_cast<T>(lse[r] - double(m)));
    unary_loop<T>(U_EXP, e, 1, d, 1, C, UnaryParams{});
    if (labels) {
      // g·(p_c·A - ε/C·w_c) for every class in T, then the target entry (which also loses g·(1-ε)·w_t) in double.
      const int32_t t = labels[r];
      const double wt = w ? double(w[t]) : 1.0;
      const double A = keep * wt + spread * wsum;
      const T ga = static_cast<T>(gs * A), gb = static_cast<T>(gs * spread);
      if (S == 1 && w) {
        for (ptrdiff_t c = 0; c < C; ++c) g[c] = ga * e[c] - gb * w[c];
      } else if (S == 1) {
        for (ptrdiff_t c = 0; c < C; ++c) g[c] = ga * e[c] - gb;
      } else {
        for (ptrdiff_t c = 0; c < C; ++c) g[c * S] = ga * e[c] - gb * (w ? w[c] : T(1));
      }
      g[t * S] = static_cast<T>(gs * (double(e[t]) * A - spread * (w ? double(w[t]) : 1.0) - keep * wt));
    } else {
      const T* y = probs + base;
      double A = 0;
      for (ptrdiff_t c = 0; c < C; ++c) A += (w ? double(w[c]) : 1.0) * (keep * double(y[c * S]) + spread);
      for (ptrdiff_t c = 0; c < C; ++c) {
        const double B = (w ? double(w[c]) : 1.0) * (keep * double(y[c * S]) + spread);
        g[c * S] = static_cast<T>(gs * (double(e[c]) * A - B));
      }
    }
  }
}

template <typename T>
static void bce_loss_chunk(T* __restrict l, const T* __restrict x, const T* __restrict y, const T* __restrict lp,
                           const T* __restrict lw, const T* __restrict wv, ptrdiff_t m) {
  for (ptrdiff_t k = 0; k < m; ++k) {
    const T sp = (x[k] < T(0) ? -x[k] : T(0)) + lp[k];  // softplus(-x) = max(-x, 0) + log1p(e^-|x|)
    l[k] = ((T(1) - y[k]) * x[k] + lw[k] * sp) * wv[k];
  }
}

// Branch-free (vectorizable) chunk loop: sigmoid(-x) = (x >= 0 ? z : 1) / (1 + z) with z = e^-|x|.
template <typename T>
static void bce_grad_chunk(T* __restrict g, const T* __restrict x, const T* __restrict y, const T* __restrict z,
                           const T* __restrict lw, const T* __restrict wv, T sc, ptrdiff_t m) {
  for (ptrdiff_t k = 0; k < m; ++k) {
    const T num = x[k] >= T(0) ? z[k] : T(1);
    const T sig_neg = num / (T(1) + z[k]);
    g[k] = ((T(1) - y[k]) - lw[k] * sig_neg) * wv[k] * sc;
  }
}

