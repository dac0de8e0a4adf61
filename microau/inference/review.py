"""The review page of `microau analyse --review` and `microau spot --review`: one HTML file
that opens offline (plotly's bundled JavaScript and every image inside it, as data URIs).

Pages written into one folder (`--review` given a folder, as the spotting workflow's page per
video is) share one copy of plotly's 4.7 MB script beside them instead (`shared_script`, named by
plotly's version so a folder never mixes two), and still open from disk without a network.

Per clip (or spotted micro-expression): the onset and apex crops, the flow image the model read,
the PTA weights of the active AUs painted on the apex crop (the paper's Fig. 5, computed by
`microau.model.attention.attention_map` as the report's attention figure is), the AU probabilities, the
zero-shot emotion scores of both readings of Eq. 13 and the status. A table of all clips sorts by
any column (click its head) and filters by AU, emotion and status; a row opens its clip. For a
long video, a timeline above it shows the spotting signal of each kind with its threshold, the
spotted intervals by kind and the ground truth when known; a micro-expression's apex marker opens it.
A link to `page.html#entry-N` opens the N-th entry (1-based). Script errors are written on the page.

A page names the results file it belongs to (`<meta name="microau-results">`), so a second run whose
page would land on another run's (two participants' `interview.mp4` analysed into one `--review`
folder, each with `--out .../interview.csv`) is refused before it analyses (`claim_page`), never
written over it; the same run again replaces its own page.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from microau.errors import MicroauError
from microau.io.atomic import atomic_open
from microau.io.prediction_rows import Prediction, PredictionRow
from microau.model.attention import attention_map
from microau.model.decision import AU_THRESHOLD

if TYPE_CHECKING:
    from microau.inference.predict import PairModel
    from microau.preprocess.chain import PreparedPair

JPEG_QUALITY = 90
RESULTS_META = re.compile(r'<meta name="microau-results" content="([^"]*)">')
ATTENTION_ALPHA = 0.5  # as the report's attention figure paints it


def data_uri(image: np.ndarray, rgb: bool = False) -> str:
    """A JPEG data URI of an 8-bit image (BGR unless `rgb`)."""
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if rgb else image
    ok, encoded = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError("OpenCV could not encode an image as JPEG")
    return "data:image/jpeg;base64," + base64.b64encode(encoded.tobytes()).decode("ascii")


def attention_overlay(apex_crop: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """The apex crop (BGR) with each patch cell's PTA weight in the jet colour map (0..1) blended
    over it where the weight is not zero, as the report's figure shows it."""
    from matplotlib import colormaps

    side_y, side_x = apex_crop.shape[:2]
    weights = cv2.resize(cells.astype(np.float32), (side_x, side_y), interpolation=cv2.INTER_NEAREST)
    colour = (colormaps["jet"](np.clip(weights, 0, 1))[..., :3] * 255)[..., ::-1]
    alpha = np.where(weights > 0, ATTENTION_ALPHA, 0.0)[..., None]
    return np.clip(apex_crop * (1 - alpha) + colour * alpha, 0, 255).astype(np.uint8)


def attention_of(prediction: Prediction, au_names: list[str], grid: tuple[int, int]) -> tuple[np.ndarray | None, str]:
    """The PTA weights of the active AUs (`microau.model.decision`) on the patch grid, and what they
    show; with no active AU, the most probable one's, and said so; None without patch token attention."""
    if prediction.token_weights is None or prediction.au_tokens is None:
        return None, "no patch token weights (pooling: global)"
    active = [au_names.index(au) for au in prediction.active]
    label = "+".join(prediction.active)
    if not active:
        probs = np.array([prediction.aus[au] for au in au_names])
        active = [int(probs.argmax())]
        label = f"no AU above {AU_THRESHOLD}; the most probable, {au_names[active[0]]}"
    return attention_map(prediction.au_tokens, prediction.token_weights, active, grid), label


