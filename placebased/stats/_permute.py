"""Numba kernels for permutation inference (conditional and total randomisation).

Random numbers come from splitmix64 streams seeded per area (local statistics) or per
permutation (global Moran) from :class:`numpy.random.SeedSequence`, so a result depends only on
the seed, never on the number of threads. A local stream can be resumed (:func:`local_crand_rows`
keeps each area's stream state), so sequential (adaptive) draws made in batches for a few areas
are exactly the draws one long run would have made for them. Conditional draws are uniform samples *without
replacement* from the other ``n - 1`` areas (the area itself is excluded), as in esda's ``crand``;
esda reuses one set of draws for every area, here each area has its own, which leaves each
area's reference distribution unchanged.

One pass draws the neighbours once per permutation and evaluates both local Moran (LISA) and
Getis-Ord Gi* on that draw, so the two cost little more than one.

All kernels are compiled with ``cache=True`` (on-disk cache beside this module, or in
``NUMBA_CACHE_DIR``); :func:`warm_up` compiles or loads them explicitly.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_MASK32 = np.uint64(0xFFFFFFFF)
_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_TWO32 = np.uint64(0x100000000)


@njit(cache=True, inline="always")
def _mix(x):
    """splitmix64 output function (Steele, Lea & Flood 2014); the stream is ``x += _GAMMA``."""
    z = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True, inline="always")
def _lemire(u32, mm):
    """Map a 32-bit uniform ``u32`` to ``[0, mm)``; also return the low word for the rejection test."""
    prod = u32 * mm
    return prod >> np.uint64(32), prod & _MASK32


@njit(parallel=True, cache=True, error_model="numpy")
def local_crand_rows(
    zy,
    indptr,
    w_lisa,
    w_gi,
    gi_self,
    obs_lisa,
    obs_gi,
    state,
    rows,
    counts,
    lisa_scale,
    gi_scale,
    larger,
    moments,
    keep_rows,
    kept,
):
    """Conditional randomisation of local Moran and Gi* in one pass, for the areas ``rows``.

    Area ``rows[j]`` makes ``counts[j]`` more draws, continuing its own random stream from
    ``state`` (so draws made in several calls are the draws one call would make), and adds its
    tail counts and moments to ``larger`` and ``moments`` (both updated in place, as is ``state``).

    Parameters
    ----------
    zy : float64[n, 2]
        Standardised values (column 0, for LISA) and raw values (column 1, for Gi*), interleaved
        so that one random draw touches one cache line.
    indptr : int64[n + 1]
        CSR row pointer of the weights without self-loops (which neighbours they are does not
        matter under conditional randomisation: only how many and with what weights).
    w_lisa, w_gi : float64[nnz]
        Neighbour weights for LISA (row-standardised) and for Gi* (row-standardised with self).
    gi_self : float64[n]
        Gi* self-weight of each area.
    obs_lisa, obs_gi : float64[n]
        Observed statistics (the draws are compared with these).
    state : uint64[n, 3]
        Each area's stream: counter, spare 32-bit word, whether the spare is unused (1) or not (0).
    rows, counts : int64[m]
        The areas that draw and how many draws each makes.
    lisa_scale, gi_scale : float
        ``(n - 1) / sum(z**2)`` and ``1 / sum(y)``.
    larger : int64[n, 2]
        Draws >= observed (LISA, Gi*), accumulated.
    moments : float64[n, 4]
        Sum and sum of squares of (draw - observed) for LISA and for Gi*, accumulated.
    keep_rows : int64[n]
        Row of ``kept`` for areas whose draws are stored, else -1.
    kept : float64[n_keep, 2, c]
        The stored draws (the first ``c`` of each call).
    """
    n = zy.shape[0]
    m = np.uint64(n - 1)
    threshold = (_TWO32 - m) % m
    keep_len = kept.shape[2]
    for j in prange(rows.shape[0]):
        i = rows[j]
        start = indptr[i]
        k = indptr[i + 1] - start
        if k == 0:
            continue
        s = state[i, 0]
        spare = state[i, 1]
        have = state[i, 2] != 0
        picks = np.empty(k, dtype=np.int64)
        zi = zy[i, 0] * lisa_scale
        gself = gi_self[i] * zy[i, 1]
        ol = obs_lisa[i]
        og = obs_gi[i]
        row = keep_rows[i]
        ge_l = 0
        ge_g = 0
        s_l = 0.0
        ss_l = 0.0
        s_g = 0.0
        ss_g = 0.0
        for r in range(counts[j]):
            lag = 0.0
            gsum = gself
            for t in range(k):
                while True:
                    if have:
                        u = spare
                        have = False
                    else:
                        s += _GAMMA
                        v = _mix(s)
                        u = v >> np.uint64(32)
                        spare = v & _MASK32
                        have = True
                    x, low = _lemire(u, m)
                    if low < threshold:
                        continue
                    x = np.int64(x)
                    if x >= i:
                        x += 1
                    dup = False
                    for q in range(t):
                        if picks[q] == x:
                            dup = True
                            break
                    if not dup:
                        break
                picks[t] = x
                lag += w_lisa[start + t] * zy[x, 0]
                gsum += w_gi[start + t] * zy[x, 1]
            sl = zi * lag
            sg = gsum * gi_scale
            if sl >= ol:
                ge_l += 1
            if sg >= og:
                ge_g += 1
            d = sl - ol
            s_l += d
            ss_l += d * d
            d = sg - og
            s_g += d
            ss_g += d * d
            if row >= 0 and r < keep_len:
                kept[row, 0, r] = sl
                kept[row, 1, r] = sg
        state[i, 0] = s
        state[i, 1] = spare
        state[i, 2] = np.uint64(1) if have else np.uint64(0)
        larger[i, 0] += ge_l
        larger[i, 1] += ge_g
        moments[i, 0] += s_l
        moments[i, 1] += ss_l
        moments[i, 2] += s_g
        moments[i, 3] += ss_g


def local_state(seeds: np.ndarray) -> np.ndarray:
    """Fresh per-area stream states (``uint64[n, 3]``) for :func:`local_crand_rows` from ``seeds``."""
    state = np.zeros((len(seeds), 3), dtype=np.uint64)
    state[:, 0] = seeds
    return state


def local_crand(zy, indptr, w_lisa, w_gi, gi_self, obs_lisa, obs_gi, seeds, permutations, lisa_scale, gi_scale,
                keep_rows, n_keep):
    """``permutations`` draws for every area from fresh streams ``seeds`` (see :func:`local_crand_rows`).

    Returns ``larger`` (int64[n, 2]), ``moments`` (float64[n, 4]) and ``kept``
    (float64[n_keep, 2, permutations], the reference distributions of the areas with
    ``keep_rows >= 0``; one empty row when ``n_keep`` is 0).
    """
    n = zy.shape[0]
    larger = np.zeros((n, 2), dtype=np.int64)
    moments = np.zeros((n, 4), dtype=np.float64)
    kept = np.zeros((max(n_keep, 1), 2, permutations if n_keep else 0), dtype=np.float64)
    rows = np.arange(n, dtype=np.int64)
    local_crand_rows(zy, indptr, w_lisa, w_gi, gi_self, obs_lisa, obs_gi, local_state(seeds), rows,
                     np.full(n, int(permutations), dtype=np.int64), float(lisa_scale), float(gi_scale), larger, moments,
                     np.asarray(keep_rows, dtype=np.int64), kept)
    return larger, moments, kept


@njit(parallel=True, cache=True)
def moran_crand(z, indptr, indices, data, seeds):
    """Total randomisation of global Moran: ``sum_i zp_i * sum_j w_ij zp_j`` for each permutation.

    Each permutation ``r`` shuffles ``z`` (Fisher-Yates) with its own stream ``seeds[r]``.
    """
    n = z.shape[0]
    permutations = seeds.shape[0]
    out = np.empty(permutations, dtype=np.float64)
    for r in prange(permutations):
        s = seeds[r]
        zp = z.copy()
        for i in range(n - 1, 0, -1):
            mm = np.uint64(i + 1)
            while True:
                s += _GAMMA
                j, low = _lemire(_mix(s) >> np.uint64(32), mm)
                if low >= mm or low >= (_TWO32 - mm) % mm:
                    break
            j = np.int64(j)
            tmp = zp[i]
            zp[i] = zp[j]
            zp[j] = tmp
        acc = 0.0
        for i in range(n):
            lag = 0.0
            for p in range(indptr[i], indptr[i + 1]):
                lag += data[p] * zp[indices[p]]
            acc += zp[i] * lag
        out[r] = acc
    return out


def stream_seeds(seed: int, count: int, key: int) -> np.ndarray:
    """``count`` independent 64-bit seeds derived from ``seed`` (``key`` separates uses)."""
    return np.random.SeedSequence([int(seed), int(key)]).generate_state(max(int(count), 1), dtype=np.uint64)


def warm_up() -> None:
    """Compile (or load from the on-disk cache) every kernel on a tiny input."""
    z = np.array([-1.0, 0.0, 1.0])
    indptr = np.array([0, 1, 3, 4], dtype=np.int64)
    indices = np.array([1, 0, 2, 1], dtype=np.int64)
    w = np.array([1.0, 0.5, 0.5, 1.0])
    seeds = stream_seeds(0, 3, 0)
    zy = np.column_stack([z, z + 2.0])
    local_crand(zy, indptr, w, w / 2, np.full(3, 0.5), z, z, seeds, 9, 1.0, 1.0,
                np.full(3, -1, dtype=np.int64), 0)
    moran_crand(z, indptr, indices, w, stream_seeds(0, 9, 1))
