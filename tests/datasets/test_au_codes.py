"""AU strings as the releases write them -> AU numbers, sides and intensities."""

import pytest

from microau.datasets.au_codes import AUPiece, cell_text, parse_au_string


@pytest.mark.parametrize(
    "text, pieces, side, intensity",
    [
        ("4", [(4, "", "")], "", ""),
        ("1+2", [(1, "", ""), (2, "", "")], "", ""),
        ("4+L10", [(4, "", ""), (10, "L", "")], "+L", ""),
        ("A1B+A2C", [(1, "A", "B"), (2, "A", "C")], "A+A", "B+C"),
        ("R12 + R15", [(12, "R", ""), (15, "R", "")], "R+R", ""),
        ("R14A or 17A", [(14, "R", "A"), (17, "", "A")], "R+", "A+A"),
        ("12 or 15", [(12, "", ""), (15, "", "")], "", ""),
        ("T25+B26", [(25, "T", ""), (26, "B", "")], "T+B", ""),
        ("AU12", [(12, "", "")], "", ""),
        ("l12e", [(12, "L", "E")], "L", "E"),
        ("4.0", [(4, "", "")], "", ""),
        ("", [], "", ""),
    ],
)
def test_pieces_keep_number_side_and_intensity(text, pieces, side, intensity):
    parsed = parse_au_string(text)
    assert parsed.pieces == [AUPiece(au, s, i) for au, s, i in pieces]
    assert parsed.unparsed == []
    assert parsed.side_field == side
    assert parsed.intensity_field == intensity


def test_alternatives_are_flagged_and_never_concatenated():
    parsed = parse_au_string("12 or 15")
    assert parsed.has_alternatives
    assert parsed.aus == {12, 15}
    assert not parse_au_string("12+15").has_alternatives


@pytest.mark.parametrize(
    "text, good, bad", [("12+?", {12}, ["?"]), ("1215", set(), ["1215"]), ("12+", {12}, [""]), ("6x", set(), ["6x"])]
)
def test_unparseable_pieces_are_kept_apart(text, good, bad):
    parsed = parse_au_string(text)
    assert parsed.aus == good
    assert parsed.unparsed == bad


@pytest.mark.parametrize(
    "value, text", [(4, "4"), (4.0, "4"), (12.0, "12"), (4.5, "4.5"), (" R12 ", "R12"), (None, "")]
)
def test_cells_become_text_without_float_artefacts(value, text):
    assert cell_text(value) == text
    if text == "4":
        assert parse_au_string(cell_text(value)).aus == {4}


def test_a_doubted_piece_counts_and_is_listed():
    parsed = parse_au_string("4+7?")
    assert parsed.aus == {4, 7} and parsed.uncertain == ["7?"] and parsed.unparsed == []
    assert parse_au_string("?").unparsed == ["?"]
