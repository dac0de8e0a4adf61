import pytest
import torch

from microau.model.mer import (
    class_scores,
    combination_matrix,
    combination_scores,
    joined_scores,
    joined_texts,
    zero_shot_scores,
)


def test_the_two_readings_disagree_on_a_hand_built_case():
    # Two AUs (12, 4), 2-d features. Each AU's prompts: negative (1, 0), positive (0, 1).
    prompts = torch.tensor([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]])
    # The sample's AU12 feature matches AU12's positive prompt, its AU4 feature AU4's negative one.
    features = torch.tensor([[[0.0, 1.0], [1.0, 0.0]]])
    combinations = {"positive": [(12,)], "negative": [(4,)]}
    matrix, owners = combination_matrix(combinations, [12, 4])
    assert matrix.tolist() == [[1.0, 0.0], [0.0, 1.0]] and owners == ["positive", "negative"]
    # By hand: positive = CS(F12, pos12) + CS(F4, neg4) = 1 + 1; negative = CS(F12, neg12) + CS(F4, pos4) = 0.
    by_combination = combination_scores(features, prompts, matrix)
    assert torch.allclose(by_combination, torch.tensor([[2.0, 0.0]]))
    # Joined: one text per class compared with both AU features: (F12 + F4) . t = (1, 1) . t.
    class_text = torch.tensor([[0.6, -0.8], [0.8, 0.6]])
    joined = joined_scores(features, class_text)
    assert torch.allclose(joined, torch.tensor([[-0.2, 1.4]]))
    assert by_combination.argmax().item() == 0 and joined.argmax().item() == 1
    scores = zero_shot_scores(features, prompts, class_text, combinations, ["surprise", "negative"], [12, 4])
    assert list(scores) == ["combinations", "joined"]
    assert scores["combinations"][0] == ["positive", "negative"]
    assert scores["combinations"][1] == pytest.approx(by_combination.numpy())
    assert scores["joined"][0] == ["surprise", "negative"]
    assert scores["joined"][1] == pytest.approx(joined.numpy())


def test_a_class_scores_its_best_combination():
    scores = torch.tensor([[0.1, 0.5, 0.3], [0.9, 0.2, 0.4]])
    best = class_scores(scores, ["positive", "negative", "negative"], ["positive", "negative"])
    assert best.tolist() == [[pytest.approx(0.1), pytest.approx(0.5)], [pytest.approx(0.9), pytest.approx(0.4)]]


def test_joined_label_texts_describe_each_class_by_its_aus():
    names, texts = joined_texts({"positive": [12], "surprise": [1, 2]})
    assert names == ["positive", "surprise"]
    assert texts[0] == "The lip corners are pulling up."
    assert texts[1] == "The inner eyebrows are raising. The outer eyebrows are raising."
