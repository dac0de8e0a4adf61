"""Tiny fake releases of CASME II, SAMM and CAS(ME)^3 with the quirks of the real ones.

Each builder writes 8x8 images and a coding sheet with the release's exact headers (and title
block) under a folder, so reader tests, and other stages' tests, run on the real layouts in
milliseconds. The module constants say what each release holds; tests compare against them.
Import with `from tests.fake_releases import make_casme2`.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Callable, Iterable, Sequence

import cv2
import numpy as np
import openpyxl
import yaml

SHIPPED_CONFIG = Path(__file__).resolve().parents[1] / "config" / "config.yaml"


def paper_settings(reader: str) -> dict:
    """`aus` and `class3` of the shipped config's dataset read by `reader` (the paper's AU set and
    MEGC 2019's classes): the reader tests index with the settings a user's run passes."""
    datasets = yaml.safe_load(SHIPPED_CONFIG.read_text())["datasets"].values()
    entry = next(entry for entry in datasets if entry["reader"] == reader and not entry.get("generated"))
    return {"aus": entry["aus"], "class3": entry["class3"]}


def paper_flags(reader: str) -> list[str]:
    """The same settings as `microau index` flags."""
    settings = paper_settings(reader)
    return ["--aus", ",".join(map(str, settings["aus"])), "--class3", json.dumps(settings["class3"])]


CASME2_HEADER = [
    "Subject",
    "Filename",
    None,
    "OnsetFrame",
    "ApexFrame",
    "OffsetFrame",
    None,
    "Action Units",
    "Estimated Emotion",
]
# Subject (int), Filename, unnamed, onset, apex, offset, unnamed, AU cell (int, float or str), emotion
CASME2_ROWS = [
    [1, "EP02_01f", None, 10, 12, 14, None, "1+2", "happiness"],
    [1, "EP03_02", None, 20, 22, 24, None, 4, "disgust"],
    [2, "EP01_11f", None, 5, 7, 9, None, "4+L10", "repression"],
    [4, "EP12_01f", None, 30, "/", 34, None, 12.0, "others"],  # apex '/', AU as a float cell
    [5, "EP09_05f", None, 3, 3, 6, None, "R12 + R15", "surprise"],  # apex == onset
    [16, "EP01_08", None, 73, 75, 80, None, 14, "sadness"],  # Cropped holds only 73..76
    [3, "EP05_01", None, 1, 2, 3, None, "17", "happiness"],  # sub03 folder empty
    [6, "EP07_01", None, 1, 2, 3, None, "7", "disgust"],  # sample folder missing
    [7, "EP01_01", None, 1, 2, 3, None, "4", "disgust"],  # apex image corrupt
    [8, "EP02_02", None, 10, 20, 15, None, "12+?", "Happiness"],  # apex after offset, '?' piece
    [9, "EP03_01", None, 40, 42, 44, None, "1+2+4", "fear"],  # frame 43 missing on disk
]
CASME2_CROPPED_LAST = {("sub16", "EP01_08"): 76}
CASME2_MISSING_FRAMES = {("sub09", "EP03_01"): [43]}
CASME2_CORRUPT = {("sub07", "EP01_01"): 2}
CASME2_EMPTY_SUBJECTS = ["sub03"]
CASME2_MISSING_SAMPLES = {("sub06", "EP07_01"): "EP07_02"}  # sample folder -> the folder there instead

SAMM_HEADER = [
    "Subject",
    "Filename",
    "Inducement Code",
    "Onset Frame",
    "Apex Frame",
    "Offset Frame",
    "Duration",
    "Micro",
    "Action Units",
    "Estimated Emotion",
    "Objective Classes",
    "Notes",
]
SAMM_TITLE_ROWS = 13
# Subject, Filename, onset, apex, offset, AU, emotion; frame padding width per sample
SAMM_ROWS = [
    [6, "006_1_2", 5562, 5564, 5567, "R14A or 17A", "Contempt"],
    ["007", "007_3_1", 801, 803, 806, "4+L10", "Surprise"],
    [11, "011_2_3", 100, 102, 104, "A1B+A2C", "Anger"],
    [28, "028_4_1", 200, 210, 205, "R12 + R15", "Happiness"],  # apex after offset
    [32, "032_3_1", 300, 295, 305, 7, "Other"],  # apex before onset
    [20, "020_1_1", 50, 52, 54, 4, "Others"],
    [25, "025_1_1", 10, 12, 14, "12", "Happiness"],  # subject folder empty
    [26, "026_1_1", 10, 12, 14, "2", "Fear"],  # onset image corrupt
]
SAMM_PADDING = {"006_1_2": 5}
SAMM_EMPTY_SUBJECTS = ["025"]
SAMM_CORRUPT = {"026_1_1": 10}

CASME3_HEADER = ["Subject", "Filename", "Onset", "Apex", "Offset", "AU", "Objective class", "emotion"]
CASME3_SHEET = "annotation/partA/cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx"
CASME3_ROWS = [
    ["spNO.1", "a", "1", "3", "6", "L1+L2", "1", "happy"],
    ["spNO.1", "b", "10", "12", "14", "4+7", "2", "disgust"],
    ["spNO.2", "c", "5", "7", "9", "12", "7", "Others"],
    ["spNO.149", "d", "20", "15", "25", "14", "2", "anger"],  # onset after apex
    ["spNO.216", "d", "40", "35", "45", "15", "2", "sad"],  # onset after apex
    ["spNO.40", "e", "5", "8", "0", "17", "3", "fear"],  # offset 0
    ["spNO.3", "a", "1", "2", "4", "4", "6", "surprise"],
    ["spNO.3", "b", "1", "2", "4", "1", "7", "others"],
]
CASME3_FOLDER_SPELLING = {"spNO.2": "spNo.2", "spNO.40": "spNo.40"}
CASME3_DATA = "data/part_A"


def write_image(path: Path, value: int = 128) -> None:
    """An 8x8 grey JPEG whose brightness tells frames apart."""
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), np.full((8, 8, 3), value, np.uint8))


def write_corrupt(path: Path) -> None:
    """Bytes that are not an image, under an image name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a jpeg at all")


