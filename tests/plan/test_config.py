import tomllib
from pathlib import Path

import pytest
import yaml

from microau.errors import MicroauError
from microau.plan.config import (
    SCHEMA_PATH,
    ConfigError,
    check_config,
    coerce_scalars,
    config_around,
    load_config,
    load_schema,
    resolve_ref,
)

REPO = Path(__file__).resolve().parents[2]
SCHEMA = load_schema(SCHEMA_PATH)
CLASS3 = {"positive": ["happiness"], "negative": ["disgust"], "surprise": ["surprise"]}


def shipped_config() -> dict:
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def test_shipped_config_is_valid():
    check_config(shipped_config(), SCHEMA)


def test_strings_from_the_command_line_become_the_schema_types():
    config = coerce_scalars(
        {
            "flow": {"clip_px": "2.0", "subtract_median": "false"},
            "clip": {"pretrained": "none", "trainable_blocks": "2"},
        },
        SCHEMA,
    )
    assert config["flow"] == {"clip_px": 2.0, "subtract_median": False}
    assert config["clip"] == {"pretrained": "none", "trainable_blocks": 2}


@pytest.mark.parametrize(("given", "loaded"), [("0.05", 0.05), ("model", "model"), ("learned", "learned"), (0.1, 0.1)])
def test_a_temperature_from_the_command_line_is_a_number_or_a_reading(given, loaded):
    config = check_config({"targets": [], "train": {"temperature": given}}, SCHEMA)
    assert config["train"]["temperature"] == loaded


def test_dataset_entries_are_coerced_through_their_definition():
    config = coerce_scalars({"datasets": {"casme2": {"reader": "casme2", "aus": ["1", "2"], "epochs": "5"}}}, SCHEMA)
    assert config["datasets"]["casme2"]["aus"] == [1, 2] and config["datasets"]["casme2"]["epochs"] == 5


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            {"flow": {"clip_pix": 2}},
            "config key 'flow': Additional properties are not allowed ('clip_pix' was unexpected) (allowed keys: "
            "clip_px, image_size, subtract_median, third_channel, tvl1_epsilon, tvl1_inner_iterations, "
            "tvl1_outer_iterations, tvl1_scales, tvl1_size, tvl1_start, tvl1_warps)",
        ),
        ({"flow": {"clip_px": "fast"}}, "config key 'flow.clip_px': 'fast' is not of type 'number'"),
        (
            {"magnify": {"factor": 0.5}},
            "config key 'magnify.factor': 0.5 is less than the minimum of 1 (magnification factor)",
        ),
        (
            {"magnify": {"method": "learned"}},
            "config key 'magnify.method': 'learned' is not one of ['phase', 'linear_eulerian', 'none'] (allowed "
            "values: phase, linear_eulerian, none)",
        ),
        (
            {"datasets": {"casme2": {"reader": "casme2", "aus": [3]}}},
            "config key 'datasets.casme2.aus.0': 3 is not one of",
        ),
        (
            {"frames": {"on_missing_face": "ignore"}},
            "config key 'frames.on_missing_face': 'ignore' is not one of ['error', 'skip'] (allowed values: error, "
            "skip)",
        ),
        (
            {"ablation": {"tables": ["IX"]}},
            "config key 'ablation.tables.0': 'IX' is not one of ['II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'X']",
        ),
        (
            {"variants": {"alpha_neg": {"alpha": -1}}},
            "config key 'variants.alpha_neg.alpha': -1 is less than the minimum of 0",
        ),
        ({"variants": {"a/seed2": {}}}, "config key 'variants': 'a/seed2' does not match '^[A-Za-z0-9_.-]+$'"),
        ({"train": {"seeds": [2, 2]}}, "config key 'train.seeds': [2, 2] has non-unique elements"),
        (
            {"evaluate": {"confidence": 1.5}},
            "config key 'evaluate.confidence': 1.5 is greater than or equal to the maximum of 1",
        ),
        (
            {"mer": {"texts": "sentences"}},
            "config key 'mer.texts': 'sentences' is not one of ['combinations', 'joined'] (allowed values: "
            "combinations, joined)",
        ),
        (
            {"train": {"temperature": "hot"}},
            "config key 'train.temperature': 'hot' is not valid under any of the given schemas (temperature of the "
            "cosine logits",
        ),
        (
            {"train": {"temperature": 0}},
            "config key 'train.temperature': 0 is not valid under any of the given schemas",
        ),
        (
            {"train": {"label_matrix_target": "counts"}},
            "config key 'train.label_matrix_target': 'counts' is not one of ['raw', 'row_normalised'] (allowed "
            "values: raw, row_normalised)",
        ),
    ],
)
def test_bad_values_name_the_key_and_what_is_allowed(override, message):
    config = shipped_config()
    for section, values in override.items():
        config[section] = {**config.get(section, {}), **values}
    with pytest.raises(ConfigError) as error:
        check_config(config, SCHEMA)
    assert message in str(error.value)