class ReviewPage:
    """The entries of one page, added one at a time as the clips are analysed (images are encoded
    at once, so hundreds of clips hold no frames in memory), written by `write`."""

    def __init__(self, title: str, pair_model: PairModel | None) -> None:
        """Without a model (`microau spot` alone) the page holds the timeline and no entries."""
        self.title = title
        self.au_names = list(pair_model.au_names) if pair_model else []
        self.grid = pair_model.grid if pair_model else None
        self.emotion_classes = pair_model.emotion_classes() if pair_model else {}
        self.entries: list[dict] = []
        self.timeline: dict | None = None

    def add(
        self,
        name: str,
        status: str,
        details: dict[str, object],
        pair: PreparedPair | None,
        prediction: Prediction | None,
    ) -> None:
        """One clip: its name, status, the timing shown in the table (`details`), and, when it was
        analysed, its prepared pair and prediction."""
        entry: dict[str, object] = {"name": name, "status": status, "details": {k: str(v) for k, v in details.items()}}
        if pair is not None and prediction is not None:
            cells, shown = attention_of(prediction, self.au_names, self.grid)
            entry |= {
                "aus": prediction.aus,
                "active": prediction.active,
                "emotions": prediction.emotions,
                "scores": prediction.emotion_scores,
                "attention_of": shown,
                "images": {
                    "onset": data_uri(pair.onset_crop),
                    "apex": data_uri(pair.apex_crop),
                    "flow": data_uri(pair.image, rgb=True),
                    **({"attention": data_uri(attention_overlay(pair.apex_crop, cells))} if cells is not None else {}),
                },
            }
        self.entries.append(entry)

    def add_analysed(self, row: PredictionRow, pair: PreparedPair | None) -> None:
        """A clip's row of `microau analyse` (`microau.io.prediction_rows`) with its prepared pair."""
        details = {key: row.context.get(key, "") for key in ("kind", "onset", "apex", "apex_from")}
        self.add(str(row.context["clip"]), row.status, details, pair, row.prediction)

    def set_timeline(self, figure: dict) -> None:
        """The long video's timeline above the table: a plotly figure as JSON (`microau.spotting.timeline`),
        whose points with `customdata` open the entry of that index."""
        self.timeline = figure

    def html(self, script_src: str | None = None, results: Path | None = None) -> str:
        """The whole page: plotly's JavaScript (inline, or loaded from `script_src` beside the page),
        the entries as JSON, the table and the panels, and the results file it belongs to."""
        from plotly.offline import get_plotlyjs

        data = {
            "aus": self.au_names,
            "emotion_classes": self.emotion_classes,
            "entries": self.entries,
            "threshold": AU_THRESHOLD,
            "timeline": self.timeline,
        }
        payload = json.dumps(data).replace("</", "<\\/")
        return PAGE.format(
            title=html.escape(self.title),
            results=html.escape(page_owner(results), quote=True),
            plotly=f'<script src="{html.escape(script_src)}"></script>'
            if script_src
            else f"<script>{get_plotlyjs()}</script>",
            data=payload,
            script=SCRIPT,
            style=STYLE,
        )

    def write(self, path: Path, share_script: bool = False, results: Path | None = None) -> None:
        """The page, written whole or not at all; with `share_script` it loads plotly's script from the
        copy beside it (`shared_script`), else it carries the script itself; `results` is the results
        file it belongs to (`claim_page`)."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        source = shared_script(Path(path).parent) if share_script else None
        with atomic_open(path) as handle:
            handle.write(self.html(source, results))


class ReviewClashError(MicroauError):
    """A review page would replace the page of another run's results."""


def page_owner(results: Path | None) -> str:
    """The results file a page belongs to, as its meta tag holds it: an absolute path, or '' for none."""
    return os.path.abspath(results) if results is not None else ""


def claim_page(page: Path, results: Path) -> None:
    """Refuse, in one line, a page at `page` that belongs to other results than `results` (or to none
    this can tell): called before the clips are analysed, so nothing is lost and no time spent."""
    page = Path(page)
    if not page.is_file():
        return
    with open(page, encoding="utf-8", errors="replace") as handle:
        found = RESULTS_META.search(handle.read(4096))
    owner = html.unescape(found.group(1)) if found else ""
    if owner != page_owner(results):
        raise ReviewClashError(
            f"--review: {page} is already the review page of {owner or 'another run'}; give this run's page "
            f"its own name (--review {page.parent}/<name>.html) or folder"
        )


def script_name() -> str:
    """The file name of plotly's script beside pages that share it: `plotly-<version>.min.js`."""
    import plotly

    return f"plotly-{plotly.__version__}.min.js"


def shared_script(folder: Path) -> str:
    """Plotly's script in `folder` (written there, whole, unless a page's writer did already: pages
    written at once by parallel jobs write the same bytes), as the name a page beside it loads."""
    from plotly.offline import get_plotlyjs

    path = Path(folder) / script_name()
    script = get_plotlyjs().encode()
    if not path.is_file() or path.stat().st_size != len(script):
        with atomic_open(path, "wb") as handle:
            handle.write(script)
    return path.name


