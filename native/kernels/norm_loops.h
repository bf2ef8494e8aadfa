// Batch-norm and layer-norm loops, compiled in every ISA unit (included by simd/isa_body.inc inside
// the unit's namespace, so only headers the prelude has included). kernels/norm.cc validates the
// arguments and runs these over fixed blocks of channels, rows or columns. Every sum runs in double
// in one fixed order per channel, row or column, so the results are the same on every ISA and for
// any blocking or thread count; the elementwise passes are left to the vectorizer.
#pragma once

// acc[c - c0] += sum over the block's rows of term(value, c), in the fixed (i, j) order.
template <typename Term>
static void channel_sums(const BnShape& a, ptrdiff_t c0, ptrdiff_t c1, double* acc, Term&& term) {
  for (ptrdiff_t c = c0; c < c1; ++c) acc[c - c0] = 0;
  if (a.l == 1) {  // [N, C]: the same order, with a loop over channels the compiler can vectorise
    for (ptrdiff_t i = 0; i < a.n; ++i)
      for (ptrdiff_t c = c0; c < c1; ++c) acc[c - c0] += term(i * a.c + c, c);
    return;
  }
  for (ptrdiff_t i = 0; i < a.n; ++i) {
    for (ptrdiff_t c = c0; c < c1; ++c) {
      const ptrdiff_t o = (i * a.c + c) * a.l;
      double s = acc[c - c0];
      for (ptrdiff_t j = 0; j < a.l; ++j) s += term(o + j, c);
      acc[c - c0] = s;
    }
  }
}

// Channels [c0, c1) (at most kBnChannelRun of them): statistics in training, then y.
template <typename T>
static void bn_forward_block(const BnShape& a, ptrdiff_t c0, ptrdiff_t c1, T* y, T* smean, T* sinvstd,
                             const T* x, const T* w, const T* b, T* rmean, T* rvar, double eps,
                             double momentum) {
  const double m = double(a.n * a.l);
  double mean[kBnChannelRun], scale[kBnChannelRun], sq[kBnChannelRun];
  if (a.training) {
    channel_sums(a, c0, c1, mean, [&](ptrdiff_t k, ptrdiff_t) { return double(x[k]); });
    for (ptrdiff_t c = c0; c < c1; ++c) mean[c - c0] /= m;
    channel_sums(a, c0, c1, sq, [&](ptrdiff_t k, ptrdiff_t c) {
      const double d = double(x[k]) - mean[c - c0];
      return d * d;
    });
  }
  for (ptrdiff_t c = c0; c < c1; ++c) {
    double mu, var;
    if (a.training) {
      mu = mean[c - c0];
      var = sq[c - c0] / m;
      if (rmean != nullptr) {
        rmean[c] = T((1 - momentum) * double(rmean[c]) + momentum * mu);
        rvar[c] = T((1 - momentum) * double(rvar[c]) + momentum * (sq[c - c0] / (m - 1)));
      }
    } else {
      mu = double(rmean[c]);
      var = double(rvar[c]);
    }
    const double invstd = 1.0 / std::sqrt(var + eps);
    smean[c] = T(mu);
    sinvstd[c] = T(invstd);
    mean[c - c0] = mu;
    scale[c - c0] = w ? double(w[c]) * invstd : invstd;
    sq[c - c0] = b ? double(b[c]) : 0.0;  // now the shift
  }
  for (ptrdiff_t i = 0; i < a.n; ++i) {
    for (ptrdiff_t c = c0; c < c1; ++c) {
      const ptrdiff_t o = (i * a.c + c) * a.l;
      const double mu = mean[c - c0], sc = scale[c - c0], sh = sq[c - c0];
      for (ptrdiff_t j = 0; j < a.l; ++j) y[o + j] = T((double(x[o + j]) - mu) * sc + sh);
    }
  }
}

