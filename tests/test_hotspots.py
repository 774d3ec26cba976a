"""Moran's I, LISA, Gi*, EB smoothing and multiple testing (placebased.stats.hotspots / smoothing).

Checked against published values (esda and spdep on libpysal's bundled Columbus, St Louis and
SIDS2 data; the Gi* six-point example of esda's tests), against esda run on the same inputs, and
against pygeoda (GeoDa's C++ core) on the shipped Northamptonshire LSOAs. Guerry is not bundled
with libpysal (it needs a download), so its reference values are not used.

Edge cases: zero variance, NaN values, mismatched ids, homogeneous rates for EB, reproducibility
across thread counts, draws without replacement that exclude the area itself.
"""

from __future__ import annotations

import warnings

import esda
import geopandas as gpd
import libpysal
import libpysal.examples as ex
import numba
import numpy as np
import pandas as pd
import pytest
from libpysal.graph import Graph
from scipy import stats

from placebased.errors import ConfigError, DataError
from placebased.io.areas import DataWarning
from placebased.stats.hotspots import getis_ord, hotspots, local_moran, moran, moran_rate, p_cutoff
from placebased.stats.smoothing import assuncao_rate, eb_rate, spatial_eb_rate, variable_values
from placebased.stats.weights import build_weights


@pytest.fixture(scope="module")
def columbus():
    return gpd.read_file(ex.get_path("columbus.shp"))


@pytest.fixture(scope="module")
def queen(columbus):
    return build_weights(columbus, "queen")


@pytest.fixture(scope="module")
def stl():
    df = pd.read_csv(ex.get_path("stl_hom.csv"))
    g = Graph.from_W(libpysal.io.open(ex.get_path("stl.gal")).read())
    return df, g


@pytest.fixture(scope="module")
def sids():
    df = gpd.read_file(ex.get_path("sids2.shp"))
    g = Graph.from_W(libpysal.io.open(ex.get_path("sids2.gal")).read())
    return df, g


def _esda_crand_reference(y, graph, permutations, rng):
    """A numpy port of esda 2.9's conditional randomisation for local Moran (``crand``): one set of
    draws without replacement from the n - 1 other areas, shared by every area. esda's own numba
    engine takes 20-45 s to compile in a fresh process; the real engine is
    compared in the ``slow`` test against real esda."""
    from placebased.stats.weights import graph_arrays

    y = np.asarray(y, dtype=float)
    n = len(y)
    z = (y - y.mean()) / y.std()
    scaling = (n - 1) / (z @ z)
    indptr, _, w, _ = graph_arrays(graph.transform("R"))
    card = np.diff(indptr)
    ids = np.array([rng.choice(n - 1, size=card.max(), replace=False) for _ in range(permutations)])
    sims = np.empty((n, permutations))
    for i in range(n):
        z_no_i = np.delete(z, i)
        zrand = z_no_i[ids[:, : card[i]]]
        sims[i] = z[i] * (zrand @ w[indptr[i] : indptr[i + 1]]) * scaling
    return sims


def _directed(observed, sims):
    larger = (sims >= observed[:, None]).sum(axis=1)
    r = sims.shape[1]
    larger = np.where(r - larger < larger, r - larger, larger)
    return (larger + 1) / (r + 1)


SLOW = pytest.mark.slow  # esda compiles its numba kernels on first use (20-45 s); runs in the suite and CI


def _esda_quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


# ---------------------------------------------------------------------------------------------
# global Moran: published values


def test_columbus_queen_reference(columbus, queen):
    r = moran(columbus["CRIME"], queen, permutations=99)
    assert pytest.approx(0.500188557, abs=1e-9) == r.I
    assert pytest.approx(-0.020833333, abs=1e-9) == r.EI
    assert r.z_rand == pytest.approx(5.5894, abs=1e-4)
    assert r.p_sim == pytest.approx(0.01)  # (0 + 1) / (99 + 1)


def test_columbus_rook_reference(columbus):
    assert pytest.approx(
        0.523670, abs=1e-6
    ) == moran(columbus["CRIME"], build_weights(columbus, "rook"), permutations=0).I


