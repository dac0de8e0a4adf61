import math

import pytest

from microau.model.temperature import (
    MAX_LOGIT_SCALE,
    check_temperature,
    describe_temperature,
    initial_logit_scale,
    is_learned,
)


def test_the_weights_own_scale_starts_both_readings_and_a_number_gives_its_own():
    assert initial_logit_scale("model", math.log(100)) == math.log(100)
    assert initial_logit_scale("learned", math.log(1 / 0.07)) == math.log(1 / 0.07)
    assert initial_logit_scale(0.05, math.log(100)) == pytest.approx(math.log(20))
    assert is_learned("learned") and not is_learned("model") and not is_learned(0.07)
    assert MAX_LOGIT_SCALE == pytest.approx(math.log(100))


@pytest.mark.parametrize("setting", ["hot", 0, -0.1, True, None])
def test_anything_but_a_reading_or_a_positive_number_is_rejected(setting):
    with pytest.raises(ValueError, match="temperature must be one of"):
        check_temperature(setting)


def test_each_table_line_names_the_reading():
    assert describe_temperature("model").startswith("model: the CLIP weights' own")
    assert describe_temperature("learned").startswith("learned:")
    assert describe_temperature(0.07) == "0.07 (fixed)"
