import pytest
import torch

from microau.model.gda import GlobalDependencyAttention
from microau.model.micro_au_clip import MicroAUCLIP
from microau.model.pta import PatchTokenAttention, pool_tokens
from microau.model.text import TextTail, frozen_text_states
from tests.helpers import model_options


def test_pta_weights_sum_to_one_over_real_tokens_only():
    pta = PatchTokenAttention(n_aus=3, dim=16)
    tokens = torch.randn(4, 3, 5, 16)
    mask = torch.tensor([True, True, False, True, False]).expand(4, 3, 5)
    features, weights = pta(tokens, mask)
    assert features.shape == (4, 3, 16)
    assert torch.allclose(weights.sum(-1), torch.ones(4, 3))
    assert (weights[..., [2, 4]] == 0).all()


def test_mean_and_max_pooling_ignore_padding():
    tokens = torch.arange(12.0).view(1, 1, 3, 4)
    mask = torch.tensor([[[True, True, False]]])
    mean, _ = pool_tokens(tokens, mask, "mean")
    maximum, _ = pool_tokens(tokens, mask, "max")
    assert torch.equal(mean[0, 0], torch.tensor([2.0, 3.0, 4.0, 5.0]))
    assert torch.equal(maximum[0, 0], torch.tensor([4.0, 5.0, 6.0, 7.0]))


def test_gda_shapes_and_dependency_weights_form_a_distribution():
    gda = GlobalDependencyAttention(n_aus=8, dim=32)
    global_feature, dependency, attention = gda(torch.randn(5, 8, 32))
    assert global_feature.shape == (5, 32)
    assert dependency.shape == (5, 8) and attention.shape == (5, 8, 8)
    assert torch.allclose(dependency.sum(-1), torch.ones(5))
    assert torch.allclose(attention.sum(-1), torch.ones(5, 8))


def test_text_tail_on_cut_sequences_equals_the_full_text_encoder(tiny_clip):
    import open_clip

    tokenizer = open_clip.get_tokenizer("microau-tiny-ViT")
    texts = ["The eyebrows are lowering", "The chin is not raising at all today"]
    frozen = frozen_text_states(tiny_clip, tokenizer, texts, 2)
    assert frozen["states"].shape[1] < 77
    with torch.no_grad():
        assert torch.allclose(TextTail(tiny_clip, 2)(**frozen), tiny_clip.encode_text(tokenizer(texts)), atol=1e-5)


@pytest.mark.parametrize(
    "options",
    [
        model_options(),
        model_options(pooling="mean"),
        model_options(pooling="max"),
        model_options(pooling="global"),
        model_options(fusion="add_mlp"),
        model_options(fusion="add_mlp_mean"),
        model_options(fusion="cat_mlp"),
        model_options(fusion="none"),
        model_options(text="fixed"),
    ],
)
def test_model_variants_forward_and_backward(tiny_clip, options):
    model = MicroAUCLIP(tiny_clip, n_aus=8, trainable_blocks=2, options=options)
    states = torch.randn(3, 50, 64)
    au_tokens = torch.randint(1, 50, (3, 8, 6))
    au_tokens[:, :, 4:] = -1
    out = model(states, au_tokens)
    assert out["logits"].shape == (3, 8, 2) and out["features"].shape == (3, 8, 32)
    assert (out["dependency"] is not None) == (options.fusion == "gda")
    out["logits"].sum().backward()
    assert all(not p.requires_grad for p in model.text.parameters()) == (options.text == "fixed")
    assert all(p.requires_grad for p in model.encoder_parameters())


@pytest.mark.parametrize("fusion, reduce", [("add_mlp", torch.sum), ("add_mlp_mean", torch.mean)])
def test_add_mlp_fuses_the_sum_of_the_au_features_and_add_mlp_mean_their_mean(tiny_clip, fusion, reduce):
    model = MicroAUCLIP(tiny_clip, n_aus=8, trainable_blocks=2, options=model_options(fusion=fusion))
    states, au_tokens = torch.randn(3, 50, 64), torch.randint(1, 50, (3, 8, 6))
    with torch.no_grad():
        local = model.au_features(states, au_tokens)["local"]
        expected = local + model.fusion_mlp(reduce(local, dim=1))[:, None]
        assert torch.allclose(model(states, au_tokens)["features"], expected, atol=1e-6)


def test_unknown_option_is_rejected():
    with pytest.raises(ValueError, match="pooling must be one of"):
        model_options(pooling="attention")


def test_with_every_au_read_from_the_class_token_gda_is_the_same_for_every_sample(tiny_clip):
    """GSD only (docs/reproducing.md): equal AU features make A exactly uniform, so W_d does not
    depend on the input and F_G is W^V times the class token."""
    model = MicroAUCLIP(tiny_clip, n_aus=8, trainable_blocks=2, options=model_options(pooling="global"))
    states, au_tokens = torch.randn(5, 50, 64), torch.randint(1, 50, (5, 8, 6))
    with torch.no_grad():
        local = model.au_features(states, au_tokens)["local"]
        global_feature, dependency, attention = model.gda(local)
        assert torch.allclose(attention, torch.full_like(attention, 1 / 8))
        assert torch.allclose(dependency, dependency[:1].expand(5, -1))
        assert torch.allclose(global_feature, model.gda.value(local[:, 0]), atol=1e-6)
