from microau.spotting.bench import SHIFTS_PX, default_settings, shift_errors


def test_farneback_recovers_a_known_sub_pixel_shift_of_a_face():
    errors = shift_errors("farneback", default_settings().face_px)
    assert set(errors) == set(SHIFTS_PX)
    # under a tenth of a crop pixel at every shift: the spotter's micro-expressions move 0.3-1 crop px
    assert all(error < 0.1 for error, _seconds in errors.values())
