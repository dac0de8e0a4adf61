"""ELAN annotation files (.eaf): the one owner of the EAF format in microau.

Files are read and written with pympi-ling (it reads EAF 2.7 to 3.0, reference tiers and
controlled vocabularies included, and writes EAF 2.8, which every ELAN since 4.8 opens). Which
tiers mean what is a `TierMapping` (config section `elan`), the same for a coder's files read in
and for the files microau writes:

  interval tier  one annotation per micro-expression, from its onset to its offset; the value is
                 its FACS codes as coders write them (`1+2+L4`, `R12`; `microau.datasets.au_codes`)
  emotion tier   optional: the emotion of the micro-expression whose span covers its midpoint
                 (an independent tier or a controlled-vocabulary child of the interval tier)
  apex tier      optional: an annotation starting at the apex, inside its micro-expression
  AU tiers       optional, one tier per AU (`<au_tier_prefix><number>`: AU1, AU12, `AU 04`): each
                 annotation is that AU over its span, its value a side and/or intensity letter
                 (`L`, `C`, `R B`; a trailing `?` for a doubted AU); it belongs to the
                 micro-expression covering its midpoint, and where a file has no interval tier,
                 overlapping AU annotations make one
  phase tier     optional, instead of the interval tier: point (short) annotations whose value
                 starts with `onset`, `apex` or `offset`, in that order per micro-expression; text
                 after the word is FACS codes (`onset 1+2`)

Times in milliseconds are frames of the linked video, counted from 0, through its frame rate: an
annotation from t0 to t1 covers frames round(t0 * fps / 1000) to round(t1 * fps / 1000) - 1 (ELAN
puts a boundary at a frame's start when a coder steps frame by frame); a point annotation marks
the frame starting nearest to its start. The writer puts frame n's start at round(n * 1000 / fps)
ms, so what it writes reads back as the same frames. Tiers whose names start with `microau ` are
the export's own extras (other spotted kinds, AU probabilities, other emotion readings).
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from microau.errors import MicroauError
from microau.io.atomic import atomic_path
from microau.io.exports import claim_export

EXTRA_PREFIX = "microau "
AUTHOR = "microau"
DIGEST_PROPERTY = "microau annotations"  # the digest of what microau wrote: an edited export is a coder's file
PHASES = ("onset", "apex", "offset")
_LETTERS = re.compile(r"(?P<side>[LRTB])?\s*(?P<intensity>[A-E])?", re.IGNORECASE)


class ElanError(MicroauError):
    """An .eaf file or folder cannot be used as asked; the message names it."""


@dataclass(frozen=True)
class TierMapping:
    """Which tiers hold what (module docstring); the config's `elan` section."""

    interval_tier: str
    emotion_tier: str | None
    apex_tier: str | None
    au_tier_prefix: str | None
    phase_tier: str | None

    @classmethod
    def from_config(cls, section: dict) -> TierMapping:
        return cls(**{key: section[key] for key in cls.__dataclass_fields__})

    def au_of(self, tier: str) -> int | None:
        """The AU a tier holds in the one-tier-per-AU layout, else None."""
        if not self.au_tier_prefix:
            return None
        match = re.fullmatch(rf"{re.escape(self.au_tier_prefix)}\s*0*(\d+)", tier, re.IGNORECASE)
        return int(match.group(1)) if match else None

    def mapped(self, tier: str) -> bool:
        return tier in (self.interval_tier, self.emotion_tier, self.apex_tier, self.phase_tier) or (
            self.au_of(tier) is not None
        )


@dataclass(frozen=True)
class Annotation:
    """One time-aligned annotation: start and end in milliseconds, and its value."""

    start_ms: int
    end_ms: int
    value: str


@dataclass
class MicroExpression:
    """One micro-expression as frames of its video (0-based), with what the other tiers add."""

    onset: int
    offset: int
    codes: str
    apex: int | None = None
    emotion: str = ""
    probabilities: dict[str, float] = field(default_factory=dict)
    other_emotions: dict[str, str] = field(default_factory=dict)


@dataclass
class EafContent:
    """What one .eaf says, in frames: its video, participant, micro-expressions and other spotted kinds."""

    media: Path
    fps: float
    subject: str
    expressions: list[MicroExpression]
    other_kinds: dict[str, list[tuple[int, int]]] = field(default_factory=dict)


@dataclass
class EafFile:
    """An .eaf as stored: its tiers' annotations, each tier's participant, its media links."""

    path: Path
    tiers: dict[str, list[Annotation]]
    participants: dict[str, str]
    media_urls: list[str]


Problem = Callable[[str, Annotation | None, str, str], None]
"""Called with (tier, annotation or None, problem, action) for what a mapping cannot read."""