def test_stl_and_sids_references(stl, sids):
    df, g = stl
    assert pytest.approx(0.24365582621771659, rel=1e-12) == moran(df["HR8893"].to_numpy(), g, permutations=0).I
    sd, sg = sids
    assert pytest.approx(0.24772519320480135, rel=1e-12) == moran(sd["SIDR74"].to_numpy(), sg, permutations=0).I
    r = moran_rate(sd["SID79"].to_numpy(), sd["BIR79"].to_numpy(), sg, permutations=99)
    assert r.adjusted and pytest.approx(0.16622343552567395, rel=1e-12) == r.I


def test_moran_matches_esda_analytics(columbus, queen):
    ours = moran(columbus["HOVAL"], queen, permutations=0)
    theirs = _esda_quiet(esda.Moran, columbus["HOVAL"].to_numpy(), queen, permutations=0)
    for name in ("I", "EI", "VI_norm", "z_norm", "p_norm", "VI_rand", "z_rand", "p_rand"):
        assert getattr(ours, name) == pytest.approx(getattr(theirs, name), rel=1e-10), name


def test_moran_permutation_distribution_matches_esda(columbus, queen):
    ours = moran(columbus["CRIME"], queen, permutations=999, seed=1)
    np.random.seed(1)
    theirs = _esda_quiet(esda.Moran, columbus["CRIME"].to_numpy(), queen, permutations=999)
    assert stats.ks_2samp(ours.sim, theirs.sim).pvalue > 0.001
    assert ours.EI_sim == pytest.approx(theirs.EI_sim, abs=0.01)
    assert ours.seI_sim == pytest.approx(theirs.seI_sim, rel=0.1)


# ---------------------------------------------------------------------------------------------
# local statistics against esda on the same inputs


def test_lisa_matches_esda(columbus, queen):
    y = columbus["CRIME"].to_numpy()
    # two-sided alpha 0.10 is esda's directed p <= 0.05, the rule of the reference counts
    ours = local_moran(y, queen, permutations=999, seed=12345, alpha=0.10, correction="none")
    theirs = _esda_quiet(esda.Moran_Local, y, queen, permutations=0)
    np.testing.assert_allclose(ours.Is, theirs.Is, rtol=1e-12)
    np.testing.assert_allclose(ours.EI, theirs.EI, rtol=1e-10)
    np.testing.assert_allclose(ours.VI, theirs.VI, rtol=1e-10)
    np.testing.assert_array_equal(ours.q, theirs.q)
    # STATS-NOTES: esda HH 11, LL 7, LH 1, HL 1 at p < 0.05 (pygeoda LL 8); ours within one of each
    counts = pd.Series(ours.labels).value_counts()
    for label, ref in {"HH": 11, "LL": 7, "LH": 1, "HL": 1}.items():
        assert abs(int(counts.get(label, 0)) - ref) <= 1, label


@SLOW
def test_lisa_permutations_match_real_esda(columbus, queen):
    y = columbus["CRIME"].to_numpy()
    ours = local_moran(y, queen, permutations=999, seed=12345, correction="none")
    theirs = _esda_quiet(esda.Moran_Local, y, queen, permutations=999, seed=12345)
    assert np.corrcoef(ours.p_sim, theirs.p_sim)[0, 1] > 0.97
    se = np.sqrt(ours.seI_sim**2 + theirs.seI_sim**2) / np.sqrt(999)
    assert (np.abs(ours.EI_sim - theirs.EI_sim) < 5 * se).all()
    for i in (0, 10, 25, 40):
        kept = local_moran(y, queen, permutations=999, seed=5, keep=[queen.unique_ids[i]]).sim[0]
        assert stats.ks_2samp(kept, theirs.rlisas[i]).pvalue > 0.001, i


def test_gi_star_six_point_reference():
    points = np.array([(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)])
    g = Graph.build_distance_band(points, 15)
    r = getis_ord(np.array([2, 3, 3.2, 5, 8, 7.0]), g, permutations=99)
    ref = [-1.39727626, -0.28917762, 0.65064964, -0.28917762, 1.23452088, 2.02424331]
    np.testing.assert_allclose(r.Zs, ref, atol=1e-8)