def review_target(path: Path, name: str) -> tuple[Path, bool]:
    """Where `--review path` writes the page called `name`, and whether it shares plotly's script: a
    folder (one that exists, or a path without the .html suffix) gets `<name>.html` beside one shared
    copy of the script; a file path gets a page that carries the script itself."""
    path = Path(path)
    if path.is_dir() or path.suffix.lower() != ".html":
        return path / f"{name}.html", True
    return path, False


STYLE = """
body { font-family: sans-serif; margin: 1em; color: #222; }
h1 { font-size: 1.2em; }
#errors { color: #b00; white-space: pre-wrap; }
#filters label { margin-right: 1em; }
table { border-collapse: collapse; font-size: 0.85em; margin-top: 0.5em; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: left; }
th { background: #eee; cursor: pointer; user-select: none; }
tr.clip { cursor: pointer; }
tr.clip:hover { background: #f4f4ff; }
tr.selected { background: #dde4ff; }
tr.failed td.status { color: #b00; }
td.on { font-weight: bold; background: #ffe3d6; }
#detail { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; margin: 1em 0; }
#detail figure { margin: 0; text-align: center; font-size: 0.8em; }
#detail img { width: 192px; height: 192px; image-rendering: auto; border: 1px solid #ccc; }
.chart { width: 380px; height: 260px; }
"""

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="microau-results" content="{results}">
<style>{style}</style>
{plotly}
</head><body>
<h1>{title}</h1>
<div id="errors"></div>
<div id="timeline"></div>
<h2 id="detail-title"></h2>
<div id="detail"></div>
<div id="filters">
<label>AU on <select id="filter-au"><option value="">any</option></select></label>
<label>emotion <select id="filter-emotion"><option value="">any</option></select></label>
<label>status <select id="filter-status"><option value="">any</option><option value="ok">ok</option>
<option value="failed">not ok</option></select></label>
<span id="shown"></span>
</div>
<table id="clips"><thead></thead><tbody></tbody></table>
<script type="application/json" id="review-data">{data}</script>
<script>{script}</script>
</body></html>
"""

SCRIPT = r"""
window.addEventListener('error', e => {
  document.getElementById('errors').textContent += 'script error: ' + e.message + '\n';
});
const data = JSON.parse(document.getElementById('review-data').textContent);
const readings = Object.keys(data.emotion_classes);
const first = readings[0];
const detailDetails = data.entries.length ? Object.keys(data.entries[0].details) : [];
const columns = [
  {key: 'name', title: 'clip', value: e => e.name},
  {key: 'status', title: 'status', value: e => e.status},
  ...detailDetails.map(d => ({key: d, title: d, value: e => e.details[d]})),
  {key: 'active', title: 'AUs on', value: e => (e.active || []).join('+')},
  ...readings.map(r => ({
    key: 'emotion_' + r, title: 'emotion (' + r + ')', value: e => e.emotions ? e.emotions[r] : ''})),
  ...data.aus.map(au => ({key: au, title: au, value: e => e.aus ? e.aus[au] : null, au: true})),
];
let sortKey = null, sortUp = true, selected = null;

function fillFilters() {
  const au = document.getElementById('filter-au');
  data.aus.forEach(a => au.add(new Option(a, a)));
  const emotion = document.getElementById('filter-emotion');
  readings.forEach(r => data.emotion_classes[r].forEach(c => emotion.add(new Option(c + ' (' + r + ')', r + ':' + c))));
  ['filter-au', 'filter-emotion', 'filter-status'].forEach(
    id => document.getElementById(id).addEventListener('change', render));
}

function passes(e) {
  const au = document.getElementById('filter-au').value;
  const emotion = document.getElementById('filter-emotion').value;
  const status = document.getElementById('filter-status').value;
  if (au && !(e.active || []).includes(au)) return false;
  if (emotion) {
    const [r, c] = emotion.split(':');
    if (!e.emotions || e.emotions[r] !== c) return false;
  }
  if (status === 'ok' && e.status !== 'ok') return false;
  if (status === 'failed' && e.status === 'ok') return false;
  return true;
}

