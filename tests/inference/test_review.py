"""The review pages of `microau analyse --review` and `microau spot --model --review`, opened by
headless Chromium from disk with the network off: what the page shows (the clips' rows, the
timeline's intervals, an entry reached by its link) and no script error."""

import csv
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from plotly.offline import get_plotlyjs

from microau.cli import main as cli_main
from microau.inference.review import (
    ReviewClashError,
    ReviewPage,
    attention_of,
    attention_overlay,
    claim_page,
    review_target,
    script_name,
)
from microau.io.prediction_rows import Prediction
from microau.model.decision import active_aus
from tests.inference.test_analyse import astronaut_clip, write_folder, write_video

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=10000",
]
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (Debian: apt-get install chromium)")


def browse(page: Path, profile: Path, *args: str, fragment: str = "") -> subprocess.CompletedProcess:
    """Chromium on the page from disk (a fresh profile, no network), with `args` (--dump-dom, --screenshot=...)."""
    return subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri() + fragment],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class Browser:
    """Headless Chromium driven over its DevTools protocol (websocket-client): a page opened from
    disk, real mouse clicks at an element's place, the page's state read back by JavaScript."""

    def __init__(self, profile: Path) -> None:
        import itertools
        import json
        import urllib.request

        websocket = pytest.importorskip("websocket", reason="websocket-client drives the browser (the test extra)")
        self.json, self.ids = json, itertools.count(1)
        self.process = subprocess.Popen(
            [
                CHROMIUM,
                *CHROMIUM_FLAGS[:-3],
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
                "--window-size=1400,1500",
                "about:blank",
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        for line in self.process.stderr:
            found = re.search(r"DevTools listening on ws://127.0.0.1:(\d+)/", line)
            if found:
                break
        threading.Thread(target=self.process.stderr.read, daemon=True).start()  # a full pipe would stall it
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # the debugging port is local
        targets = json.load(opener.open(f"http://127.0.0.1:{found.group(1)}/json", timeout=30))
        page = next(t for t in targets if t["type"] == "page")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"], suppress_origin=True, timeout=60)
        self.call("Runtime.enable")

    def call(self, method: str, **params) -> dict:
        number = next(self.ids)
        self.socket.send(self.json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = self.json.loads(self.socket.recv())
            if message.get("id") == number:
                return message.get("result", {})

    def evaluate(self, expression: str):
        reply = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        assert "exceptionDetails" not in reply, reply["exceptionDetails"]
        return reply["result"].get("value")

    def open(self, page: Path) -> None:
        self.call("Page.enable")
        self.call("Page.navigate", url=page.resolve().as_uri())
        for _ in range(600):  # until the page has drawn everything (its body's data-ready)
            if self.evaluate("document.body !== null && document.body.dataset.ready === 'yes'"):
                return
            time.sleep(0.1)
        raise AssertionError(f"{page} did not finish drawing in 60 s")

    def click(self, selector: str, index: int = 0) -> None:
        """A left click of the mouse at the middle of the index-th element matching `selector`."""
        x, y = self.evaluate(
            f"(() => {{ const r = document.querySelectorAll({selector!r})[{index}].getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)
        time.sleep(0.5)

    def choose(self, select: str, value: str) -> None:
        """Choose `value` in the <select> of id `select`, as a user does (its change event)."""
        self.evaluate(
            f"{{ const s = document.getElementById({select!r}); s.value = {value!r}; "
            "s.dispatchEvent(new Event('change')); }"
        )

    def text(self, selector: str) -> str:
        return self.evaluate(f"document.querySelector({selector!r}).textContent")

    def column(self, index: int) -> list[str]:
        return self.evaluate(
            f"[...document.querySelectorAll('#clips tbody tr')].map(r => r.cells[{index}].textContent)"
        )

    def close(self) -> None:
        self.socket.close()
        self.process.kill()
        self.process.wait()


def shown_rows(dom: str) -> list[list[str]]:
    """The cells of each clip row of the page's table, as the browser built them."""
    body = dom.split('<table id="clips">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr class="clip[^"]*" data-index="\d+">(.*?)</tr>', body)
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in rows]


def assert_no_script_error(result: subprocess.CompletedProcess, dom: str) -> None:
    assert result.returncode == 0, result.stderr[-2000:]
    assert '<div id="errors"></div>' in dom, dom.split('<div id="errors">', 1)[1][:500]
    assert "Uncaught" not in result.stderr, result.stderr[-2000:]


def assert_offline(page: Path) -> None:
    """Every script and image is inside the page: nothing is fetched from anywhere."""
    text = page.read_text()
    assert "<script src" not in text and "<link" not in text and 'src="http' not in text


def prediction(probs: list[float]) -> Prediction:
    tokens = np.array([[1, 2, 0], [5, 6, 7]])  # AU tokens: 1 + row * cols + col; 0 pads
    weights = np.array([[0.7, 0.3, 0.0], [0.2, 0.5, 0.3]], dtype=np.float32)
    aus = dict(zip(["AU01", "AU12"], probs))
    return Prediction(aus, active_aus(aus), {}, {}, tokens, weights)


def test_attention_shows_the_active_aus_and_names_the_most_probable_when_none_is_active():
    cells, label = attention_of(prediction([0.9, 0.2]), ["AU01", "AU12"], (2, 4))
    assert label == "AU01" and cells[0, 0] == pytest.approx(0.7) and cells[0, 1] == pytest.approx(0.3)
    assert cells[1].sum() == 0  # AU12 is off: its cells stay unpainted
    cells, label = attention_of(prediction([0.1, 0.3]), ["AU01", "AU12"], (2, 4))
    assert label == "no AU above 0.5; the most probable, AU12" and cells[1, 0] == pytest.approx(0.2)
    global_pooling = Prediction({"AU01": 0.9}, ["AU01"], {}, {})
    assert attention_of(global_pooling, ["AU01"], (2, 4)) == (None, "no patch token weights (pooling: global)")
    crop = np.full((8, 16, 3), 100, np.uint8)
    painted = attention_overlay(crop, cells)
    assert (painted[4:, 0:4] != 100).any() and (painted[:4, 4:] == 100).all()  # only weighted cells change


def astronaut_long(path: Path, apexes: tuple[int, ...], count: int = 180, half: int = 6) -> Path:
    """skimage's astronaut still for `count` frames at 30 fps, the brows rising and falling back
    around each apex, with sensor noise: a long video whose micro-expressions are known."""
    rise = astronaut_clip(2 * half + 1, half, amplitude_px=2.0)
    still = rise[0]
    rng = np.random.default_rng(0)
    frames = []
    for number in range(count):
        near = [a for a in apexes if abs(number - a) <= half]
        frame = rise[number - near[0] + half] if near else still
        frames.append(np.clip(frame + rng.normal(0, 2.0, frame.shape), 0, 255).astype(np.uint8))
    return write_video(path, frames)


@needs_chromium
def test_the_clips_page_shows_every_clip_its_pictures_and_filters_in_a_browser(fold_model, tmp_path):
    frames = astronaut_clip(9, 5)
    write_folder(tmp_path / "clips" / "a", frames)
    write_video(tmp_path / "clips" / "b.avi", frames)
    write_folder(tmp_path / "clips" / "wall", [np.full((200, 200, 3), 128 + n, np.uint8) for n in range(4)])
    page = tmp_path / "review.html"
    argv = [
        "analyse",
        str(tmp_path / "clips"),
        "--model",
        str(fold_model),
        "--out",
        str(tmp_path / "aus.csv"),
        "--quiet",
    ]
    assert cli_main([*argv, "--review", str(page), "--jobs", "1"]) == 0
    assert_offline(page)
    result = browse(page, tmp_path / "profile", "--dump-dom")
    dom = result.stdout
    assert_no_script_error(result, dom)
    rows = shown_rows(dom)
    assert [row[0] for row in rows] == ["a", "b.avi", "wall"]
    assert [row[1] for row in rows] == [
        "ok",
        "ok",
        f"no face detected in frame 0 of image folder {tmp_path / 'clips' / 'wall'}",
    ]
    with open(tmp_path / "aus.csv", newline="") as handle:
        written = {row["clip"]: row for row in csv.DictReader(handle)}
    assert rows[0][-8:] == [
        f"{float(written['a'][f'{au}_prob']):.3f}"
        for au in ["AU01", "AU02", "AU04", "AU07", "AU12", "AU14", "AU15", "AU17"]
    ]
    # the first analysed clip is open: its four pictures (data URIs) and the two plotly charts
    detail = dom.split('<div id="detail">', 1)[1].split('<div id="filters">', 1)[0]
    assert '<h2 id="detail-title">a: ok</h2>' in dom
    assert len(re.findall(r'<img src="data:image/jpeg;base64,', detail)) == 4
    assert detail.count('class="main-svg"') >= 2
    assert 'alt="PTA weights: ' in detail
    linked = browse(page, tmp_path / "profile2", "--dump-dom", fragment="#entry-3")
    assert '<h2 id="detail-title">wall: no face detected' in linked.stdout
    assert '<option value="AU04">AU04</option>' in dom and "3 of 3 shown" in dom
    browser = Browser(tmp_path / "profile3")
    try:
        browser.open(page)
        browser.click("#clips th", 0)  # sort by clip, then again: descending
        browser.click("#clips th", 0)
        assert browser.column(0) == ["wall", "b.avi", "a"]
        browser.click("#clips tbody tr", 1)  # b.avi's row opens b.avi
        assert browser.text("#detail-title") == "b.avi: ok"
        browser.choose("filter-status", "failed")
        assert browser.column(0) == ["wall"] and browser.text("#shown") == "1 of 3 shown"
        emotion = written["a"]["mer_combinations_pred"]
        browser.choose("filter-status", "")
        browser.choose("filter-emotion", f"combinations:{emotion}")
        expected = [clip for clip in ("b.avi", "a") if written[clip]["mer_combinations_pred"] == emotion]
        assert browser.column(0) == expected
        browser.choose("filter-emotion", "")
        browser.choose("filter-au", "AU01")
        assert browser.column(0) == [clip for clip in ("b.avi", "a") if written[clip]["AU01_on"] == "1"]
    finally:
        browser.close()


@needs_chromium
@pytest.mark.slow
def test_the_long_video_page_shows_the_signal_and_each_spotted_interval_in_a_browser(fold_model, tmp_path):
    video = astronaut_long(tmp_path / "long.avi", (45, 120))
    truth = tmp_path / "truth.csv"
    truth.write_text(
        "video,subject,kind,onset,apex,offset\nlong,s01,micro,39,45,51\nlong,s01,micro,114,120,126\nother,s02,micro,1,2,3\n"
    )
    config = tmp_path / "config.yaml"
    config.write_text("spotting: {}\n")
    page = tmp_path / "long.html"
    out = tmp_path / "analysis.csv"
    argv = ["--video", str(video), "--config", str(config), "--model", str(fold_model), "--out", str(out), "--quiet"]
    assert cli_main(["spot", *argv, "--review", str(page), "--truth", str(truth), "--jobs", "1"]) == 0
    spotted = list(csv.DictReader(out.open()))
    assert [int(row["apex"]) for row in spotted] == pytest.approx([45, 120], abs=3)
    assert_offline(page)
    result = browse(page, tmp_path / "profile", "--dump-dom")
    dom = result.stdout
    assert_no_script_error(result, dom)
    assert [row[0] for row in shown_rows(dom)] == ["micro 1", "micro 2"]
    timeline = dom.split('<div id="timeline"', 1)[1].split('<h2 id="detail-title">', 1)[0]
    for legend in ("micro signal", "micro threshold", "spotted micro", "truth micro", "micro apex (click: its AUs)"):
        assert f">{legend}<" in timeline, legend
    assert timeline.count('class="point plotly-customdata"') == len(spotted)  # a clickable apex per micro-expression
    second = browse(page, tmp_path / "profile2", "--dump-dom", fragment="#entry-2")
    assert '<h2 id="detail-title">micro 2: ok</h2>' in second.stdout
    browser = Browser(tmp_path / "profile3")
    try:
        browser.open(page)
        assert browser.text("#detail-title") == "micro 1: ok"
        browser.click("#timeline .point.plotly-customdata", 1)  # the second apex marker on the timeline
        assert browser.text("#detail-title") == "micro 2: ok"
    finally:
        browser.close()


@needs_chromium
def test_pages_written_into_one_folder_share_plotlys_script_and_still_open_offline(tmp_path):
    video = astronaut_long(tmp_path / "long.avi", (45,), count=90)
    config = tmp_path / "config.yaml"
    config.write_text("spotting: {}\n")
    pages = tmp_path / "pages"
    for name in ("first", "second"):
        argv = ["spot", "--video", str(video), "--config", str(config), "--name", name, "--quiet"]
        assert cli_main([*argv, "--out", str(tmp_path / f"{name}.csv"), "--review", str(pages)]) == 0
    assert cli_main([*argv, "--out", str(tmp_path / "alone.csv"), "--review", str(tmp_path / "alone.html")]) == 0
    script = script_name()
    assert sorted(path.name for path in pages.iterdir()) == sorted(["first.html", "second.html", script])
    assert (pages / script).read_text() == get_plotlyjs()
    for page in (pages / "first.html", pages / "second.html"):
        text = page.read_text()
        assert text.count("<script src") == 1 and f'<script src="{script}"></script>' in text
        assert len(text) < 100_000 and 'src="http' not in text
        result = browse(page, tmp_path / f"profile-{page.stem}", "--dump-dom")
        assert_no_script_error(result, result.stdout)
        timeline = result.stdout.split('<div id="timeline"', 1)[1].split('<h2 id="detail-title">', 1)[0]
        assert 'class="main-svg"' in timeline  # plotly, loaded from the shared copy, drew the timeline
    alone = tmp_path / "alone.html"
    assert_offline(alone)
    assert get_plotlyjs() in alone.read_text()


def test_a_folder_gets_a_page_of_that_name_and_a_file_path_a_page_that_carries_its_script(tmp_path):
    (tmp_path / "existing.html").mkdir()
    assert review_target(tmp_path / "pages", "v1") == (tmp_path / "pages" / "v1.html", True)
    assert review_target(tmp_path / "existing.html", "v1") == (tmp_path / "existing.html" / "v1.html", True)
    assert review_target(tmp_path / "page.html", "v1") == (tmp_path / "page.html", False)


def test_a_page_is_never_written_over_another_runs_page(tmp_path):
    """Two participants' interview.mp4 analysed one at a time into one --review folder, each with --out
    .../interview.csv, would both be pages/interview.html: the second run is refused in one line before
    it loads the model (the model path here does not exist), and the first page is kept."""
    videos = [write_video(tmp_path / "videos" / p / "interview.mp4", astronaut_clip(6, 3)) for p in ("p01", "p02")]
    pages = tmp_path / "pages"
    page = pages / "interview.html"
    ReviewPage("p01", None).write(page, True, tmp_path / "p01" / "interview.csv")
    claim_page(page, tmp_path / "p01" / "interview.csv")  # the same run again replaces its own page
    first = page.read_text()
    with pytest.raises(ReviewClashError, match=r"interview.html is already the review page of .*p01/interview.csv"):
        claim_page(page, tmp_path / "p02" / "interview.csv")
    argv = ["analyse", str(videos[1]), "--model", str(tmp_path / "none.pt"), "--review", str(pages)]
    assert cli_main([*argv, "--out", str(tmp_path / "p02" / "interview.csv")]) != 0
    assert page.read_text() == first
    claim_page(pages / "p02.html", tmp_path / "p02" / "interview.csv")  # a page of its own name is free
    ReviewPage("spot", None).write(tmp_path / "spot.html")  # a page of no results file belongs to no run
    with pytest.raises(ReviewClashError, match="review page of another run"):
        claim_page(tmp_path / "spot.html", tmp_path / "p02" / "interview.csv")