def test_gi_star_matches_esda_conventions(columbus):
    y = columbus["CRIME"].to_numpy()
    binary = Graph.build_contiguity(columbus, rook=False)
    r = getis_ord(y, build_weights(columbus), permutations=999, seed=3)
    esda_b = _esda_quiet(esda.G_Local, y, binary, star=True, transform="B", permutations=0)
    esda_r = _esda_quiet(esda.G_Local, y, binary, star=True, transform="R", permutations=0)
    np.testing.assert_allclose(r.Zs, esda_b.Zs, rtol=1e-10)  # Ord-Getis z = binary z
    np.testing.assert_allclose(r.Gs, esda_r.Gs, rtol=1e-12)  # G* on row-standardised weights (GeoDa)
    np.testing.assert_allclose(r.EGs, esda_r.EGs, rtol=1e-12)
    # with row-standardised contiguity weights Gi* and LISA are monotone in the same neighbour sum,
    # so on shared draws their directed pseudo p-values coincide
    lisa_p = local_moran(y, build_weights(columbus), permutations=999, seed=3).p_sim
    np.testing.assert_allclose(r.p_sim, lisa_p, atol=0.0015)  # up to floating-point ties


def test_local_draws_equal_in_distribution_to_esda(columbus, queen):
    """KS test of the kept reference distributions against esda's algorithm for a few areas."""
    y = columbus["CRIME"].to_numpy()
    keep = [queen.unique_ids[i] for i in (0, 10, 25, 40)]
    ours = local_moran(y, queen, permutations=999, seed=5, keep=keep)
    ref = _esda_crand_reference(y, queen, 999, np.random.default_rng(5))
    for row, i in enumerate((0, 10, 25, 40)):
        assert stats.ks_2samp(ours.sim[row], ref[i]).pvalue > 0.001, i
        assert ours.sim[row].mean() == pytest.approx(ours.EI_sim[i], rel=1e-9)


def test_mean_p_over_seeds_matches_esda(columbus, queen):
    y = columbus["HOVAL"].to_numpy()
    ours = np.mean([local_moran(y, queen, permutations=199, seed=s).p_sim for s in range(20)], axis=0)
    Is = local_moran(y, queen, permutations=1).Is
    rng = np.random.default_rng(0)
    theirs = np.mean([_directed(Is, _esda_crand_reference(y, queen, 199, rng)) for _ in range(20)], axis=0)
    np.testing.assert_allclose(ours, theirs, atol=0.05)


def test_draws_exclude_self_and_are_without_replacement():
    """Area 0 neighbours every other area: drawn without replacement from the others, its lag
    is always the same, so every draw equals the observed value."""
    n = 6
    focal = [0] * (n - 1) + list(range(1, n))
    neighbour = list(range(1, n)) + [0] * (n - 1)
    g = Graph.from_arrays(focal, neighbour, np.ones(len(focal))).transform("R")
    y = np.array([10.0, 1, 2, 3, 4, 50])
    r = local_moran(y, g, permutations=199, seed=1, keep=[0])
    np.testing.assert_allclose(r.sim[0], r.Is[0], rtol=1e-12)
    assert r.seI_sim[0] == pytest.approx(0, abs=1e-12)


def test_reproducible_and_thread_independent(columbus, queen):
    y = columbus["CRIME"]
    a = hotspots(y, queen, permutations=499, seed=7).to_frame()
    b = hotspots(y, queen, permutations=499, seed=7).to_frame()
    pd.testing.assert_frame_equal(a, b)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        c = hotspots(y, queen, permutations=499, seed=7).to_frame()
    finally:
        numba.set_num_threads(before)
    pd.testing.assert_frame_equal(a, c)
    d = hotspots(y, queen, permutations=499, seed=8).to_frame()
    assert not np.array_equal(a["lisa_p"], d["lisa_p"])


