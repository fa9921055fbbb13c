"""The Semantic-aware Embedding Module and the routing of prior levels to scales."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from llie.errors import ConfigError
from llie.plugins.deepspg.routing import PriorLayout, route_prior
from llie.plugins.deepspg.sem import SemanticAwareEmbedding

HRNET = PriorLayout((4, 8, 16, 32), (48, 96, 192, 384), 59)


def test_default_routing_reproduces_skf():
    """SKF's DRBN fuses the logits at full resolution, HRNet's stride-4 branch at 1/2 and stride-8 at 1/4."""
    assert route_prior([1, 2, 4], HRNET) == {1: "logits", 2: 4, 4: 8}
    assert route_prior([1, 2, 4], HRNET, "hierarchical", use_logits=True) == {1: "logits", 2: 4, 4: 8}


def test_hierarchical_routing_without_logits():
    assert route_prior([1, 2, 4], HRNET, "hierarchical", use_logits=False) == {1: 4, 2: 8, 4: 16}
    assert route_prior([1, 2, 4, 8, 16], PriorLayout((4, 8), (1, 2))) == {1: 4, 2: 8, 4: 8, 8: 8, 16: 8}


def test_closest_routing():
    assert route_prior([1, 2, 4, 8], HRNET, "closest", use_logits=False) == {1: 4, 2: 4, 4: 4, 8: 8}
    assert route_prior([16, 1], HRNET, "closest", use_logits=True) == {1: "logits", 16: 16}


def test_explicit_routing_and_its_errors():
    assert route_prior([1, 2], HRNET, {1: "logits", "2": 16}) == {1: "logits", 2: 16}
    assert route_prior([1, 2], HRNET, [8, 32]) == {1: 8, 2: 32}
    with pytest.raises(ConfigError, match="stride 64"):
        route_prior([1], HRNET, {1: 64})
    with pytest.raises(ConfigError, match="no entry"):
        route_prior([1, 2], HRNET, {1: 4})
    with pytest.raises(ConfigError, match="logits"):
        route_prior([1], PriorLayout((4,), (8,)), {1: "logits"})
    with pytest.raises(ConfigError):
        route_prior([1], HRNET, "nearest")


def test_routing_without_prior_outputs_is_empty():
    assert route_prior([1, 2], PriorLayout((), ())) == {}
    assert route_prior([1, 2], PriorLayout((), (), 7), use_logits=True) == {1: "logits", 2: "logits"}
    with pytest.raises(ConfigError):
        PriorLayout((4, 8), (16,))


@pytest.mark.parametrize("prior_size", [(4, 6), (32, 48)])
def test_projection_order_does_not_change_the_embedding(prior_size):
    """Projecting at the coarser resolution is an optimisation; it must equal resize-then-project."""
    torch.manual_seed(0)
    sem = SemanticAwareEmbedding(dim=8, prior_channels=5)
    prior = torch.randn(2, 5, *prior_size)
    size = (16, 24)
    reference = sem.prior_proj(F.interpolate(prior, size=size, mode="bilinear", align_corners=False))
    torch.testing.assert_close(sem.embed_prior(prior, size), reference, atol=1e-5, rtol=1e-5)


def test_the_prior_acts_only_through_the_attention():
    """Attention depends on the prior; with the attention output projection zeroed, the prior has no effect."""
    torch.manual_seed(0)
    sem = SemanticAwareEmbedding(dim=8, prior_channels=4, heads=2).eval()
    features = torch.randn(1, 8, 6, 10)
    with torch.no_grad():
        a, b = sem(features, torch.randn(1, 4, 3, 5)), sem(features, torch.randn(1, 4, 3, 5))
        assert (a - b).abs().max() > 1e-4
        sem.project_out.weight.zero_()
        torch.testing.assert_close(sem(features, torch.randn(1, 4, 3, 5)), sem(features, torch.randn(1, 4, 3, 5)))


def test_query_comes_from_the_prior_key_and_value_from_the_image():
    """The SEM written out as SKF's code computes it, from the module's own layers: A = softmax(q̂ k̂ᵀ · τ) per head
    with q from the (projected, normalised) prior, k and v from the normalised image features; out = F + W_o(A v),
    then the FFN residual. Swapping the sources of q and k (or of v) changes the output, so this test fails then."""
    torch.manual_seed(0)
    dim, heads, size = 8, 2, (6, 10)
    sem = SemanticAwareEmbedding(dim=dim, prior_channels=4, heads=heads, share_norm=False).eval()
    features, prior = torch.randn(1, dim, *size), torch.randn(1, 4, 3, 5)
    with torch.no_grad():
        sem.temperature.copy_(torch.tensor([2.0, 0.5]).view(heads, 1, 1))
        for norm, scale in ((sem.norm_image, 1.5), (sem.norm_prior, 0.7)):  # tell the two norms apart
            norm.weight.fill_(scale)
            norm.bias.normal_()

        def per_head(t):
            return t.reshape(1, heads, dim // heads, size[0] * size[1])

        q = per_head(sem.to_q(sem.norm_prior(sem.embed_prior(prior, size))))
        k, v = (per_head(t) for t in sem.to_kv(sem.norm_image(features)).chunk(2, dim=1))
        attn = torch.softmax(F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1) * sem.temperature,
                             dim=-1)
        mixed = features + sem.project_out((attn @ v).reshape(1, dim, *size))
        want = mixed + sem.ffn(sem.norm_ffn(mixed))
        torch.testing.assert_close(sem(features, prior), want)


def test_attention_is_a_channel_map_per_head(monkeypatch):
    """The attention matrix is (C/heads)×(C/heads) per head, rows summing to one."""
    seen = {}
    real_softmax = torch.softmax

    def spy(t, dim):
        out = real_softmax(t, dim=dim)
        seen["attn"] = out
        return out

    monkeypatch.setattr(torch, "softmax", spy)
    sem = SemanticAwareEmbedding(dim=12, prior_channels=3, heads=3)
    sem(torch.randn(2, 12, 5, 7), torch.randn(2, 3, 5, 7))
    assert seen["attn"].shape == (2, 3, 4, 4)
    torch.testing.assert_close(seen["attn"].sum(-1), torch.ones(2, 3, 4))
