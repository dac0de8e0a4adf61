import torch

from microau.losses import contrastive_loss, gd_loss, multitask_loss, same_label_matrix


def test_same_label_matrix_marks_pairs_sharing_the_au_label():
    matrix = same_label_matrix(torch.tensor([1, 0, 1, 0]))
    expected = torch.tensor([[1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1]], dtype=torch.float)
    assert torch.equal(matrix, expected)


def test_gd_loss_is_mean_squared_gap_to_the_raw_label_vector():
    dependency = torch.tensor([[0.5, 0.25, 0.25]])
    labels = torch.tensor([[1, 0, 1]])
    assert torch.isclose(gd_loss(dependency, labels), torch.tensor((0.25 + 0.0625 + 0.5625) / 3))


def test_multitask_loss_sums_per_au_cross_entropies():
    logits = torch.zeros(2, 3, 2)
    assert torch.isclose(multitask_loss(logits, torch.zeros(2, 3, dtype=torch.long)), torch.log(torch.tensor(2.0)) * 3)


def test_contrastive_loss_prefers_features_aligned_with_their_label_text():
    text = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])  # one AU: negative, positive prompt
    labels = torch.tensor([[1], [0], [1], [0]])
    aligned = torch.stack([text[0, 1], text[0, 0], text[0, 1], text[0, 0]])[:, None]
    swapped = aligned.flip(-1)
    good = contrastive_loss(aligned, text, labels, 0.07)
    bad = contrastive_loss(swapped, text, labels, 0.07)
    assert good < bad



def test_same_label_target_is_at_its_optimum_where_the_diagonal_target_is_not():
    text = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    labels = torch.tensor([[1], [1]])
    visual = torch.tensor([[[0.0, 1.0]], [[0.0, 1.0]]])
    # Both samples match both (identical) positive texts. The same-label target [0.5, 0.5] is met
    # exactly: its loss equals the target's entropy, log 2, the least it can be. The diagonal target's
    # least is 0, so the same log 2 is a penalty for treating the other positive as a negative.
    same = contrastive_loss(visual, text, labels, 0.07)
    diagonal = contrastive_loss(visual, text, labels, 0.07, "diagonal")
    log2 = torch.log(torch.tensor(2.0))
    assert torch.isclose(same, log2) and torch.isclose(diagonal, log2)


def test_global_contrastive_loss_targets_the_identity_even_for_equal_texts():
    from microau.losses import global_contrastive_loss

    visual = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    assert global_contrastive_loss(visual, visual.clone(), 0.1) < global_contrastive_loss(visual, visual.flip(0), 0.1)
    same_text = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    expected = torch.log(torch.tensor(2.0))
    assert torch.isclose(global_contrastive_loss(torch.tensor([[1.0, 0.0], [1.0, 0.0]]), same_text, 0.1), expected)