def test_the_schema_is_package_data():
    assert SCHEMA_PATH == REPO / "microau" / "schemas" / "config.schema.yaml"
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "schemas/*.yaml" in package_data["tool"]["setuptools"]["package-data"]["microau"]


def test_config_errors_are_errors_a_user_can_fix():
    assert issubclass(ConfigError, MicroauError)


def test_loading_fills_defaults_at_every_depth():
    config = load_config(
        {
            "targets": [],
            "datasets": {"d": {"reader": "samm", "aus": [4], "class3": CLASS3}},
            "variants": {"v": {}},
            "variant": "v",
        },
        SCHEMA,
    )
    assert config["frames"]["size"] == 256 and config["train"]["seeds"] == []
    entry = config["datasets"]["d"]
    assert (entry["epochs"], entry["frames_layout"], entry["generated"], entry["root"], entry["clip"]) == (
        80,
        "selected",
        False,
        None,
        {},
    )
    assert config["variants"]["v"] == {
        "pooling": "pta",
        "fusion": "gda",
        "text": "finetune",
        "contrastive": "miaucl",
        "alpha": None,
        "beta": None,
    }


def test_the_config_around_one_dataset_is_the_schema_defaults_loaded_as_the_workflow_loads_them():
    entry = {"reader": "samm", "aus": [4], "class3": CLASS3}
    assert config_around("d", entry) == load_config({"targets": [], "datasets": {"d": entry}}, SCHEMA)
    assert config_around("d", entry)["train"]["label_matrix_target"] == "raw"


def test_loading_coerces_command_line_strings_and_leaves_the_input_alone():
    raw = shipped_config()
    raw["flow"] = {"clip_px": "2.0"}
    config = load_config(raw, SCHEMA)
    assert config["flow"]["clip_px"] == 2.0 and config["flow"]["subtract_median"] is True
    assert raw["flow"] == {"clip_px": "2.0"}


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"targets": ["casme4"]}, "targets names 'casme4', which has no entry under datasets in config.yaml"),
        ({"variant": "bigger"}, "variant 'bigger' is not defined under variants"),
        (
            {"datasets": {"synthetic": {"reader": "casme2", "generated": True, "aus": [4, 12], "class3": CLASS3}}},
            "config key 'datasets.synthetic.mer_combinations': class 'surprise' has no AU combination left once "
            "filtered to AUs [4, 12]",
        ),
        (
            {
                "datasets": {
                    "synthetic": {
                        "reader": "casme2",
                        "generated": True,
                        "root": "/data/x",
                        "aus": [1, 2, 4, 7, 12, 14, 15, 17],
                        "class3": CLASS3,
                    }
                }
            },
            "config key 'datasets.synthetic.root': a generated dataset's release is written to "
            "results/synthetic/release; leave root unset",
        ),
        (
            {
                "datasets": {
                    "synthetic": {"reader": "casme3", "generated": True, "aus": [2, 4, 7, 12], "class3": CLASS3}
                }
            },
            "config key 'datasets.synthetic': a generated dataset is written in CASME II's layout "
            "(reader: casme2, frames_layout: selected), SAMM's (reader: samm) or as a table of videos (reader: "
            "table); got reader: casme3",
        ),
        (
            {
                "datasets": {
                    "synthetic": {
                        "reader": "casme2",
                        "generated": True,
                        "frames_layout": "raw",
                        "aus": [1, 2, 4, 7, 12, 14, 15, 17],
                        "class3": CLASS3,
                    }
                }
            },
            "config key 'datasets.synthetic': a generated dataset is written in CASME II's layout",
        ),
        ({"flow": {"clip_px": "fast"}}, "config key 'flow.clip_px': 'fast' is not of type 'number'"),
    ],
)
def test_loading_names_the_key_that_refers_to_nothing(override, message):
    raw = {**shipped_config(), **override}
    with pytest.raises(ConfigError) as error:
        load_config(raw, SCHEMA)
    assert message in str(error.value)


