"""Action-unit facts shared by the synthesizer, the feature cache and the model.

Landmark indices are 0-based positions in the 68-point iBUG/dlib convention (Table I of the
paper: 48 and 54 are the mouth corners, 8 the chin centre).
"""

from __future__ import annotations

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