function render() {
  const head = document.querySelector('#clips thead');
  head.innerHTML = '';
  const tr = head.insertRow();
  columns.forEach(c => {
    const th = document.createElement('th');
    th.textContent = c.title + (sortKey === c.key ? (sortUp ? ' \u25b2' : ' \u25bc') : '');
    th.dataset.key = c.key;
    th.addEventListener('click', () => { sortUp = sortKey === c.key ? !sortUp : true; sortKey = c.key; render(); });
    tr.appendChild(th);
  });
  let order = data.entries.map((e, i) => i).filter(i => passes(data.entries[i]));
  if (sortKey) {
    const column = columns.find(c => c.key === sortKey);
    order.sort((a, b) => {
      const x = column.value(data.entries[a]), y = column.value(data.entries[b]);
      const cmp = (typeof x === 'number' || typeof y === 'number') ? (x ?? -1) - (y ?? -1)
        : String(x ?? '').localeCompare(String(y ?? ''), undefined, {numeric: true});
      return sortUp ? cmp : -cmp;
    });
  }
  const body = document.querySelector('#clips tbody');
  body.innerHTML = '';
  order.forEach(i => {
    const e = data.entries[i];
    const row = body.insertRow();
    row.className = 'clip' + (e.status === 'ok' ? '' : ' failed') + (i === selected ? ' selected' : '');
    row.dataset.index = i;
    columns.forEach(c => {
      const cell = row.insertCell();
      const v = c.value(e);
      cell.textContent = (typeof v === 'number') ? v.toFixed(3) : (v ?? '');
      if (c.key === 'status') cell.className = 'status';
      if (c.au && (e.active || []).includes(c.key)) cell.className = 'on';
    });
    row.addEventListener('click', () => show(i));
  });
  document.getElementById('shown').textContent = order.length + ' of ' + data.entries.length + ' shown';
}

function picture(src, caption) {
  return '<figure><img src="' + src + '" alt="' + caption + '"><figcaption>' + caption + '</figcaption></figure>';
}

function show(i) {
  selected = i;
  const e = data.entries[i];
  document.getElementById('detail-title').textContent = e.name + ': ' + e.status;
  const detail = document.getElementById('detail');
  if (!e.images) { detail.innerHTML = '<p>not analysed: ' + e.status + '</p>'; render(); return; }
  detail.innerHTML = picture(e.images.onset, 'onset') + picture(e.images.apex, 'apex')
    + picture(e.images.flow, 'flow image')
    + (e.images.attention ? picture(e.images.attention, 'PTA weights: ' + e.attention_of)
       : '<p>' + e.attention_of + '</p>')
    + '<div id="chart-aus" class="chart"></div><div id="chart-emotion" class="chart"></div>';
  Plotly.newPlot('chart-aus', [{type: 'bar', x: data.aus, y: data.aus.map(a => e.aus[a]),
      marker: {color: data.aus.map(a => e.active.includes(a) ? '#d62728' : '#7f7f7f')}}],
    {title: {text: 'P(on) per AU', font: {size: 13}}, yaxis: {range: [0, 1]}, margin: {l: 40, r: 10, t: 40, b: 40},
     shapes: [{type: 'line', xref: 'paper', x0: 0, x1: 1, y0: data.threshold, y1: data.threshold,
       line: {dash: 'dot', width: 1}}]},
    {displayModeBar: false, staticPlot: false});
  Plotly.newPlot('chart-emotion', readings.map(r => ({type: 'bar', name: r, x: data.emotion_classes[r],
      y: data.emotion_classes[r].map(c => e.scores[r][c])})),
    {title: {text: 'zero-shot emotion scores (Eq. 13)', font: {size: 13}}, barmode: 'group',
     margin: {l: 40, r: 10, t: 40, b: 40}, legend: {orientation: 'h'}}, {displayModeBar: false});
  render();
}

if (!data.entries.length) {  // a timeline alone (no model): no table to sort or filter
  document.getElementById('filters').style.display = 'none';
  document.getElementById('clips').style.display = 'none';
}
fillFilters();
render();
const timelineDrawn = !data.timeline ? Promise.resolve() :
  Plotly.newPlot('timeline', data.timeline.data, data.timeline.layout, {displayModeBar: false}).then(plot => {
    plot.on('plotly_click', ev => {
      const point = ev.points.find(p => p.customdata !== undefined);
      if (point) show(point.customdata);
    });
  });
timelineDrawn.then(() => { document.body.dataset.ready = 'yes'; });  // drawn: what a test waits for
// #entry-N (1-based, as a link from another page gives it) opens that entry, else the first analysed one
const linked = /^#entry-(\d+)$/.exec(location.hash);
const firstOk = data.entries.findIndex(e => e.status === 'ok');
if (linked && +linked[1] >= 1 && +linked[1] <= data.entries.length) show(+linked[1] - 1);
else if (firstOk >= 0) show(firstOk);
"""
