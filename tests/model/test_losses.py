import pytest
import torch
import torch.nn.functional as F

from microau.model.losses import contrastive_loss, gd_loss, multitask_loss, same_label_matrix


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
    good = contrastive_loss(aligned, text, labels, 0.07, "same_label", "raw")
    bad = contrastive_loss(swapped, text, labels, 0.07, "same_label", "raw")
    assert good < bad


def test_row_normalised_same_label_and_diagonal_targets_give_one_loss():
    # Same-label samples share one text feature, so their logit columns are equal and averaging the
    # log-probability over them (same label) equals taking the diagonal one: local OrigCL == MiAUCL.
    generator = torch.Generator().manual_seed(0)
    visual, text = torch.randn(8, 3, 16, generator=generator), torch.randn(3, 2, 16, generator=generator)
    labels = torch.randint(0, 2, (8, 3), generator=generator)
    same = contrastive_loss(visual, text, labels, 0.07, "same_label", "row_normalised")
    diagonal = contrastive_loss(visual, text, labels, 0.07, "diagonal", "row_normalised")
    assert torch.isclose(same, diagonal)


def test_raw_target_weights_each_row_by_its_same_label_count():
    generator = torch.Generator().manual_seed(1)
    visual, text = torch.randn(5, 1, 4, generator=generator), torch.randn(1, 2, 4, generator=generator)
    labels = torch.tensor([[1], [1], [1], [0], [0]])
    logits = F.normalize(visual[:, 0], dim=-1) @ F.normalize(text[0][labels[:, 0]], dim=-1).T / 0.07
    diagonal_rows = -(F.log_softmax(logits, dim=1).diagonal() + F.log_softmax(logits.T, dim=1).diagonal()) / 2
    counts = torch.tensor([3.0, 3.0, 3.0, 2.0, 2.0])
    raw = contrastive_loss(visual, text, labels, 0.07, "same_label", "raw")
    assert torch.isclose(raw, (counts * diagonal_rows).mean())
    assert torch.isclose(contrastive_loss(visual, text, labels, 0.07, "diagonal", "raw"), diagonal_rows.mean())
    with pytest.raises(ValueError, match="unknown label matrix target 'softmax'"):
        contrastive_loss(visual, text, labels, 0.07, "same_label", "softmax")


def test_global_contrastive_loss_targets_the_identity_even_for_equal_texts():
    from microau.model.losses import global_contrastive_loss

    visual = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    assert global_contrastive_loss(visual, visual.clone(), 0.1) < global_contrastive_loss(visual, visual.flip(0), 0.1)
    same_text = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    expected = torch.log(torch.tensor(2.0))
    assert torch.isclose(global_contrastive_loss(torch.tensor([[1.0, 0.0], [1.0, 0.0]]), same_text, 0.1), expected)


def test_under_the_default_config_miaucl_and_local_origcl_differ_in_loss_and_gradients():
    from microau.plan.config import SCHEMA_PATH, load_schema
    from tests.helpers import train_settings

    schema = load_schema(SCHEMA_PATH)
    default = schema["properties"]["train"]["properties"]["label_matrix_target"]["default"]
    assert default == train_settings().label_matrix_target == "raw"
    generator = torch.Generator().manual_seed(2)
    text = torch.randn(2, 2, 16, generator=generator)
    labels = torch.tensor([[1, 0], [1, 0], [1, 1], [0, 1], [0, 1], [0, 0]])  # several samples share each label
    losses, gradients = [], []
    for label_matrix in ("same_label", "diagonal"):
        visual = torch.randn(6, 2, 16, generator=torch.Generator().manual_seed(3), requires_grad=True)
        loss = contrastive_loss(visual, text, labels, 0.07, label_matrix, default)
        loss.backward()
        losses.append(loss.detach())
        gradients.append(visual.grad)
    assert not torch.isclose(losses[0], losses[1])
    assert (gradients[0] - gradients[1]).abs().max() > 1e-3


def test_miaucl_under_raw_is_local_origcl_weighted_by_label_group_size_in_both_directions():
    # One AU: logits L[i, j] = cos(v_i, t_{y_j}) / T. Same-label samples share one text, so their columns of L
    # are equal. Visual->text: row i's raw same-label term is n_{y_i} times its diagonal term. Text->visual:
    # the rows of one label group all hold the same softmax over samples, so the group's raw terms sum to
    # n_g times the group's diagonal terms (not row by row). Together MiAUCL(raw) is the mean over samples and
    # AUs of n_{y_in} times sample i's local OrigCL term, with the same gradients.
    generator = torch.Generator().manual_seed(4)
    text = torch.randn(3, 2, 16, generator=generator)
    labels = torch.tensor([[1, 0, 0], [1, 0, 1], [0, 0, 1], [1, 1, 0], [0, 0, 0], [1, 0, 1], [0, 1, 0]])
    visual = torch.randn(7, 3, 16, generator=generator, requires_grad=True)
    weighted, checked_rows = visual.new_zeros(()), False
    for n in range(3):
        y = labels[:, n]
        logits = F.normalize(visual[:, n], dim=-1) @ F.normalize(text[n][y], dim=-1).T / 0.07
        same, counts = same_label_matrix(y), same_label_matrix(y).sum(dim=1)
        v2t, t2v = F.log_softmax(logits, dim=1), F.log_softmax(logits.T, dim=1)
        assert torch.allclose(-(same * v2t).sum(dim=1), -counts * v2t.diagonal(), atol=1e-5)
        t2v_raw, t2v_diagonal = -(same * t2v).sum(dim=1), -t2v.diagonal()
        for label in (0, 1):
            group = y == label
            assert torch.isclose(t2v_raw[group].sum(), (counts * t2v_diagonal)[group].sum(), atol=1e-4)
        checked_rows |= not torch.allclose(t2v_raw, counts * t2v_diagonal, atol=1e-3)
        weighted = weighted + (counts * 0.5 * (-v2t.diagonal() + t2v_diagonal)).mean()
    assert checked_rows  # the text->visual equality holds per label group, not per row
    raw = contrastive_loss(visual, text, labels, 0.07, "same_label", "raw")
    assert torch.isclose(raw, weighted, atol=1e-4)
    raw_gradient = torch.autograd.grad(raw, visual, retain_graph=True)[0]
    assert torch.allclose(raw_gradient, torch.autograd.grad(weighted, visual)[0], atol=1e-5)
    local = contrastive_loss(visual, text, labels, 0.07, "diagonal", "raw")
    assert not torch.isclose(raw, local)  # unequal group sizes: the weights differ from sample to sample