def test_hotspots_frame_and_settings(columbus, queen):
    values = pd.Series(columbus["CRIME"].to_numpy(), index=queen.unique_ids, name="crime")
    r = hotspots(values.sample(frac=1, random_state=0), queen)  # order does not matter
    f = r.to_frame()
    assert list(f.columns) == ["value", "gi_z", "gi_p", "gi_bin", "lisa_i", "lisa_p", "lisa_cluster"]
    assert f.index.equals(pd.Index(queen.unique_ids))
    np.testing.assert_allclose(f["value"], columbus["CRIME"])
    assert set(f["lisa_cluster"]) <= {"HH", "LL", "HL", "LH", "not significant"}
    assert set(f["gi_bin"]) <= set(range(-3, 4))
    s = r.settings
    assert {k: s[k] for k in ("permutations", "seed", "alpha", "correction")} == {
        "permutations": 9999, "seed": 12345, "alpha": 0.05, "correction": "fdr"}
    # one correction over both statistics' two-sided p-values: one cut-off for LISA and Gi*
    pooled = np.concatenate([r.lisa.p_two_sided, r.gi.p_two_sided])
    assert s["p_cutoff"] == s["gi_p_cutoff"] == p_cutoff(pooled, 0.05, "fdr")
    sig = f["lisa_p"] <= s["p_cutoff"]
    assert ((f["lisa_cluster"] != "not significant") == sig).all()
    # hot spots have positive z, cold spots negative
    assert (np.sign(f.loc[f.gi_bin != 0, "gi_bin"]) == np.sign(f.loc[f.gi_bin != 0, "gi_z"])).all()
    wide = r.to_frame(settings_columns=True)
    assert list(wide.columns[7:]) == ["permutations", "seed", "alpha", "correction", "p_cutoff", "gi_p_cutoff",
                                      "p_method", "max_draws"]
    assert "two-sided" in wide["p_method"].iloc[0]
    assert pytest.approx(0.500188557, abs=1e-9) == r.moran.I


def test_gi_bins_follow_levels(columbus, queen):
    r = getis_ord(columbus["CRIME"], queen, correction="none")
    assert r.bin_cutoffs == (0.10, 0.05, 0.01)
    p = np.minimum(1, 2 * r.p_sim)  # two-sided, as ArcGIS's bins
    level = np.where(p <= 0.01, 3, np.where(p <= 0.05, 2, np.where(p <= 0.10, 1, 0)))
    np.testing.assert_array_equal(np.abs(r.Bin), level)


# ---------------------------------------------------------------------------------------------
# multiple testing


def test_p_cutoff_rules():
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205])
    assert p_cutoff(p, 0.05, "none") == 0.05
    assert p_cutoff(p, 0.05, "bonferroni") == pytest.approx(0.05 / 8)
    assert p_cutoff(p, 0.05, "fdr") == pytest.approx(2 * 0.05 / 8)
    assert p_cutoff(np.full(10, 0.5), 0.05, "fdr") == pytest.approx(0.005)  # nothing passes: alpha / n
    fdr = esda.fdr(p, 0.05)
    assert (p <= p_cutoff(p, 0.05, "fdr")).sum() == (p < fdr).sum()
    with pytest.raises(ConfigError, match="fdr"):
        p_cutoff(p, 0.05, "holm")


def test_bonferroni_with_999_permutations_warns_nothing_can_pass(columbus, queen):
    # 0.05 / 49 = 0.00102 < 1 / (99 + 1)
    with pytest.warns(DataWarning, match="no area can be significant; use at least 3919 permutations"):
        r = hotspots(columbus["CRIME"], queen, permutations=99, correction="bonferroni")
    assert (r.to_frame()["lisa_cluster"] == "not significant").all()
    assert "no area can be significant" in r.settings["note"]
    assert "no area can be significant" in r.summary()


# ---------------------------------------------------------------------------------------------
# rates and EB smoothing


def test_eb_matches_esda_when_variance_positive(stl):
    df, g = stl
    e, b = df.iloc[:, 10], df.iloc[:, 13]  # esda's docstring: columns 11 and 14 (HC8488, PO7984)
    ours = eb_rate(e, b).to_numpy() / 1000
    theirs = esda.smoothing.Empirical_Bayes(e.to_numpy(), b.to_numpy()).r.ravel()
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    np.testing.assert_allclose(ours[:3], [2.36718950e-05, 4.54539167e-05, 4.78114019e-05], rtol=1e-8)