def test_a_generated_dataset_may_name_its_own_release_folder_as_root():
    raw = shipped_config()
    raw["datasets"]["synthetic"]["root"] = "results/synthetic/release"
    assert load_config(raw, SCHEMA)["datasets"]["synthetic"]["root"] == "results/synthetic/release"


def protocols_raw() -> dict:
    return yaml.safe_load((REPO / "tests" / "data" / "protocols_config.yaml").read_text())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda raw: raw["datasets"]["sammsyn"]["clip"].update(trainable_blocks=1),
            "config key 'composites.demo+sammsyn': datasets.demo.clip {'model': 'microau-tiny-ViT', 'pretrained': "
            "'none', 'trainable_blocks': 2} vs datasets.sammsyn.clip {'model': 'microau-tiny-ViT', 'pretrained': "
            "'none', 'trainable_blocks': 1}: every dataset of a protocol must use the same CLIP encoder",
        ),
        (
            lambda raw: raw["composites"]["demo+sammsyn"].update(datasets=["demo", "casme9"]),
            "config key 'composites.demo+sammsyn' names 'casme9', which has no entry under datasets",
        ),
        (
            lambda raw: raw["composites"]["demo+sammsyn"].update(schedule="casme2"),
            "config key 'composites.demo+sammsyn.schedule': 'casme2' is not one of its datasets",
        ),
        (
            lambda raw: raw["cross"].append({"train": "demo", "test": "demo"}),
            "config key 'cross[2]' names one dataset twice: demo, demo",
        ),
        (
            lambda raw: [raw["datasets"]["demo"].update(aus=[1, 2]), raw["datasets"]["sammsyn"].update(aus=[4, 12])],
            "config key 'composites.demo+sammsyn': datasets demo, sammsyn share no AU",
        ),
        (
            lambda raw: raw["datasets"]["sammsyn"].update(aus=[4, 12]),
            "config key 'datasets.demo.mer_combinations' (in composites.demo+sammsyn): class 'surprise' has no AU "
            "combination left once filtered to AUs [4, 12]",
        ),
    ],
)
def test_a_protocol_names_the_keys_it_cannot_use(change, message):
    raw = protocols_raw()
    raw["targets"] = []
    change(raw)
    with pytest.raises(ConfigError) as error:
        load_config(raw, SCHEMA)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_composite_names_may_hold_a_plus_but_no_slash():
    raw = protocols_raw()
    raw["composites"] = {"a/b": {"datasets": ["demo", "sammsyn"]}}
    with pytest.raises(ConfigError, match="composites"):
        load_config(raw, SCHEMA)
    assert list(load_config(protocols_raw(), SCHEMA)["composites"]) == ["demo+sammsyn"]


def _enum(*path: str) -> list:
    """The allowed values the schema gives at `path` (an enum, or the enum of an array's items)."""
    node = SCHEMA
    for part in path:
        node = node[part]
    return node["enum"] if "enum" in node else node["items"]["enum"]