def frame_at(ms: float, fps: float) -> int:
    """The frame starting nearest to `ms` (module docstring)."""
    return int(round(ms * fps / 1000.0))


def ms_at(frame: int, fps: float) -> int:
    """The start of frame `frame` in whole milliseconds."""
    return int(round(frame * 1000.0 / fps))


# ---------------------------------------------------------------- reading


def read_eaf_file(path: Path) -> EafFile:
    """One .eaf's tiers, participants and media links (relative link first, then absolute)."""
    from pympi.Elan import Eaf

    try:
        eaf = Eaf(str(path), suppress_version_warning=True)
    except Exception as exc:  # pympi raises XML, key and value errors on files it cannot parse
        raise ElanError(f"cannot read {path} as an ELAN .eaf file: {exc}") from None
    tiers = {
        name: sorted(
            (Annotation(int(a[0]), int(a[1]), str(a[2] or "").strip()) for a in eaf.get_annotation_data_for_tier(name)),
            key=lambda a: (a.start_ms, a.end_ms),
        )
        for name in eaf.get_tier_names()
    }
    participants = {name: str(eaf.tiers[name][2].get("PARTICIPANT", "")).strip() for name in tiers}
    urls = [
        str(descriptor.get(key) or "")
        for descriptor in eaf.media_descriptors
        for key in ("RELATIVE_MEDIA_URL", "MEDIA_URL")
        if descriptor.get(key)
    ]
    return EafFile(path, tiers, participants, urls)


def participant(eaf: EafFile, mapping: TierMapping) -> str:
    """The participant of the interval (or phase) tier, else of any mapped tier; '' if none says."""
    first = [mapping.phase_tier if mapping.phase_tier in eaf.tiers else mapping.interval_tier]
    names = first + [name for name in eaf.tiers if mapping.mapped(name)]
    return next((eaf.participants[n] for n in names if eaf.participants.get(n)), "")


def expressions(eaf: EafFile, mapping: TierMapping, fps: float, problem: Problem) -> list[MicroExpression]:
    """The micro-expressions a file holds under `mapping`, in time order; what the mapping does
    not cover is passed to `problem`."""
    spans = _spans(eaf, mapping, fps, problem)
    au_tiers = {name: mapping.au_of(name) for name in eaf.tiers if mapping.au_of(name) is not None}
    if not spans and au_tiers:
        spans = _au_spans(eaf, au_tiers, fps)
    for name, au in au_tiers.items():
        for annotation in eaf.tiers[name]:
            owner = _owner(spans, (annotation.start_ms + annotation.end_ms) / 2)
            if owner is None:
                problem(name, annotation, f"AU{au} annotation lies in no micro-expression", "ignored")
                continue
            owner.codes = "+".join(filter(None, (owner.codes, _au_piece(name, au, annotation, problem))))
    for tier, attach in ((mapping.emotion_tier, _emotion), (mapping.apex_tier, _apex)):
        for annotation in eaf.tiers.get(tier, []) if tier else []:
            attach(spans, tier, annotation, fps, problem)
    for name, coded in eaf.tiers.items():
        if coded and not mapping.mapped(name) and not name.startswith(EXTRA_PREFIX):
            problem(name, None, f"tier '{name}' ({len(coded)} annotations) is not in the tier mapping", "ignored")
    return [e for _, _, e in spans]


def other_kinds(eaf: EafFile, fps: float) -> dict[str, list[tuple[int, int]]]:
    """The export's `microau <kind>` tiers (other spotted kinds) as frame spans."""
    return {
        name[len(EXTRA_PREFIX) :]: [_frames(a, fps) for a in coded]
        for name, coded in eaf.tiers.items()
        if name.startswith(EXTRA_PREFIX) and coded and not name[len(EXTRA_PREFIX) :].startswith(("emotion", "P("))
    }


_Span = tuple[int, int, MicroExpression]
"""(start ms, end ms, the micro-expression) of one coded micro-expression."""


def _frames(annotation: Annotation, fps: float) -> tuple[int, int]:
    onset = frame_at(annotation.start_ms, fps)
    return onset, max(onset, frame_at(annotation.end_ms, fps) - 1)


def _spans(eaf: EafFile, mapping: TierMapping, fps: float, problem: Problem) -> list[_Span]:
    """Micro-expressions of the interval tier, or of the phase tier's points."""
    if mapping.phase_tier and mapping.phase_tier in eaf.tiers:
        return _phase_spans(eaf.tiers[mapping.phase_tier], mapping.phase_tier, fps, problem)
    spans = []
    for annotation in eaf.tiers.get(mapping.interval_tier, []):
        onset, offset = _frames(annotation, fps)
        spans.append((annotation.start_ms, annotation.end_ms, MicroExpression(onset, offset, annotation.value)))
    return spans


