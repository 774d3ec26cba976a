"""A fresh app server reads its saved results without importing the statistics stack (libpysal, scipy.stats,
numba: seconds each on a fresh server); the weights come back as the same Graph on first use."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from placebased import pipeline as P  # noqa: N812


@pytest.fixture(scope="module")
def analysis(areas):
    return P.analyse(areas, P.load_incidents_for(P.Sources()), [], P.Filters(), P.StatsSettings(permutations=99))


def test_saved_analysis_has_the_same_graph(analysis):
    again = pickle.loads(pickle.dumps(analysis))
    assert "graph" not in again.__dict__  # rebuilt on first use
    g, h = analysis.graph, again.graph
    assert type(g) is type(h) and g.transformation == h.transformation
    assert g.adjacency.equals(h.adjacency)
    assert (g.sparse != h.sparse).nnz == 0
    assert again.frame.equals(analysis.frame)
    assert pickle.loads(pickle.dumps(again)).graph.adjacency.equals(g.adjacency)  # saved again after use


def test_loading_saved_results_and_scoring_needs_no_statistics_stack(analysis, tmp_path):
    path = tmp_path / "analysis.pickle"
    path.write_bytes(pickle.dumps(analysis))
    code = textwrap.dedent(f"""
        import pickle, sys
        from placebased import pipeline as P
        an = pickle.loads(open({str(path)!r}, "rb").read())
        P.score(an, P.default_scenario())
        print(sorted(m for m in ("libpysal", "scipy.stats", "numba", "esda") if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_rankdata_equals_scipy():
    from scipy.stats import rankdata as reference

    from placebased.score.scoring import rankdata

    rng = np.random.default_rng(5)
    for _ in range(20):
        x = rng.integers(0, 4, size=(25, 3)).astype(float)
        assert (rankdata(x, axis=0) == reference(x, axis=0, method="average")).all()
        assert (rankdata(-x[:, 1], method="min") == reference(-x[:, 1], method="min")).all()
