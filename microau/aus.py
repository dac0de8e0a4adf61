"""Action-unit facts shared by the synthesizer, the feature cache and the model: codes, names, prompts,
Table I's landmarks and the patch tokens they fall in (Eq. 1).

Landmark indices are 0-based positions in the 68-point iBUG/dlib convention (Table I of the
paper: 48 and 54 are the mouth corners, 8 the chin centre).
"""

from __future__ import annotations

import numpy as np

from microau.errors import MicroauError

AU_LANDMARKS: dict[int, tuple[int, ...]] = {
    1: (19, 20, 21, 22, 23, 24),
    2: (19, 20, 21, 22, 23, 24),
    4: (19, 20, 21, 22, 23, 24),
    7: (38, 41, 44, 47),
    12: (48, 54),
    14: (55, 59, 60, 64),
    15: (48, 54),
    17: (7, 8, 9, 57),
}

# Positive and negative descriptions per AU (Sec. III-A: "The eyebrows are lowering" / "... not lowering").
AU_PROMPTS: dict[int, tuple[str, str]] = {
    1: ("The inner eyebrows are raising", "The inner eyebrows are not raising"),
    2: ("The outer eyebrows are raising", "The outer eyebrows are not raising"),
    4: ("The eyebrows are lowering", "The eyebrows are not lowering"),
    6: ("The cheeks are raising", "The cheeks are not raising"),
    7: ("The eyelids are tightening", "The eyelids are not tightening"),
    9: ("The nose is wrinkling", "The nose is not wrinkling"),
    10: ("The upper lip is raising", "The upper lip is not raising"),
    12: ("The lip corners are pulling up", "The lip corners are not pulling up"),
    14: ("The lip corners are tightening inward", "The lip corners are not tightening inward"),
    15: ("The lip corners are pulling down", "The lip corners are not pulling down"),
    17: ("The chin is raising", "The chin is not raising"),
}


class AUsError(MicroauError):
    """A list of AU numbers that does not read as one; the message names the flag."""


def parse_aus(text: str, flag: str = "--aus", where: str = "") -> list[int]:
    """The AU numbers of a comma-separated flag (`1,2,4`; empty parts are skipped); anything else is
    an AUsError naming the flag, and the config key `where` the value came from when given."""
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        key = f" ({where})" if where else ""
        raise AUsError(f"{flag} must be comma-separated AU numbers like 1,2,4, got '{text}'{key}") from None


def au_name(au: int) -> str:
    """Column name of an AU in every table (py-feat/OpenFace style)."""
    return f"AU{au:02d}"


def au_prompts(aus: list[int]) -> list[str]:
    """Each AU's (negative, positive) prompts in AU order: prompt 2n + label is AU n's text for that label."""
    return [AU_PROMPTS[au][side] for au in aus for side in (1, 0)]


def face_description(labels: list[int], aus: list[int]) -> str:
    """Whole-face text of one sample (global OrigCL): the positive descriptions of its active AUs."""
    active = [AU_PROMPTS[au][0] for au, on in zip(aus, labels) if on]
    return ". ".join(active) + "." if active else "The face shows no action unit."


def au_token_indices(landmarks: np.ndarray, aus: list[int], image_size: int, grid: tuple[int, int]) -> np.ndarray:
    """Eq. (1): each AU landmark (x, y) in flow-image pixels -> index of the patch token it falls in.

    Row from y, column from x, +1 for the class token. Two landmarks in one patch give one token
    (merged), so no patch counts twice in PTA's softmax; rows are padded with -1.
    """
    rows, cols = grid
    width = max(len(AU_LANDMARKS[au]) for au in aus)
    out = np.full((len(aus), width), -1, dtype=np.int64)
    for n, au in enumerate(aus):
        tokens: list[int] = []
        for point in AU_LANDMARKS[au]:
            x, y = landmarks[point]
            row = min(max(int(y * rows / image_size), 0), rows - 1)
            col = min(max(int(x * cols / image_size), 0), cols - 1)
            token = 1 + row * cols + col
            if token not in tokens:
                tokens.append(token)
        out[n, : len(tokens)] = tokens
    return out