// Channels [c0, c1): the weight and bias gradients, then gx (when given).
template <typename T>
static void bn_backward_block(const BnShape& a, ptrdiff_t c0, ptrdiff_t c1, T* gx, T* gw, T* gb,
                              const T* g, const T* x, const T* w, const T* smean, const T* sinvstd) {
  const double m = double(a.n * a.l);
  double sg[kBnChannelRun], sgx[kBnChannelRun];  // sums of g and of g * (x - mean)
  channel_sums(a, c0, c1, sg, [&](ptrdiff_t k, ptrdiff_t) { return double(g[k]); });
  channel_sums(a, c0, c1, sgx, [&](ptrdiff_t k, ptrdiff_t c) { return double(g[k]) * (double(x[k]) - double(smean[c])); });
  for (ptrdiff_t c = c0; c < c1; ++c) {
    sgx[c - c0] *= double(sinvstd[c]);
    if (gw) gw[c] = T(sgx[c - c0]);
    if (gb) gb[c] = T(sg[c - c0]);
  }
  if (!gx) return;
  for (ptrdiff_t i = 0; i < a.n; ++i) {
    for (ptrdiff_t c = c0; c < c1; ++c) {
      const ptrdiff_t o = (i * a.c + c) * a.l;
      const double mean = double(smean[c]), invstd = double(sinvstd[c]);
      const double k = (w ? double(w[c]) : 1.0) * invstd;
      const double mg = a.training ? sg[c - c0] / m : 0.0, mgx = a.training ? sgx[c - c0] / m : 0.0;
      for (ptrdiff_t j = 0; j < a.l; ++j) {
        const double xhat = (double(x[o + j]) - mean) * invstd;
        gx[o + j] = T(k * (double(g[o + j]) - mg - xhat * mgx));
      }
    }
  }
}

// Rows [r0, r1) of a [rows, cols] layer norm.
template <typename T>
static void ln_forward_rows(ptrdiff_t r0, ptrdiff_t r1, ptrdiff_t cols, T* y, T* smean, T* sinvstd,
                            const T* x, const T* w, const T* b, double eps) {
  for (ptrdiff_t r = r0; r < r1; ++r) {
      const T* p = x + r * cols;
      T* q = y + r * cols;
      double s = 0;
      for (ptrdiff_t j = 0; j < cols; ++j) s += double(p[j]);
      const double mean = s / double(cols);
      double s2 = 0;
      for (ptrdiff_t j = 0; j < cols; ++j) {
        const double d = double(p[j]) - mean;
        s2 += d * d;
      }
      const double invstd = 1.0 / std::sqrt(s2 / double(cols) + eps);
      smean[r] = T(mean);
      sinvstd[r] = T(invstd);
      for (ptrdiff_t j = 0; j < cols; ++j) {
        double v = (double(p[j]) - mean) * invstd;
        if (w) v *= double(w[j]);
        if (b) v += double(b[j]);
        q[j] = T(v);
      }
  }
}

// gx for rows [r0, r1).
template <typename T>
static void ln_backward_rows(ptrdiff_t r0, ptrdiff_t r1, ptrdiff_t cols, T* gx, const T* g, const T* x,
                             const T* w, const T* smean, const T* sinvstd) {
  for (ptrdiff_t r = r0; r < r1; ++r) {
      const ptrdiff_t o = r * cols;
      const double mean = double(smean[r]), invstd = double(sinvstd[r]);
      double sdy = 0, sdyx = 0;  // sums of dxhat and dxhat * xhat, with dxhat = g * w
      for (ptrdiff_t j = 0; j < cols; ++j) {
        const double dy = double(g[o + j]) * (w ? double(w[j]) : 1.0);
        sdy += dy;
        sdyx += dy * (double(x[o + j]) - mean) * invstd;
      }
      const double mdy = sdy / double(cols), mdyx = sdyx / double(cols);
      for (ptrdiff_t j = 0; j < cols; ++j) {
        const double dy = double(g[o + j]) * (w ? double(w[j]) : 1.0);
        const double xhat = (double(x[o + j]) - mean) * invstd;
        gx[o + j] = T(invstd * (dy - mdy - xhat * mdyx));
      }
  }
}

// gw and gb (either may be null) for columns [c0, c1) (at most kLnColBlock), summed over every row in order.
template <typename T>
static void ln_backward_cols(ptrdiff_t c0, ptrdiff_t c1, ptrdiff_t rows, ptrdiff_t cols, T* gw, T* gb,
                             const T* g, const T* x, const T* smean, const T* sinvstd) {
  double aw[kLnColBlock], ab[kLnColBlock];
  std::fill(aw, aw + kLnColBlock, 0.0);
  std::fill(ab, ab + kLnColBlock, 0.0);
  for (ptrdiff_t r = 0; r < rows; ++r) {
    const double mean = double(smean[r]), invstd = double(sinvstd[r]);
    const T* gr = g + r * cols;
    const T* xr = x + r * cols;
    for (ptrdiff_t j = c0; j < c1; ++j) {
      aw[j - c0] += double(gr[j]) * (double(xr[j]) - mean) * invstd;
      ab[j - c0] += double(gr[j]);
    }
  }
  for (ptrdiff_t j = c0; j < c1; ++j) {
    if (gw) gw[j] = T(aw[j - c0]);
    if (gb) gb[j] = T(ab[j - c0]);
  }
}