def motion_clip(count: int, peak: int, amplitude_px: float = 1.5, seed: int = 0) -> list[np.ndarray]:
    """`count` 640x480 frames of a synthetic face (the demo's renderer) whose brow region rises
    linearly to `amplitude_px` at index `peak` and falls back, with sensor noise: a clip whose
    apex is known."""
    from microau.datasets.generators.synthetic import SubjectRenderer, plan_subjects
    from microau.preprocess.crop import shared_detector

    base = SubjectRenderer(plan_subjects(0, 1)[0]).render(None, (0.0, 0.0), 1.0, None).astype(np.float32)
    face = shared_detector().detect(base.astype(np.uint8))
    centre_x, centre_y = face.x + face.width / 2, face.y + face.height / 4
    ys, xs = np.mgrid[0 : base.shape[0], 0 : base.shape[1]].astype(np.float32)
    bump = np.exp(-((xs - centre_x) ** 2 + (ys - centre_y) ** 2) / (2 * (face.width / 5) ** 2))
    rng = np.random.default_rng(seed)
    frames = []
    for index in range(count):
        level = min(index / peak, (count - 1 - index) / (count - 1 - peak))
        moved = cv2.remap(base, xs, ys + amplitude_px * level * bump, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
        noisy = moved + rng.normal(0.0, 1.0, moved.shape).astype(np.float32)
        frames.append(np.clip(np.rint(noisy), 0, 255).astype(np.uint8))
    return frames


def write_frames(folder: Path, numbers: Iterable[int], name: Callable[[int], str]) -> None:
    for n in numbers:
        write_image(folder / name(n), value=(n * 7) % 256)


def write_xlsx(
    path: Path, header: Sequence, rows: Iterable[Sequence], sheet: str = "Sheet1", title_rows: int = 0
) -> None:
    """A coding sheet: optional title block (first cell text, rest blank), header row, rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for i in range(title_rows):
        worksheet.append([f"SAMM title line {i + 1}" if i % 3 == 0 else None])
    worksheet.append(list(header))
    for row in rows:
        worksheet.append(list(row))
    workbook.save(path)


def make_casme2(
    root: Path, rows: Sequence[Sequence] = CASME2_ROWS, coding_name: str = "CASME2-coding-20140508.xlsx"
) -> Path:
    """CASME II release with all three frame layouts, a doubled Cropped folder and stray files."""
    write_xlsx(root / coding_name, CASME2_HEADER, rows)
    write_xlsx(root / "CASME2-ObjectiveClasses.xlsx", ["Subject", "Filename", "Objective Class"], [[1, "EP02_01f", 1]])
    layouts = {
        "raw": (root / "CASME2_RAW" / "CASME2-RAW", "img{}.jpg"),
        "selected": (root / "CASME2_RAW_selected", "img{}.jpg"),
        "cropped": (root / "Cropped" / "Cropped", "reg_img{}.jpg"),
    }
    for variant, (top, pattern) in layouts.items():
        for subject in CASME2_EMPTY_SUBJECTS:
            (top / subject).mkdir(parents=True, exist_ok=True)
        for row in rows:
            subject, filename, onset, offset = f"sub{row[0]:02d}", row[1], row[3], row[5]
            if subject in CASME2_EMPTY_SUBJECTS:
                continue
            folder = top / subject / CASME2_MISSING_SAMPLES.get((subject, filename), filename)
            first = 1 if variant == "raw" else onset
            last = offset + 3 if variant == "raw" else offset
            if variant == "cropped":
                last = CASME2_CROPPED_LAST.get((subject, filename), last)
            missing = CASME2_MISSING_FRAMES.get((subject, filename), [])
            write_frames(folder, [n for n in range(first, last + 1) if n not in missing], pattern.format)
            if (subject, filename) in CASME2_CORRUPT:
                write_corrupt(folder / pattern.format(CASME2_CORRUPT[(subject, filename)]))
        (top / "sub01" / "EP02_01f" / "img13.lnk").write_bytes(b"shortcut")
    (root / "Cropped" / "Cropped" / "sub01" / "Shortcut to sub01.lnk").write_bytes(b"shortcut")
    avi = root / "CASME2_Compressed video" / "CASME2_compressed" / "sub01" / "EP02_01f.avi"
    avi.parent.mkdir(parents=True)
    avi.write_bytes(b"not a video")
    return root


def make_samm(root: Path, rows: Sequence[Sequence] = SAMM_ROWS) -> Path:
    """SAMM release: titled coding sheet, SAMM/<subj>/<Filename>/<subj>_<frame>.jpg frames."""
    sheet_rows = [
        [subject, filename, "1", onset, apex, offset, None, "Micro", au, emotion, "7", None]
        for subject, filename, onset, apex, offset, au, emotion in rows
    ]
    write_xlsx(
        root / "SAMM_Micro_FACS_Codes_v2.xlsx", SAMM_HEADER, sheet_rows, sheet="FACS", title_rows=SAMM_TITLE_ROWS
    )
    for subject, filename, onset, _apex, offset, _au, _emotion in rows:
        subject = f"{int(subject):03d}"
        folder = root / "SAMM" / subject
        if subject in SAMM_EMPTY_SUBJECTS:
            folder.mkdir(parents=True, exist_ok=True)
            continue
        name = functools.partial(samm_frame_name, subject, SAMM_PADDING.get(filename, 4))
        write_frames(folder / filename, range(onset - 2, offset + 3), name)
        if filename in SAMM_CORRUPT:
            write_corrupt(folder / filename / name(SAMM_CORRUPT[filename]))
    return root


def samm_frame_name(subject: str, width: int, number: int) -> str:
    """A SAMM frame file name: the subject, then the frame number padded to `width` digits."""
    return f"{subject}_{number:0{width}d}.jpg"


def make_casme3(root: Path, rows: Sequence[Sequence] = CASME3_ROWS) -> Path:
    """CAS(ME)^3 Part A: string-only label sheet, spNO/spNo folders, colour and depth frames."""
    write_xlsx(root / CASME3_SHEET, CASME3_HEADER, rows, sheet="label")
    for row in rows:
        subject, letter, onset, offset = row[0], row[1], int(row[2]), int(row[4])
        last = max(offset, int(row[3])) + 2
        sample = root / CASME3_DATA / CASME3_FOLDER_SPELLING.get(subject, subject) / letter
        write_frames(sample / "color", range(max(onset - 2, 0), last + 1), "{}.jpg".format)
        write_frames(sample / "depth", [onset], "{}.png".format)
    return root


# CAS(ME)^2 long videos: sheet 1 (no header) one expression a row; sheet 2 subjects; sheet 3 video codes.
CASME_SQ_CODING = "CAS(ME)^2code_final(Updated).xlsx"
CASME_SQ_ROWS = [
    [1, "disgust1_1", 10, 12, 14, "4+7", "disgust", "micro-expression", "disgust"],
    [1, "disgust1_2", 30, 40, 60, "4", "disgust", "macro-expression", "disgust"],
    [1, "anger1_1", 5, 8, 0, "4", "anger", "micro-expression", "anger"],  # offset 0: the apex ends it
    [2, "happy1_1", 20, 22, 25, "12", "happy", "micro-expression", "happy"],  # subject written S16
    [3, "anger1_1", 5, 8, 11, "4", "anger", "macro-expression", "anger"],  # folder missing
]
CASME_SQ_SUBJECTS = [[None, 15, 1], [None, "S16", 2], [None, "s19", 3]]  # (?, subject, participant)
CASME_SQ_CODES = [["0101", "disgust1"], ["401", "anger1"], ["0502", "happy1"]]  # 401 lost its zero in Excel
CASME_SQ_FOLDERS = {
    ("s15", "0101"): "15_0101disgustingteeth",
    ("s15", "0401"): "15_0401girlcrashing",
    ("s16", "0502"): "16_0502funnyerrors",
}
CASME_SQ_FRAMES = 70


def make_casme_sq(root: Path) -> Path:
    """CAS(ME)^2: rawpic/<subject>/<nn>_<code><name>/img<n>.jpg from 1, and the three-sheet coding file."""
    path = root / CASME_SQ_CODING
    workbook = openpyxl.Workbook()
    for index, rows in enumerate((CASME_SQ_ROWS, CASME_SQ_SUBJECTS, CASME_SQ_CODES)):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        sheet.title = ("Sheet1", "naming rule1", "naming rule2")[index]
        for row in rows:
            sheet.append(row)
    root.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    for (subject, _code), folder in CASME_SQ_FOLDERS.items():
        write_frames(root / "rawpic" / subject / folder, range(1, CASME_SQ_FRAMES + 1), "img{}.jpg".format)
        (root / "rawpic" / subject / folder / "Thumbs.db").write_bytes(b"windows")
    return root


SAMM_LV_HEADER = [
    "Subject",
    "Filename",
    "Inducement Code",
    "Onset",
    "Apex",
    "Offset",
    "Duration",
    "Type",
    "Action Units",
    "Notes",
]
SAMM_LV_TITLE_ROWS = 9
SAMM_LV_ROWS = [
    ["006", "006_1_1", 1, 101, 105, 110, 10, "Micro - 1/2", "R14", None],
    ["006", "006_1_2", 1, 300, 340, 500, 201, "Macro", "12", None],
    [6, "006_1_3", 1, 600, 610, 0, 11, "Micro - 1/2", "4", "offset not coded"],  # offset 0
    ["007", "007_3_1", 3, 20, -1, 40, 21, "Micro - 1/2", "4+7", None],  # apex not coded
    ["011", "011_2_1", 2, 5, 7, 9, 5, "Micro - 1/2", "1", None],  # folder missing
]
SAMM_LV_FRAMES = {"006_1": 700, "007_3": 60}


def make_samm_lv(root: Path) -> Path:
    """SAMM Long Videos: SAMM_longvideos/<video>/<video>_<nnnn>.jpg from 1, titled annotation sheet."""
    write_xlsx(
        root / "SAMM_LongVideos_V3_Release.xlsx",
        SAMM_LV_HEADER,
        SAMM_LV_ROWS,
        sheet="FACS_Movement_Only",
        title_rows=SAMM_LV_TITLE_ROWS,
    )
    for video, count in SAMM_LV_FRAMES.items():
        write_frames(root / "SAMM_longvideos" / video, range(1, count + 1), lambda n, v=video: f"{v}_{n:04d}.jpg")
    return root


# CASME (v1) as tvaranka/meb's `Casme` loader reads it: columns Subject, Filename, two unnamed,
# OnsetF, ApexF1, OffsetF, AU, Emotion; frames CASME_raw_selected/subNN/<Filename>/ and Cropped/.
CASME_SHEET = "casme.xlsx"
CASME_HEADER = ["Subject", "Filename", None, "OnsetF", "ApexF1", "OffsetF", "Duration", None, "AU", "Emotion"]
CASME_ROWS = [
    [1, "EP03_2", None, 20, 24, 28, 9, None, "1+2", "surprise"],
    [1, "EP05_5", None, 40, 43, 47, 8, None, "4", "disgust"],
    [2, "EP06_1", None, 100, 120, 119, 20, None, "14", "tense"],  # apex after offset, as MEB's rows 40, 42, 43
    [4, "EP12_2", None, 10, 13, 15, 6, None, "L12", "amusement"],
]


def make_casme(root: Path, rows: Sequence[Sequence] = CASME_ROWS) -> Path:
    """CASME: coding sheet, selected frames onset..offset and Cropped frames."""
    write_xlsx(root / CASME_SHEET, CASME_HEADER, rows)
    for subject, filename, _, onset, apex, offset, *_ in rows:
        frames = range(onset, max(apex, offset) + 1)
        write_frames(root / "CASME_raw_selected" / f"sub{subject:02d}" / filename, frames, "img{}.jpg".format)
        write_frames(root / "Cropped" / f"sub{subject:02d}" / filename, frames, "reg_img{}.jpg".format)
    return root


# MMEW as tvaranka/meb's `Mmew` loader reads it: Micro_Expression/<emotion>/<Filename>/ frames.
MMEW_SHEET = "MMEW_Micro_Exp.xlsx"
MMEW_HEADER = [
    "Subject",
    "Filename",
    "OnsetFrame",
    "ApexFrame",
    "OffsetFrame",
    "Action Units",
    "Estimated Emotion",
    "remarks",
]
MMEW_ROWS = [
    ["S01", "happiness_1_1", 5, 8, 12, "6+12", "happiness", None],
    ["S01", "surprise_1_2", 3, 6, 9, "1+2", "surprise", None],
    ["S02", "disgust_2_1", 10, 14, 12, "4+9", "Disgust", "apex after offset"],
    ["S02", "fear_2_1", 2, 4, 7, "4", "fear", None],  # its emotion folder is missing
]
MMEW_FOLDERS = {"happiness": "Happiness", "surprise": "surprise", "disgust": "disgust"}  # as unpacked


def make_mmew(root: Path, rows: Sequence[Sequence] = MMEW_ROWS) -> Path:
    """MMEW: the sheet, and frames under emotion folders (capitalised as the unpacking left them)."""
    write_xlsx(root / MMEW_SHEET, MMEW_HEADER, rows)
    for _subject, filename, onset, apex, offset, _au, emotion, _ in rows:
        folder = MMEW_FOLDERS.get(emotion.lower())
        if folder:
            frames = range(onset, max(apex, offset) + 1)
            write_frames(root / "MMEW" / "Micro_Expression" / folder / filename, frames, "{}.jpg".format)
    return root


# 4DME as tvaranka/meb's `Fourd` loader reads it: gray_micro/<sub_ID>/<fold_name>/ frames.
FOURD_SHEET = "4DME_Labelling_Micro_release v1.xlsx"
FOURD_HEADER = ["sub_ID", "fold_name", "Onset", "Apex", "Offset", "AUs", "Emotion"]
FOURD_ROWS = [
    ["S01", "S01_1", 10, 13, 17, "AU1+AU2", "Surprise"],
    ["S01", "S01_2", 30, 33, 36, "AU12+AU4(k)", "Positive"],  # a (k) AU
    ["S03", "S03_1", 5, 7, 9, "AU4+AU7", "Negative"],
    ["S04", "S04_1", 5, 7, 9, "AU14", "Others"],  # subject folder missing
]


def make_fourd(root: Path, rows: Sequence[Sequence] = FOURD_ROWS) -> Path:
    """4DME: the sheet, grey frames in gray_micro/ and crops in gray_micro_crop/."""
    write_xlsx(root / FOURD_SHEET, FOURD_HEADER, rows)
    for subject, filename, onset, _apex, offset, _au, _emotion in rows:
        if subject == "S04":
            continue
        for top in ("gray_micro", "gray_micro_crop"):
            write_frames(root / "4DMicro" / top / subject / filename, range(onset, offset + 1), "{}.jpg".format)
    return root


# SMIC as tvaranka/meb's `Smic` loader reads it: <camera>/<subject>/micro/<emotion>/<clip>/ frames,
# no coding sheet; (camera, subject, emotion, clip, first frame, last frame).
SMIC_CLIPS = [
    ("HS", "s1", "positive", "s1_po_01", 100, 110),
    ("HS", "s1", "surprise", "s1_sur_01", 40, 47),
    ("HS", "s2", "negative", "s2_ne_03", 5, 12),
    ("VIS", "s1", "negative", "s1_ne_01", 1, 6),
    ("NIR", "s1", "negative", "s1_ne_01", 1, 6),
]


def make_smic(root: Path) -> Path:
    """SMIC: SMIC_all_raw/<camera>/<subject>/micro/<emotion>/<clip>/image<n>.bmp, and a non_micro folder."""
    for camera, subject, emotion, clip, first, last in SMIC_CLIPS:
        write_frames(
            root / "SMIC_all_raw" / camera / subject / "micro" / emotion / clip,
            range(first, last + 1),
            "image{:06d}.bmp".format,
        )
    write_frames(root / "SMIC_all_raw" / "HS" / "s1" / "non_micro" / "s1_non_01", range(1, 4), "image{:06d}.bmp".format)
    return root
