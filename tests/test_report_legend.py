"""The profile's map legend stays under the map: every label of the hot-spot legend ends within the
map's column, none runs into the key figures beside it (issue 17: "99% (two-sided)" was clipped)."""

from __future__ import annotations

import io

import pandas as pd
from pypdf import PdfReader
from test_report import CODES, _toy_ctx

from placebased.outputs.report_sections import MARGIN
from placebased.profile_record import render_profile


def _words_with_x(data: bytes) -> list[tuple[str, float]]:
    page = PdfReader(io.BytesIO(data)).pages[0]
    out: list[tuple[str, float]] = []

    def visit(text, cm, tm, *_):
        if text.strip():
            out.append((text.strip(), tm[4] * cm[0] + cm[4]))

    page.extract_text(visitor_text=visit)
    return out


def test_hot_spot_legend_reads_fully_within_the_map_column():
    ctx = _toy_ctx()
    ctx.hotspot_frame = pd.DataFrame({"gi_bin": [3, 2, 1, 0, -1, -2, -3, 0, 0], "lisa_cluster": "ns"},
                                     index=pd.Index(CODES))
    ctx.hotspot_settings = {"weights": "queen", "permutations": 999, "seed": 1, "alpha": 0.05, "correction": "fdr"}
    data = render_profile(ctx, ["E01000001"])
    words = _words_with_x(data)
    text = " ".join(w for w, _ in words)
    assert "two-sided" in text and "cold 99%" in text and "hot 90%" in text, text[:600]
    page_w = float(PdfReader(io.BytesIO(data)).pages[0].mediabox.width) * 25.4 / 72
    right_column = (page_w / 2) * 72 / 25.4  # points: the key figures start right of the middle
    legend = [(w, x) for w, x in words if w.startswith(("cold 99%", "hot 90%", "99%", "not sig."))]
    assert legend, words
    for w, x in legend:
        assert MARGIN * 72 / 25.4 <= x < right_column - 10, (w, x)


def test_group_members_table_names_each_ward():
    """The group profile's table gives each LSOA its ward (shipped lookups), after its name; areas outside
    the lookups leave the table as it was."""
    from placebased.outputs.report_sections import _with_wards

    heads, rows = _with_wards(("Code", "Name", "Residents"), [("E01027153", "West Northamptonshire 032B", "2,276")])
    assert heads == ["Code", "Name", "Ward", "Residents"] and rows[0][2] == "Castle", rows
    assert _with_wards(("Code", "Name"), [("ZONE_7", "Own zone 7")])[0] == ["Code", "Name"]


def test_group_profile_pdf_shows_the_ward_column():
    from placebased.outputs.report import pdf_text

    ctx = _toy_ctx()
    ctx.areas = ctx.areas.rename(index=dict(zip(CODES, ["E01027153", "E01027155", *CODES[2:]])))
    ctx.counts = ctx.counts.rename(index=dict(zip(CODES, ["E01027153", "E01027155", *CODES[2:]])))
    ctx.monthly = ctx.monthly.assign(area_code=ctx.monthly["area_code"].replace(
        {"E01000001": "E01027153", "E01000002": "E01027155"}))
    from placebased.outputs.staticmap import MapData

    ctx.map_data = MapData.build(ctx.areas)
    text = pdf_text(render_profile(ctx, ["E01027153", "E01027155", "E01000003"], group_name="Toy group"))
    assert "Ward" in text and "Castle" in text, text[-1500:]
