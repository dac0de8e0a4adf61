"""Action-unit strings as the coders wrote them -> AU numbers, laterality and intensity.

The releases write AUs as `+`-joined FACS pieces: `4`, `L10`, `R14A`, `A1B`, `12.0` (a number cell
read by Excel as a float), with spaces around `+` in places and alternatives joined by ` or `.
Rules (users see their effects in the `au_*` columns and in validation.tsv):

- Spreadsheet cells are read as text; a numeric cell `4` or `4.0` is the text `4`, never `40`.
- A string is split on `+` and on ` or `; each piece is `[AU][side]number[intensity]`:
  side is one of L, R (left/right), T, B (top/bottom) or A (SAMM's asymmetry letter), intensity
  is FACS A..E. Letters are kept as written (upper-cased), never dropped and never merged into
  the number, so `12 or 15` is AU12 and AU15, not AU1215.
- Alternatives (`R14A or 17A`): every alternative counts as present. A coder who could not tell
  AU14 from AU17 saw movement in that region, and a positive label for both keeps the sample's
  evidence; the reader adds a validation row so the ambiguity stays visible.
- A piece ending in `?` (`4+7?`: the coder was unsure of AU7) counts as present, for the reason
  alternatives do, and is reported as uncertain.
- A piece that matches none of this (`?`, `12x`, an empty piece from `12+`), or whose number is
  no FACS code (FACS, Ekman, Friesen & Hager 2002, numbers its action units and action
  descriptors from 1 to 85 and has no 3; `AU99` is a typing error), is ignored and reported; the
  other pieces of the string still count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SIDES = "LRTBA"
FACS_CODES = frozenset(range(1, 86)) - {3}
INTENSITIES = "ABCDE"

_SPLIT = re.compile(r"\+|\s+or\s+", re.IGNORECASE)
_ALTERNATIVE = re.compile(r"\s+or\s+", re.IGNORECASE)
_PIECE = re.compile(
    rf"(?:AU)?\s*(?P<side>[{SIDES}])?\s*(?P<au>[1-9]\d?)(?:\.0+)?\s*(?P<intensity>[{INTENSITIES}])?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class AUPiece:
    """One coded AU: its number, laterality letter and intensity letter ('' where not written)."""

    au: int
    side: str
    intensity: str


@dataclass
class ParsedAUs:
    """The pieces of one AU string, plus what could not be read, for the validation report."""

    pieces: list[AUPiece] = field(default_factory=list)
    unparsed: list[str] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)
    has_alternatives: bool = False

    @property
    def aus(self) -> set[int]:
        return {piece.au for piece in self.pieces}

    @property
    def side_field(self) -> str:
        """Sides `+`-joined in piece order; '' when no piece has one (so `4+7` gives '')."""
        return _join(piece.side for piece in self.pieces)

    @property
    def intensity_field(self) -> str:
        """Intensities `+`-joined in piece order; '' when no piece has one."""
        return _join(piece.intensity for piece in self.pieces)


def _join(values) -> str:
    values = list(values)
    return "+".join(values) if any(values) else ""


def cell_text(value: object) -> str:
    """Text of a spreadsheet cell, with integral floats written as integers (4.0 -> '4')."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_au_string(text: str) -> ParsedAUs:
    """Parse one AU string; see the module docstring for the rules."""
    parsed = ParsedAUs(has_alternatives=bool(_ALTERNATIVE.search(text)))
    if not text.strip():
        return parsed
    for raw in _SPLIT.split(text):
        piece = raw.strip()
        doubted = piece.endswith("?") and len(piece) > 1
        match = _PIECE.fullmatch(piece[:-1].rstrip() if doubted else piece)
        if match is None or int(match["au"]) not in FACS_CODES:
            parsed.unparsed.append(piece)
            continue
        if doubted:
            parsed.uncertain.append(piece)
        parsed.pieces.append(
            AUPiece(
                au=int(match["au"]),
                side=(match["side"] or "").upper(),
                intensity=(match["intensity"] or "").upper(),
            )
        )
    return parsed