def _phase_spans(annotations: list[Annotation], tier: str, fps: float, problem: Problem) -> list[_Span]:
    """onset (apex) offset points -> micro-expressions; a point out of that order is reported."""
    spans: list[_Span] = []
    opened: tuple[Annotation, MicroExpression] | None = None
    for annotation in annotations:
        word, _, rest = annotation.value.partition(" ")
        word = word.lower()
        frame = frame_at(annotation.start_ms, fps)
        if word not in PHASES:
            problem(tier, annotation, f"point '{annotation.value}' names none of {', '.join(PHASES)}", "ignored")
        elif word == "onset":
            if opened is not None:
                problem(tier, opened[0], "onset without an offset before the next onset", "dropped")
            opened = (annotation, MicroExpression(frame, frame, rest.strip()))
        elif opened is None:
            problem(tier, annotation, f"{word} without an onset before it", "ignored")
        elif word == "apex":
            opened[1].apex = frame
            opened[1].codes = "+".join(filter(None, (opened[1].codes, rest.strip())))
        else:
            start, e = opened
            e.offset = max(frame, e.onset)
            e.codes = "+".join(filter(None, (e.codes, rest.strip())))
            spans.append((start.start_ms, max(annotation.end_ms, start.end_ms), e))
            opened = None
    if opened is not None:
        problem(tier, opened[0], "onset without an offset", "dropped")
    return spans


def _au_spans(eaf: EafFile, au_tiers: dict[str, int], fps: float) -> list[_Span]:
    """Without an interval tier: overlapping AU annotations make one micro-expression each."""
    annotations = sorted((a for name in au_tiers for a in eaf.tiers[name]), key=lambda a: a.start_ms)
    merged: list[list[int]] = []
    for a in annotations:
        if merged and a.start_ms < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], a.end_ms)
        else:
            merged.append([a.start_ms, a.end_ms])
    return [(s, e, MicroExpression(*_frames(Annotation(s, e, ""), fps), "")) for s, e in merged]


def _owner(spans: list[_Span], at: float) -> MicroExpression | None:
    return next((e for start, end, e in spans if start <= at < end), None)


def _au_piece(tier: str, au: int, annotation: Annotation, problem: Problem) -> str:
    """`<side><au><intensity>` from an AU tier's annotation (its value the letters, if any, and a
    trailing `?` where the coder doubted the AU)."""
    value = annotation.value.strip()
    doubted = value.endswith("?")
    match = _LETTERS.fullmatch(value.removesuffix("?").strip())
    if match is None:
        text = f"value '{annotation.value}' is not a side (L, R, T, B) and/or intensity (A-E)"
        problem(tier, annotation, text, f"AU{au} kept without it")
        return str(au)
    side, intensity = (match["side"] or "").upper(), (match["intensity"] or "").upper()
    return f"{side}{au}{intensity}{'?' if doubted else ''}"


def _emotion(spans: list[_Span], tier: str, annotation: Annotation, fps: float, problem: Problem) -> None:
    owner = _owner(spans, (annotation.start_ms + annotation.end_ms) / 2)
    if owner is None:
        problem(tier, annotation, f"emotion '{annotation.value}' lies in no micro-expression", "ignored")
    elif owner.emotion:
        problem(
            tier,
            annotation,
            f"a second emotion '{annotation.value}' for one micro-expression",
            "ignored; the first is kept",
        )
    else:
        owner.emotion = annotation.value


def _apex(spans: list[_Span], tier: str, annotation: Annotation, fps: float, problem: Problem) -> None:
    owner = _owner(spans, annotation.start_ms)
    if owner is None:
        problem(tier, annotation, "apex lies in no micro-expression", "ignored")
    elif owner.apex is not None:
        problem(tier, annotation, "a second apex for one micro-expression", "ignored; the first is kept")
    else:
        owner.apex = min(max(frame_at(annotation.start_ms, fps), owner.onset), owner.offset)


# ---------------------------------------------------------------- writing