def test_eb_homogeneous_rates_do_not_invert():
    rng = np.random.default_rng(0)
    pop = pd.Series(rng.integers(1000, 3000, 200).astype(float))
    events = pd.Series(rng.poisson(pop * 0.01).astype(float))
    raw = events / pop
    theirs = esda.smoothing.Empirical_Bayes(events.to_numpy(), pop.to_numpy()).r.ravel()
    assert np.corrcoef(raw, theirs)[0, 1] < 0  # esda's negative variance inverts the ranking
    ours = eb_rate(events, pop)
    np.testing.assert_allclose(ours, events.sum() / pop.sum() * 1000)  # all shrink to the overall rate


def test_spatial_eb_and_assuncao_match_esda(stl):
    df, g = stl
    e, b = df["HC8893"].to_numpy(), df["PO8893"].to_numpy()
    w = libpysal.io.open(ex.get_path("stl.gal")).read()
    ids = pd.Index(g.unique_ids)
    ours = spatial_eb_rate(pd.Series(e, index=ids), pd.Series(b, index=ids), g).to_numpy() / 1000
    theirs = esda.smoothing.Spatial_Empirical_Bayes(e, b, w).r.ravel()
    np.testing.assert_allclose(ours, theirs, rtol=1e-8)
    np.testing.assert_allclose(assuncao_rate(e, b), esda.smoothing.assuncao_rate(e, b), rtol=1e-12)


def test_variable_values(grid_areas):
    counts = pd.Series([0, 1, 2, 3, 4, 5, 6, 7, 8], index=grid_areas.index)
    pop = grid_areas["population"]
    assert variable_values(counts, pop, "count").name == "count"
    np.testing.assert_allclose(variable_values(counts, pop, "rate"), counts / 1000 * 1000)
    assert variable_values(counts, pop, "eb_rate").name == "eb_rate"
    g = build_weights(grid_areas)
    assert len(variable_values(counts, pop, "seb_rate", graph=g)) == 9
    with pytest.raises(ConfigError, match="count, rate, eb_rate"):
        variable_values(counts, pop, "ratio")
    with pytest.raises(ConfigError, match="weights"):
        variable_values(counts, pop, "seb_rate")
    with pytest.raises(DataError, match="zero or negative"):
        variable_values(counts, pop.where(pop.index != "B2", 0), "rate")


# ---------------------------------------------------------------------------------------------
# errors


def test_errors(columbus, queen):
    y = columbus["CRIME"].to_numpy()
    with pytest.raises(DataError, match="equal"):
        hotspots(pd.Series(1.0, index=queen.unique_ids), queen)
    with pytest.raises(DataError, match="missing or not a number"):
        local_moran(np.where(np.arange(49) == 3, np.nan, y), queen)
    with pytest.raises(DataError, match="different areas"):
        hotspots(pd.Series(y, index=[f"x{i}" for i in range(49)]), queen)
    with pytest.raises(ConfigError, match="correction"):
        hotspots(pd.Series(y, index=queen.unique_ids), queen, correction="holm")
    with pytest.raises(ConfigError, match="seed"):
        moran(y, queen, seed=-1)
    with pytest.raises(ConfigError, match="alpha"):
        local_moran(y, queen, alpha=5)
    with pytest.raises(ConfigError, match="permutations"):
        local_moran(y, queen, permutations=0)


# ---------------------------------------------------------------------------------------------
# GeoDa's C++ core (pygeoda) on the shipped Northamptonshire data


@pytest.fixture(scope="module")
def northants_geoda(areas, tmp_path_factory):
    pygeoda = pytest.importorskip("pygeoda")
    g = build_weights(areas)
    path = tmp_path_factory.mktemp("gal") / "queen.gal"
    ids = list(g.unique_ids)
    pos = {a: i + 1 for i, a in enumerate(ids)}  # GAL ids 1..n
    lines = [f"0 {len(ids)} area_code area_code"]
    for a in ids:
        nb = list(g[a].index)
        lines += [f"{pos[a]} {len(nb)}", " ".join(str(pos[b]) for b in nb)]
    path.write_text("\n".join(lines) + "\n")
    w = pygeoda.read_gal(str(path), [str(i + 1) for i in range(len(ids))])
    # GeoDa's own queen contiguity finds exactly the same neighbours on these polygons
    own = pygeoda.queen_weights(pygeoda.open(areas[["geometry"]].reset_index()))
    assert all(set(own.get_neighbors(i)) == set(w.get_neighbors(i)) for i in range(len(ids)))
    return pygeoda, g, w


