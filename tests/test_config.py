from pathlib import Path

import pytest
import yaml

from microau.config import ConfigError, check_config, coerce_scalars, load_schema

REPO = Path(__file__).resolve().parents[1]
SCHEMA = load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml")


def shipped_config() -> dict:
    return yaml.safe_load((REPO / "config.yaml").read_text())


def test_shipped_config_is_valid():
    check_config(shipped_config(), SCHEMA)


def test_strings_from_the_command_line_become_the_schema_types():
    config = coerce_scalars({"flow": {"clip_px": "2.0", "subtract_median": "false"}, "clip": {"pretrained": "none",
                                                                                          "trainable_blocks": "2"}},
                            SCHEMA)
    assert config["flow"] == {"clip_px": 2.0, "subtract_median": False}
    assert config["clip"] == {"pretrained": "none", "trainable_blocks": 2}


def test_dataset_entries_are_coerced_through_their_definition():
    config = coerce_scalars({"datasets": {"casme2": {"reader": "casme2", "aus": ["1", "2"], "epochs": "5"}}}, SCHEMA)
    assert config["datasets"]["casme2"]["aus"] == [1, 2] and config["datasets"]["casme2"]["epochs"] == 5


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"flow": {"clip_pix": 2}}, "config key 'flow': Additional properties are not allowed ('clip_pix' was unexpected) (allowed keys: clip_px, image_size, subtract_median, third_channel)"),
        ({"flow": {"clip_px": "fast"}}, "config key 'flow.clip_px': 'fast' is not of type 'number'"),
        ({"magnify": {"factor": 0.5}}, "config key 'magnify.factor': 0.5 is less than the minimum of 1 (magnification factor)"),
        ({"magnify": {"method": "learned"}}, "config key 'magnify.method': 'learned' is not one of ['phase', 'linear_eulerian', 'none'] (allowed values: phase, linear_eulerian, none)"),
        ({"datasets": {"casme2": {"reader": "casme2", "aus": [3]}}}, "config key 'datasets.casme2.aus.0': 3 is not one of"),
        ({"frames": {"on_missing_face": "ignore"}}, "config key 'frames.on_missing_face': 'ignore' is not one of ['error', 'skip'] (allowed values: error, skip)"),
        ({"ablation": {"tables": ["IX"]}}, "config key 'ablation.tables.0': 'IX' is not one of ['II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'X']"),
        ({"variants": {"alpha_neg": {"alpha": -1}}}, "config key 'variants.alpha_neg.alpha': -1 is less than the minimum of 0"),
        ({"variants": {"a/seed2": {}}}, "config key 'variants': 'a/seed2' does not match '^[A-Za-z0-9_.-]+$'"),
        ({"train": {"seeds": [2, 2]}}, "config key 'train.seeds': [2, 2] has non-unique elements"),
        ({"evaluate": {"confidence": 1.5}}, "config key 'evaluate.confidence': 1.5 is greater than or equal to the maximum of 1"),
        ({"mer": {"texts": "sentences"}}, "config key 'mer.texts': 'sentences' is not one of ['combinations', 'joined'] (allowed values: combinations, joined)"),
        ({"train": {"label_matrix_target": "counts"}}, "config key 'train.label_matrix_target': 'counts' is not one of ['raw', 'row_normalised'] (allowed values: raw, row_normalised)"),
    ],
)
def test_bad_values_name_the_key_and_what_is_allowed(override, message):
    config = shipped_config()
    for section, values in override.items():
        config[section] = {**config.get(section, {}), **values}
    with pytest.raises(ConfigError) as error:
        check_config(config, SCHEMA)
    assert message in str(error.value)


def test_shipped_config_runs_the_demo_on_a_random_encoder_and_real_datasets_on_openai_weights():
    from microau.config import dataset_clip, encoder_id

    config = check_config(shipped_config(), SCHEMA)
    assert dataset_clip(config, "synthetic") == {"model": "ViT-B-32", "pretrained": "none", "trainable_blocks": 3}
    for name in ("casme2", "samm", "casme3"):
        assert dataset_clip(config, name)["pretrained"] == "openai"
    assert encoder_id(dataset_clip(config, "synthetic")) == "ViT-B-32__none"
    assert encoder_id(dataset_clip(config, "samm")) == "ViT-B-32__openai"
    assert encoder_id({"model": "ViT-B-32", "pretrained": "/w/open_clip_model.bin"}) == "ViT-B-32__file-open_clip_model"
