import subprocess
import sys

import pytest
import yaml

from microau.plan.config import SCHEMA_PATH
from microau.plan.correspondence import CorrespondenceError, filter_combinations

SCHEMA = SCHEMA_PATH


def schema_correspondence() -> dict:
    schema = yaml.safe_load(SCHEMA.read_text())
    return schema["definitions"]["dataset"]["properties"]["mer_combinations"]["default"]


def test_default_correspondence_filtered_to_samm_aus():
    filtered = filter_combinations(schema_correspondence(), [2, 4, 7, 12])
    assert filtered == {
        "positive": [(12,), (7, 12)],
        "surprise": [(2,)],
        "negative": [(4,), (4, 7), (7,), (2, 4)],
    }


def test_default_correspondence_filtered_to_casme2_aus():
    filtered = filter_combinations(schema_correspondence(), [1, 2, 4, 7, 12, 14, 15, 17])
    assert filtered["positive"] == [(12,), (7, 12)]
    assert filtered["surprise"] == [(1, 2)]
    assert set(filtered["negative"]) == {
        (4,),
        (4, 7),
        (17,),
        (4, 17),
        (7,),
        (1, 4),
        (1, 2, 4),
        (1,),
        (15,),
        (15, 17),
        (14,),
    }


def test_a_class_left_without_combination_or_shared_by_two_classes_is_an_error():
    with pytest.raises(CorrespondenceError, match="class 'surprise' has no AU combination left"):
        filter_combinations({"positive": [[12]], "surprise": [[1, 2]]}, [4, 12])
    with pytest.raises(CorrespondenceError, match="AU combination 12 belongs to both 'positive' and 'negative'"):
        filter_combinations({"positive": [[6, 12]], "negative": [[12, 14]]}, [4, 12])


def test_the_workflow_imports_no_torch_when_snakemake_starts():
    # Every Snakemake start (each cluster job included) imports these; torch would add seconds to each.
    imports = (
        "import microau.plan.config, microau.plan.workflow, microau.plan.paper_tables, microau.io.sample_table, "
        "microau.io.video_table, microau.releases"
    )
    check = f"{imports}; import sys; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