def code_lists() -> list[tuple[str, object, list]]:
    """Every list of allowed values the code needs, beside the schema enum it must equal."""
    from microau.aus import AU_LANDMARKS
    from microau.datasets.index import MISSING_APEX
    from microau.datasets.release import FRAME_LAYOUTS
    from microau.io.sample_table import CLASS3
    from microau.model.losses import LABEL_MATRIX_TARGETS
    from microau.model.mer import READINGS
    from microau.model.micro_au_clip import FUSIONS, POOLINGS
    from microau.model.temperature import TEMPERATURE_READINGS
    from microau.plan.paper_tables import PAPER_TABLES
    from microau.preprocess.flow import THIRD_CHANNELS, TVL1_STARTS
    from microau.preprocess.landmarks import METHODS as LANDMARK_METHODS
    from microau.preprocess.magnify import METHODS as MAGNIFY_METHODS
    from microau.releases import INDEX_READERS, KINDS_ANNOTATED, SPOT_READERS
    from microau.spotting.spotter import FLOW_METHODS
    from microau.training.settings import CONTRASTIVE

    dataset = ("definitions", "dataset", "properties")
    variant = ("properties", "variants", "additionalProperties", "properties")
    spotting = ("definitions", "spotting_dataset", "properties")
    return [
        ("INDEX_READERS", INDEX_READERS, _enum(*dataset, "reader")),
        ("FRAME_LAYOUTS", FRAME_LAYOUTS, _enum(*dataset, "frames_layout")),
        ("AU_LANDMARKS (Table I's AUs)", list(AU_LANDMARKS), _enum("definitions", "au")),
        ("CLASS3", CLASS3, SCHEMA["definitions"]["dataset"]["properties"]["class3"]["propertyNames"]["enum"]),
        ("MISSING_APEX", MISSING_APEX, _enum("properties", "frames", "properties", "missing_apex")),
        ("magnify METHODS", MAGNIFY_METHODS, _enum("properties", "magnify", "properties", "method")),
        ("landmarks METHODS", LANDMARK_METHODS, _enum("properties", "landmarks", "properties", "method")),
        ("THIRD_CHANNELS", THIRD_CHANNELS, _enum("properties", "flow", "properties", "third_channel")),
        ("TVL1_STARTS", TVL1_STARTS, _enum("properties", "flow", "properties", "tvl1_start")),
        ("POOLINGS", POOLINGS, _enum(*variant, "pooling")),
        ("FUSIONS", FUSIONS, _enum(*variant, "fusion")),
        ("CONTRASTIVE", list(CONTRASTIVE), _enum(*variant, "contrastive")),
        (
            "TEMPERATURE_READINGS",
            TEMPERATURE_READINGS,
            SCHEMA["properties"]["train"]["properties"]["temperature"]["anyOf"][0]["enum"],
        ),
        (
            "LABEL_MATRIX_TARGETS",
            LABEL_MATRIX_TARGETS,
            _enum("properties", "train", "properties", "label_matrix_target"),
        ),
        ("mer READINGS", READINGS, _enum("properties", "mer", "properties", "texts")),
        ("PAPER_TABLES", list(PAPER_TABLES), _enum("properties", "ablation", "properties", "tables")),
        ("SPOT_READERS", SPOT_READERS, _enum(*spotting, "reader")),
        ("KINDS_ANNOTATED (spotting readers)", list(KINDS_ANNOTATED), _enum(*spotting, "reader")),
        ("FLOW_METHODS (spotting)", FLOW_METHODS, _enum("properties", "spotting", "properties", "flow")),
    ]


