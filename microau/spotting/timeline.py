"""The timeline of a long video's review page (`microau spot --review`): each kind's spotting signal
with its threshold, the spotted intervals by kind, the ground truth when known and the spans without a
face (nothing spotted there), as a plotly figure the page (`microau.inference.review`) draws above its
table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from microau.io.intervals import Interval
from microau.spotting.spotter import Signal

if TYPE_CHECKING:
    import plotly.graph_objects as go

KIND_COLOURS = {"micro": "#d62728", "macro": "#1f77b4"}
FACELESS_COLOUR = "#7f7f7f"


@dataclass
class Timeline:
    """What the long video's timeline shows: each kind's signal and threshold, the spotted and the
    true intervals, the (first, last) frames of each span without a face, and the frame rate that
    turns frames into seconds."""

    fps: float
    signals: dict[str, tuple[Signal, float]]
    spotted: list[Interval]
    truth: list[Interval] | None
    faceless: list[tuple[int, int]] = field(default_factory=list)


def faceless_lane(timeline: Timeline) -> go.Scatter:
    """The lane of the spans without a face (a plotly trace)."""
    import plotly.graph_objects as go

    xs = [x for first, last in timeline.faceless for x in (first / timeline.fps, last / timeline.fps, None)]
    return go.Scatter(
        x=xs,
        y=["no face" if x is not None else None for x in xs],
        mode="lines",
        name="no face (not spotted)",
        line={"color": FACELESS_COLOUR, "width": 12},
        hoverinfo="x+name",
    )


def timeline_figure(timeline: Timeline, clickable: bool) -> dict:
    """The plotly figure of the timeline: the signals over time (top) and the intervals by kind
    (bottom: spotted, and the truth when known); each spotted micro-expression's apex marker
    carries the index of its entry on the review page (`clickable`: the page has entries to open)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.65, 0.35], vertical_spacing=0.06)
    for kind, (sig, limit) in timeline.signals.items():
        seconds = sig.sampled / timeline.fps
        colour = KIND_COLOURS[kind]
        figure.add_trace(
            go.Scatter(x=seconds, y=sig.face, name=f"{kind} signal", line={"color": colour, "width": 1}), 1, 1
        )
        figure.add_trace(
            go.Scatter(
                x=[seconds[0], seconds[-1]],
                y=[limit, limit],
                name=f"{kind} threshold",
                mode="lines",
                line={"color": colour, "dash": "dash", "width": 1},
            ),
            1,
            1,
        )
    lanes = [("spotted", timeline.spotted)] + ([("truth", timeline.truth)] if timeline.truth is not None else [])
    micro = 0
    for lane, intervals in lanes:
        for kind in sorted({i.kind for i in intervals}):
            xs: list[float | None] = []
            for interval in (i for i in intervals if i.kind == kind):
                xs += [interval.onset / timeline.fps, interval.offset / timeline.fps, None]
            y = f"{lane} {kind}"
            figure.add_trace(
                go.Scatter(
                    x=xs,
                    y=[y if x is not None else None for x in xs],
                    mode="lines",
                    name=f"{lane} {kind}",
                    line={"color": KIND_COLOURS[kind], "width": 12 if lane == "spotted" else 6},
                    opacity=1.0 if lane == "spotted" else 0.5,
                    hoverinfo="x+name",
                ),
                2,
                1,
            )
        if lane == "spotted":
            apexes = [i for i in intervals if i.kind == "micro"]
            figure.add_trace(
                go.Scatter(
                    x=[i.apex / timeline.fps for i in apexes],
                    y=["spotted micro"] * len(apexes),
                    mode="markers",
                    name="micro apex (click: its AUs)" if clickable else "micro apex",
                    marker={"color": "black", "size": 9, "symbol": "diamond"},
                    customdata=list(range(micro, micro + len(apexes))),
                    text=[f"micro {n + 1}: frames {i.onset}-{i.offset}, apex {i.apex}" for n, i in enumerate(apexes)],
                    hoverinfo="text",
                ),
                2,
                1,
            )
            micro += len(apexes)
    if timeline.faceless:
        figure.add_trace(faceless_lane(timeline), 2, 1)
    figure.update_xaxes(title_text="seconds", row=2, col=1)
    figure.update_yaxes(title_text="signal", row=1, col=1)
    figure.update_layout(
        height=460, margin={"l": 60, "r": 20, "t": 30, "b": 40}, legend={"orientation": "h", "y": 1.08}
    )
    return json.loads(figure.to_json())