def write_eaf(path: Path, content: EafContent, mapping: TierMapping, probabilities: bool = False) -> None:
    """Write `content` as an .eaf linked to its video, with `mapping`'s tiers and the extras; a file
    at `path` that is not an unedited export of microau's is never replaced (ExportClashError)."""
    from pympi.Elan import Eaf, to_eaf

    claim_export(path, is_microau_eaf, "--eaf")

    eaf = Eaf(author=AUTHOR)
    eaf.remove_tier("default")
    media = Path(os.path.abspath(content.media))
    relative = os.path.relpath(media, Path(os.path.abspath(path)).parent)
    mimetype = mimetypes.guess_type(media.name)[0] or "video/*"
    eaf.add_linked_file(media.as_uri(), relpath=Path(relative).as_posix(), mimetype=mimetype)
    fps = content.fps

    def span(onset: int, offset: int) -> tuple[int, int]:
        return ms_at(onset, fps), ms_at(offset + 1, fps)

    main = mapping.phase_tier or mapping.interval_tier
    eaf.add_tier(main, part=content.subject or None)
    for tier in (mapping.emotion_tier, None if mapping.phase_tier else mapping.apex_tier):
        if tier:
            eaf.add_tier(tier)
    aus = sorted({au for e in content.expressions for au in _code_aus(e.codes)}) if mapping.au_tier_prefix else []
    au_tier = {au: f"{mapping.au_tier_prefix}{au}" for au in aus}
    readings = sorted({r for e in content.expressions for r in e.other_emotions})
    probability_aus = sorted({au for e in content.expressions for au in e.probabilities}) if probabilities else []
    extras = [f"{EXTRA_PREFIX}{kind}" for kind in content.other_kinds]
    extras += [f"{EXTRA_PREFIX}emotion ({r})" for r in readings] + [f"{EXTRA_PREFIX}P({au})" for au in probability_aus]
    for tier in [*au_tier.values(), *extras]:
        eaf.add_tier(tier)
    for e in content.expressions:
        start, end = span(e.onset, e.offset)
        if mapping.phase_tier:
            points = [("onset", e.onset, "" if au_tier else e.codes), ("apex", e.apex, ""), ("offset", e.offset, "")]
            for word, frame, text in points:
                if frame is not None:
                    eaf.add_annotation(main, *span(frame, frame), f"{word} {text}".strip())
        else:
            eaf.add_annotation(main, start, end, "" if au_tier else e.codes)
            if mapping.apex_tier and e.apex is not None:
                eaf.add_annotation(mapping.apex_tier, *span(e.apex, e.apex), "apex")
        if mapping.emotion_tier and e.emotion:
            eaf.add_annotation(mapping.emotion_tier, start, end, e.emotion)
        for au in _code_aus(e.codes) if au_tier else []:
            eaf.add_annotation(au_tier[au], start, end, "")
        for reading, emotion in e.other_emotions.items():
            eaf.add_annotation(f"{EXTRA_PREFIX}emotion ({reading})", start, end, emotion)
        for au in probability_aus:
            eaf.add_annotation(f"{EXTRA_PREFIX}P({au})", start, end, f"{e.probabilities[au]:.3f}")
    for kind, spans in content.other_kinds.items():
        for onset, offset in spans:
            eaf.add_annotation(f"{EXTRA_PREFIX}{kind}", *span(onset, offset), kind)
    eaf.add_property(DIGEST_PROPERTY, annotations_digest(eaf))
    with atomic_path(path) as tmp:
        to_eaf(str(tmp), eaf)


def annotations_digest(eaf: object) -> str:
    """A digest of a pympi `Eaf`'s annotations (tier, start, end, value), which ELAN keeps when it
    saves a file unchanged and changes when a coder edits one."""
    items = []
    for tier, (aligned, reference, _, _) in eaf.tiers.items():
        for start, end, value, _ in aligned.values():
            items.append((tier, eaf.timeslots.get(start) or -1, eaf.timeslots.get(end) or -1, value))
        items += [(tier, -1, -1, value) for _, value, _, _ in reference.values()]
    return hashlib.sha1(json.dumps(sorted(items)).encode()).hexdigest()


def is_microau_eaf(path: Path) -> bool:
    """Whether the .eaf at `path` is an export of microau's that nobody has edited since
    (`microau.io.exports.claim_export`): its digest property matches its annotations."""
    from pympi.Elan import Eaf

    try:
        eaf = Eaf(str(path))
    except Exception:  # pympi raises bare exceptions on files that are not EAF: such a file is not ours
        return False
    digests = [value for key, value in eaf.properties if key == DIGEST_PROPERTY]
    return bool(digests) and digests[-1] == annotations_digest(eaf)


def _code_aus(codes: str) -> list[int]:
    """The AU numbers of codes the writer itself made (`1+2+12`)."""
    return [int(piece) for piece in codes.split("+") if piece.strip().isdigit()]


def validate_eaf(path: Path, xsd: Path) -> None:
    """Check an .eaf against an EAF XML schema file (ELAN's EAFv2.8.xsd); raises ElanError."""
    import xmlschema

    schema = xmlschema.XMLSchema(str(xsd))
    errors = list(schema.iter_errors(str(path)))
    if errors:
        raise ElanError(f"{path} is not valid against {xsd}: {errors[0].reason} ({len(errors)} error(s))")