def test_against_pygeoda(areas, northants_geoda):
    pygeoda, g, w = northants_geoda
    y = areas["imd_score"].reindex(g.unique_ids).to_numpy()
    # pygeoda's labels use the directed p <= 0.05, which is our two-sided p <= 0.10
    ours = hotspots(pd.Series(y, index=g.unique_ids), g, permutations=999, seed=1, alpha=0.10, correction="none")
    lm = pygeoda.local_moran(w, list(y), permutations=999, seed=1, cpu_threads=1, significance_cutoff=0.05)
    gs = pygeoda.local_gstar(w, list(y), permutations=999, seed=1, cpu_threads=1, significance_cutoff=0.05)
    np.testing.assert_allclose(ours.lisa.Is, lm.lisa_values(), rtol=1e-9)  # analytic parts exactly
    np.testing.assert_allclose(ours.gi.Gs, gs.lisa_values(), rtol=1e-9)
    # labels: agree wherever both p-values are far from the cut-off; high agreement overall
    names = dict(enumerate(lm.lisa_labels()))
    geoda = np.array([names[c] for c in lm.lisa_clusters()])
    mapping = {"High-High": "HH", "Low-Low": "LL", "High-Low": "HL", "Low-High": "LH",
               "Not significant": "not significant"}
    geoda = np.array([mapping[x] for x in geoda])
    p_geoda = np.array(lm.lisa_pvalues())
    clear = ((ours.lisa.p_sim < 0.02) & (p_geoda < 0.02)) | ((ours.lisa.p_sim > 0.1) & (p_geoda > 0.1))
    assert clear.sum() > 300
    np.testing.assert_array_equal(ours.lisa.labels[clear], geoda[clear])
    assert (ours.lisa.labels == geoda).mean() > 0.93
    gnames = dict(enumerate(gs.lisa_labels()))
    ghot = np.array([gnames[c] for c in gs.lisa_clusters()])
    ours_hot = np.where(ours.gi.p_sim <= 0.05, np.where(ours.gi.Zs > 0, "High-High", "Low-Low"), "Not significant")
    gp = np.array(gs.lisa_pvalues())
    clear = ((ours.gi.p_sim < 0.02) & (gp < 0.02)) | ((ours.gi.p_sim > 0.1) & (gp > 0.1))
    np.testing.assert_array_equal(ours_hot[clear], ghot[clear])
    assert (ours_hot == ghot).mean() > 0.93
    # p-value distributions agree
    assert abs(ours.lisa.p_sim.mean() - p_geoda.mean()) < 0.02


def test_two_sided_bins_on_pure_noise():
    """STATS-NOTES: on pure noise about 5 % of areas reach |gi_bin| >= 2 ("95 %") and 10 % |gi_bin| >= 1,
    because the levels are two-sided (the directed p would give about 10 % and 20 %)."""
    from shapely.geometry import box

    from placebased.stats.weights import build_weights

    side = 30
    cells = [box(i, j, i + 1, j + 1) for i in range(side) for j in range(side)]
    grid = gpd.GeoDataFrame({"geometry": cells}, index=pd.Index([f"c{k}" for k in range(len(cells))],
                                                                  name="area_code"))
    g = build_weights(grid, "queen")
    shares95, shares90 = [], []
    for seed in range(4):
        y = pd.Series(np.random.default_rng(seed).normal(size=len(cells)), index=grid.index)
        b = getis_ord(y, g, permutations=999, seed=seed, correction="none").Bin
        shares95.append(np.mean(np.abs(b) >= 2))
        shares90.append(np.mean(np.abs(b) >= 1))
    assert 0.03 <= np.mean(shares95) <= 0.07
    assert 0.07 <= np.mean(shares90) <= 0.13


def _lattice(side):
    from shapely.geometry import box

    from placebased.stats.weights import build_weights

    cells = [box(i, j, i + 1, j + 1) for i in range(side) for j in range(side)]
    grid = gpd.GeoDataFrame({"geometry": cells}, index=pd.Index([f"c{k}" for k in range(len(cells))],
                                                                  name="area_code"))
    return grid, build_weights(grid, "queen")


