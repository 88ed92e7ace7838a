"""What ``run`` hands on beyond the LCIA result: the workbook's cells, the model card's categories,
the plots and the self-contained report.html, rendered in a real headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from bw_mllca import Study, build, calculate
from bw_mllca.interpretation.uncertainty_scope import SCOPE_BACKGROUND, SCOPE_FULL
from bw_mllca.report.outputs import write_run_outputs
from studies import minimal_study

GWP = "TRACI v2.1 | climate change | global warming potential (GWP100)"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def run(setup_report, tmp_path_factory):
    import bw2data as bd

    bd.projects.set_current("mllca-tests")
    study = Study.from_dict(minimal_study("report html <b>bold</b> & co", stages=[
        {"name": "pre-training", "kind": "pre-training", "hardware": "gpu", "datacenter": "dc",
         "accelerator_hours": 10_000, "energy_kwh": 3_000},
        {"name": "fine-tuning", "kind": "fine-tuning", "hardware": "gpu", "datacenter": "dc",
         "accelerator_hours": 500, "energy_kwh": 150, "energy_estimated": True}]))
    build(study)
    frame = calculate(study)
    out = tmp_path_factory.mktemp("run-html")
    paths = write_run_outputs(study, frame, out, iterations=300, seed=2)
    return study, frame, out, paths


def test_workbook_cells_are_typed_and_methods_are_columns(run):
    _, frame, out, _ = run
    workbook = openpyxl.load_workbook(out / "results.xlsx")
    for title in ("LCI", "LCIA methods", "Top processes", "Top elementary flows", "System boundary", "Allocation",
                  "Data quality", "Limitations", "Uncertainty statement"):
        assert title in workbook.sheetnames, title
    component = workbook["LCIA by component"]
    header = [c.value for c in component[1]]
    assert "method" not in header and {"method family", "category", "indicator"} <= set(header)
    assert not any(" | " in str(c.value) for row in component.iter_rows(min_row=2) for c in row
                   if c.column == header.index("method family") + 1)
    score = header.index("score") + 1
    cells = [row[score - 1] for row in component.iter_rows(min_row=2)]
    assert all(c.data_type == "n" and c.number_format == "0.000E+00" for c in cells)
    families = [row[header.index("method family")].value for row in component.iter_rows(min_row=2)]
    gwp = sum(c.value for c, f, row in zip(cells, families, component.iter_rows(min_row=2))
              if f == "TRACI v2.1" and row[header.index("category")].value == "climate change"
              and row[0].value == "attributional")
    assert gwp == pytest.approx(frame[(frame.view == "attributional") & (frame.method == GWP)]["score"].sum(), rel=1e-12)
    inventory = workbook["Inventory"]
    head = [c.value for c in inventory[1]]
    measured = [row[head.index("measured")] for row in inventory.iter_rows(min_row=2)]
    assert all(c.data_type == "b" for c in measured)  # a real boolean, not the text "True"
    assert {c.value for c in measured} == {True, False}  # fine-tuning is estimated
    issues = workbook["Significant issues"]
    head = [c.value for c in issues[1]]
    assert issues.cell(row=2, column=head.index("share") + 1).number_format == "0.0%"
    boundary = pd.read_excel(out / "results.xlsx", sheet_name="System boundary")
    assert boundary["included"].dtype == bool


def test_model_card_has_every_category_and_the_full_interval(run):
    _, frame, out, _ = run
    card = json.loads((out / "model_card.json").read_text())
    categories = {(r["method family"], r["category"], r["indicator"]) for r in card["categories_per_fu"]}
    label = {(p[0], p[1], p[-1]): m for m in frame["method"].unique() for p in [m.split(" | ")]}
    assert categories == set(label)
    attributional = frame[frame.view == "attributional"].groupby("method")["score"].sum()
    consumer = frame[frame.view == "consumer"].groupby("method")["score"].sum()
    for row in card["categories_per_fu"]:
        method = label[(row["method family"], row["category"], row["indicator"])]
        if row["attributional per FU"] is None:  # no data: "not assessed", scored 0 throughout, never shown as 0
            assert row["consumer per FU"] is None and attributional[method] == consumer[method] == 0.0
            continue
        assert row["attributional per FU"] == pytest.approx(attributional[method], rel=1e-12)
        assert row["consumer per FU"] == pytest.approx(consumer[method], rel=1e-12)
    workbook = pd.read_excel(out / "results.xlsx", sheet_name="Uncertainty (300 MC)")
    gwp = workbook[(workbook["category"] == "climate change") & (workbook["method family"] == "TRACI v2.1")].set_index("scope")
    assert card["uncertainty_scope"] == SCOPE_FULL
    assert card["uncertainty_per_fu"]["p5"] == pytest.approx(gwp.loc[SCOPE_FULL, "p5"], rel=1e-9)
    assert card["uncertainty_per_fu"]["p5"] != pytest.approx(gwp.loc[SCOPE_BACKGROUND, "p5"], rel=1e-9)
    text = (out / "model_card.md").read_text()
    assert "attributional LCA view" in text and "consumer view" in text
    assert text.count("(TRACI v2.1) |") == 9 and "AWARE" in text


def test_plots_take_an_axis_and_keep_their_labels_inside(run):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from bw_mllca.report import plots
    from bw_mllca.report.figures import run_figures
    from bw_mllca.report.outputs import interpret

    study, frame, _, _ = run
    found = interpret(study, frame, iterations=0)
    figures = run_figures(frame, found, every_category=True)
    methods = frame["method"].unique()
    # the overview, an amortization per category, a tornado per category the engine varies (not
    # the inventory indicator 'electricity at the meter')
    assert len(figures) == 3 + len(methods) + len([m for m in methods if not m.startswith("inventory")])
    overview = run_figures(frame, found)
    assert set(overview) == {"stages", "amortization-every-category", "sensitivity-every-category", "amortization", "tornado"}
    acidification = {k: v for k, v in figures.items() if "acidification" in k}
    for stem, figure in {**overview, **acidification}.items():
        canvas = FigureCanvasAgg(figure)  # the figures are made without pyplot: give one a canvas
        canvas.draw()
        renderer = canvas.get_renderer()
        box = figure.bbox
        main = figure.axes[0]
        assert main.get_title() and main.get_xlabel() and main.get_ylabel(), stem
        for ax in figure.axes:
            assert ax.get_xlabel() or ax.get_ylabel(), stem  # a colour bar has its label only
            # everything the axis draws (title, labels, tick labels in view, legend) is inside the figure
            drawn = ax.get_tightbbox(renderer)
            assert drawn.x0 >= box.x0 - 1 and drawn.x1 <= box.x1 + 1, (stem, drawn, box)
            assert drawn.y0 >= box.y0 - 1 and drawn.y1 <= box.y1 + 1, (stem, drawn, box)
    tornado = figures["tornado-acidification-acidification-potential-ap"].axes[0]
    unit = frame[frame.method.str.contains("acidification")]["unit"].iloc[0]
    assert "acidification" in tornado.get_title() and unit in tornado.get_title() and unit in tornado.get_xlabel()
    outer = Figure()
    ax = outer.subplots()
    assert plots.stage_shares_figure(frame, ax=ax) is outer and ax.patches  # drawn on the given axis


def _browser_or_skip() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if path is None:
        if os.environ.get("BW_MLLCA_REQUIRE_BROWSER"):
            pytest.fail("no chromium executable, and BW_MLLCA_REQUIRE_BROWSER is set")
        pytest.skip("no chromium executable (apt-get install chromium) to render report.html")
    return path


def test_report_html_renders_offline_with_every_table_and_figure(run):
    study, frame, out, paths = run
    executable = _browser_or_skip()
    from playwright.sync_api import sync_playwright

    page_path = out / "report.html"
    assert page_path in paths
    requests = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda request: requests.append(request.url))
            page.goto(page_path.as_uri(), wait_until="load")
            title = page.title()
            tables = page.eval_on_selector_all("table", "els => els.map(e => [e.id, e.rows.length, "
                                               "e.getBoundingClientRect().width, e.getBoundingClientRect().height])")
            images = page.eval_on_selector_all("figure img", "els => els.map(e => [e.complete, e.naturalWidth, "
                                               "e.naturalHeight, e.getBoundingClientRect().width, e.alt])")
            text = page.inner_text("body")
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        finally:
            browser.close()
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []  # nothing fetched
    assert title == f"{study.study.name}: LCA report"  # user text escaped, shown as written
    assert len(tables) >= 20 and all(rows >= 2 and width > 0 and height > 0 for _, rows, width, height in tables)
    assert len(images) == 5 and all(done and w > 100 and h > 100 and shown > 100 for done, w, h, shown, _ in images)
    assert any("every category" in alt for *_, alt in images)
    assert overflow <= 0  # no table or figure wider than the window
    total = frame[(frame.view == "attributional") & (frame.method == GWP)]["score"].sum()
    assert f"{total:.4g}" in text
    for heading in ("LCI", "LCIA methods", "Top processes", "System boundary", "Data quality", "Limitations"):
        assert heading in text