def test_every_au_of_the_schema_is_the_one_au_definition():
    assert SCHEMA["definitions"]["dataset"]["properties"]["aus"]["items"] == {"$ref": "#/definitions/au"}
    assert SCHEMA["properties"]["report"]["properties"]["au"]["$ref"] == "#/definitions/au"
    assert load_config({"targets": [], "report": {"au": "4"}}, SCHEMA)["report"]["au"] == 4
    with pytest.raises(ConfigError, match=r"config key 'report.au': 3 is not one of \[1, 2, 4"):
        check_config({"targets": [], "report": {"au": 3}}, SCHEMA)


@pytest.mark.parametrize("name, in_code, in_schema", code_lists(), ids=[entry[0] for entry in code_lists()])
def test_each_list_of_allowed_values_in_the_code_equals_its_schema_enum(name, in_code, in_schema):
    assert sorted(map(str, in_code)) == sorted(map(str, in_schema)), name


def repeated_defaults(value, schema: dict, key: str = "") -> list[str]:
    """Keys of `value` (a raw config) set to the default the schema gives them, at every depth."""
    schema = resolve_ref(schema, SCHEMA)
    found = []
    if isinstance(value, dict):
        properties, extra = schema.get("properties", {}), schema.get("additionalProperties")
        for name, item in value.items():
            child = properties.get(name, extra if isinstance(extra, dict) else None)
            if child is None:
                continue
            path = f"{key}.{name}" if key else name
            if "default" in child and item == child["default"]:
                found.append(path)
            else:
                found += repeated_defaults(item, child, path)
    return found


def test_the_shipped_config_repeats_no_default_of_the_schema():
    assert repeated_defaults(shipped_config(), SCHEMA) == []
    planted = {**shipped_config(), "flow": {"clip_px": 3.0}, "variant": "micro_au_clip"}
    planted["datasets"]["samm"]["epochs"] = 80
    assert repeated_defaults(planted, SCHEMA) == ["datasets.samm.epochs", "flow.clip_px", "variant"]


def test_spot_then_recognise_needs_each_spotting_targets_classes():
    raw = {
        **shipped_config(),
        "spotting_targets": ["long"],
        "spotting_model": "synthetic",
        "spotting_datasets": {"long": {"reader": "synthetic_long"}},
    }
    with pytest.raises(ConfigError, match=r"config key 'spotting_datasets.long.class3': spotting_model recognises"):
        load_config(raw, SCHEMA)
    raw["spotting_datasets"]["long"]["class3"] = CLASS3
    assert load_config(raw, SCHEMA)["spotting_datasets"]["long"]["class3"] == CLASS3


def test_spot_then_recognise_on_the_models_own_people_must_say_so():
    raw = {**shipped_config(), "spotting_targets": ["samm_lv"], "spotting_model": "samm"}
    raw["spotting_datasets"] = {**raw["spotting_datasets"], "samm_lv": {**raw["spotting_datasets"]["samm_lv"]}}
    assert load_config(raw, SCHEMA)["spotting_datasets"]["samm_lv"]["subjects_of"] == "samm"
    del raw["spotting_datasets"]["samm_lv"]["subjects_of"]
    with pytest.raises(
        ConfigError, match=r"'spotting_datasets.samm_lv.subjects_of': spotting_model 'samm' was trained"
    ):
        load_config(raw, SCHEMA)
    raw["spotting_model"] = "casme2"  # other people: nothing to say
    assert load_config(raw, SCHEMA)["spotting_datasets"]["samm_lv"]["subjects_of"] is None
    raw["spotting_datasets"]["samm_lv"]["subjects_of"] = "nowhere"
    with pytest.raises(ConfigError, match=r"'spotting_datasets.samm_lv.subjects_of' names 'nowhere'"):
        load_config(raw, SCHEMA)
    raw["spotting_model"] = None  # a reference nothing uses: no dataset needs to be configured for it
    assert load_config(raw, SCHEMA)["spotting_datasets"]["samm_lv"]["subjects_of"] == "nowhere"


def test_config_readme_names_every_reader_of_the_registry():
    from microau.releases import READERS

    text = (REPO / "config" / "README.md").read_text()
    assert [name for name in READERS if f"`{name}`" not in text] == []