def test_adaptive_p_values_agree_with_99999_fixed_draws(areas):
    """Sequential (Besag-Clifford) p-values reach the decisions of 99,999 fixed draws on the county."""
    from placebased.stats.weights import build_weights

    g = build_weights(areas, "queen")
    y = areas["imd_score"].reindex(g.unique_ids)
    fixed = hotspots(y, g, permutations=99_999, seed=3)
    ad = hotspots(y, g, permutations=9_999, seed=3, adaptive=True)
    # every area starts with 99 draws; clearly non-significant areas stop there, candidates near a cut-off go on
    assert ad.lisa.draws.min() == 99 and 99_999 < ad.settings["max_draws"] <= 999_999
    assert (ad.lisa.draws == 99).mean() > 0.6
    assert ad.settings["total_draws"] < 0.5 * 99_999 * len(y)
    assert ad.settings["smallest_p"] == pytest.approx(2 / (ad.settings["max_draws"] + 1))
    assert "adaptive" in ad.settings["p_method"] and "resolution" in ad.summary()
    assert "adaptive draws for LISA and Gi*" in ad.summary()
    frame = ad.to_frame(settings_columns=True)
    assert (frame["draws"] == ad.gi.draws).all() and frame["smallest_p"].nunique() == 1
    f1, f2 = fixed.to_frame(), ad.to_frame()
    cut = ad.settings["p_cutoff"]
    clear = (np.abs(np.log(f1["lisa_p"] / cut)) > np.log(2)) & (np.abs(np.log(f2["lisa_p"] / cut)) > np.log(2))
    assert clear.mean() > 0.9
    assert (f1.loc[clear, "lisa_cluster"] == f2.loc[clear, "lisa_cluster"]).all()
    assert (f1["lisa_cluster"] == f2["lisa_cluster"]).mean() > 0.98
    assert (f1["gi_bin"] == f2["gi_bin"]).mean() > 0.97


@pytest.mark.slow
def test_adaptive_finds_a_planted_cluster_that_fixed_draws_cannot():
    """With FDR over many areas fixed draws cannot reach the cut-off; adaptive draws find the cluster
    and flag fewer than 1% of the other areas."""
    side = 80
    grid, g = _lattice(side)
    rng = np.random.default_rng(7)
    y = rng.normal(size=side * side) + 10
    cluster = [i * side + j for i in range(30, 35) for j in range(30, 38)]  # 40 cells
    y[cluster] += 2.5
    y = pd.Series(y, index=grid.index)
    fixed = hotspots(y, g, permutations=999, seed=1)
    assert (fixed.to_frame()["gi_bin"] >= 2).sum() == 0
    ad = hotspots(y, g, permutations=999, seed=1, adaptive=True)
    hot = ad.to_frame()["gi_bin"] >= 2
    in_cluster = hot.iloc[cluster]
    assert in_cluster.sum() >= 20
    others = hot.drop(hot.index[cluster])
    assert others.mean() < 0.01


def test_adaptive_stops_for_clearly_significant_areas():
    """A strong pattern: areas whose p is clearly below every cut-off stop as soon as that is clear (the
    decisions those of the fixed draws), so adaptive runs stay affordable on patterned national data."""
    side = 20
    grid, g = _lattice(side)
    rng = np.random.default_rng(3)
    y = pd.Series([i + j + rng.normal() for i in range(side) for j in range(side)], index=grid.index, dtype=float)
    fixed = hotspots(y, g, permutations=9999, seed=2)
    ad = hotspots(y, g, permutations=9999, seed=2, adaptive=True)
    strict = fixed.gi.bin_cutoffs[2]  # the pooled cut-off at the 99 % level, the strictest in use
    clear = (fixed.gi.p_two_sided * 10 <= strict) & (fixed.lisa.p_two_sided * 10 <= strict)
    assert clear.sum() > 50
    assert (ad.gi.draws[clear] <= 9999).mean() > 0.9  # stopped once clear, not drawn to 999,999
    assert (ad.gi.significant[clear]).all()
    assert "cut-off" in ad.settings["p_method"]
