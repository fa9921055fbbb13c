"""The enhancer's fast paths compute what the straightforward formulation computes.

The reference functions below are the earlier, direct implementations (full-width projections then ``chunk``,
``F.normalize`` of q and k, LayerNorm by explicit mean and variance). Outputs must stay equal to float tolerance on
fixed seeds, in both memory layouts, with and without autograd, and gradients must agree too.
"""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from llie.layers import LayerNorm2d
from llie.plugins.deepspg.blocks import ChannelSelfAttention, TransformerBlock
from llie.plugins.deepspg.enhancer import SemanticAwareEnhancer
from llie.plugins.deepspg.layers import GatedDConvFFN, channel_attention, conv_channels
from llie.plugins.deepspg.sem import SemanticAwareEmbedding
from llie.interfaces import PriorFeatures

LAYOUTS = [torch.contiguous_format, torch.channels_last]


def reference_layer_norm(norm: LayerNorm2d, x):
    centred = x - x.mean(dim=1, keepdim=True)
    var = centred.pow(2).mean(dim=1, keepdim=True)
    return centred * torch.rsqrt(var + norm.eps) * norm.weight + norm.bias


def reference_channel_attention(q, k, v, heads, temperature, scaling="l2"):
    b, c, h, w = q.shape
    shape = (b, heads, c // heads, h * w)
    q, k, v = q.reshape(shape), k.reshape(shape), v.reshape(shape)
    if scaling == "l2":
        q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
        scale = temperature
    else:
        scale = temperature / math.sqrt(c // heads)
    attn = torch.softmax((q @ k.transpose(-2, -1)) * scale, dim=-1)
    return (attn @ v).reshape(b, c, h, w)


def reference_ffn(ffn: GatedDConvFFN, x):
    gate, value = ffn.dwconv(ffn.project_in(x)).chunk(2, dim=1)
    return ffn.project_out(F.gelu(gate) * value)


def reference_self_attention(attn: ChannelSelfAttention, x):
    q, k, v = attn.qkv_dwconv(attn.qkv(x)).chunk(3, dim=1)
    return attn.project_out(reference_channel_attention(q, k, v, attn.heads, attn.temperature, attn.scaling))


def reference_sem(sem: SemanticAwareEmbedding, features, prior, gate=None):
    assert gate is None  # the ungated SEM
    semantic = reference_layer_norm(sem.norm_prior, sem.embed_prior(prior, features.shape[-2:]))
    k, v = sem.to_kv(reference_layer_norm(sem.norm_image, features)).chunk(2, dim=1)
    q = sem.to_q(semantic)
    features = features + sem.project_out(reference_channel_attention(q, k, v, sem.heads, sem.temperature,
                                                                      sem.scaling))
    return features + reference_ffn(sem.ffn, reference_layer_norm(sem.norm_ffn, features))


def _randomise(module: torch.nn.Module) -> torch.nn.Module:
    """Non-trivial norms and temperatures (their defaults are ones and zeros, which would hide mistakes)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if "norm" in name or "temperature" in name:
                p.copy_(torch.rand_like(p) + 0.5 if "weight" in name or "temperature" in name else
                        torch.randn_like(p) * 0.1)
    return module


def _input(*shape, layout=torch.contiguous_format):
    return (torch.randn(*shape) * 2 + 0.3).contiguous(memory_format=layout)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("grad", [False, True])
def test_layer_norm_matches_the_explicit_formula(layout, grad):
    torch.manual_seed(0)
    norm = _randomise(LayerNorm2d(12))
    x = _input(2, 12, 7, 9, layout=layout)
    with torch.set_grad_enabled(grad):
        out = norm(x)
    torch.testing.assert_close(out, reference_layer_norm(norm, x), atol=1e-5, rtol=1e-5)
    assert out.is_contiguous(memory_format=layout)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("heads,scaling", [(1, "l2"), (2, "l2"), (4, "sqrt_c")])
def test_channel_attention_matches_normalise_then_multiply(layout, heads, scaling):
    torch.manual_seed(1)
    q, k, v = (_input(2, 8, 6, 10, layout=layout) for _ in range(3))
    temperature = torch.rand(heads, 1, 1) + 0.5
    out = channel_attention(q, k, v, heads, temperature, scaling)
    torch.testing.assert_close(out, reference_channel_attention(q, k, v, heads, temperature, scaling),
                               atol=1e-5, rtol=1e-5)
    assert out.is_contiguous(memory_format=layout)  # the layout is kept, so the next conv needs no reorder


def test_channel_attention_guards_against_zero_vectors_like_normalize():
    q, k, v = torch.zeros(1, 4, 3, 3), torch.randn(1, 4, 3, 3), torch.randn(1, 4, 3, 3)
    out = channel_attention(q, k, v, 1, torch.ones(1, 1, 1))
    torch.testing.assert_close(out, reference_channel_attention(q, k, v, 1, torch.ones(1, 1, 1)))


def test_conv_channels_is_a_slice_of_the_full_output():
    torch.manual_seed(2)
    dense, depthwise = torch.nn.Conv2d(5, 9, 1), torch.nn.Conv2d(9, 9, 3, padding=1, groups=9)
    x = torch.randn(1, 5, 6, 7)
    full = depthwise(dense(x))
    part = conv_channels(depthwise, conv_channels(dense, x, 3, 7), 3, 7)
    torch.testing.assert_close(part, full[:, 3:7], atol=1e-6, rtol=1e-6)
    with pytest.raises(ValueError):
        conv_channels(torch.nn.Conv2d(4, 4, 3, groups=2), torch.randn(1, 4, 5, 5), 0, 2)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("grad,chunks", [(True, 3), (False, 1), (False, 2), (False, 3), (False, 50)])
def test_feed_forward_matches_full_width_then_chunk(layout, grad, chunks):
    torch.manual_seed(3)
    ffn = GatedDConvFFN(8, 2.66)  # 21 hidden channels: groups of unequal size
    ffn.inference_chunks = chunks
    if chunks == 2:  # a bias on the output projection is added once, not per group
        ffn.project_out.bias = torch.nn.Parameter(torch.randn(8))
    x = _input(2, 8, 6, 10, layout=layout)
    with torch.set_grad_enabled(grad):
        torch.testing.assert_close(ffn(x), reference_ffn(ffn, x), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_self_attention_matches_full_width_then_chunk(layout):
    torch.manual_seed(4)
    attn = _randomise(ChannelSelfAttention(8, 2))
    x = _input(1, 8, 6, 10, layout=layout)
    with torch.no_grad():
        torch.testing.assert_close(attn(x), reference_self_attention(attn, x), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_sem_matches_the_direct_formulation_and_its_gradients(layout):
    torch.manual_seed(5)
    sem = _randomise(SemanticAwareEmbedding(dim=8, prior_channels=6, heads=2))
    features = _input(2, 8, 12, 16, layout=layout).requires_grad_()
    prior = _input(2, 6, 3, 4)
    out, ref = sem(features, prior), reference_sem(sem, features, prior)
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)
    weights = torch.randn_like(out)
    grads = torch.autograd.grad((out * weights).sum(), [features, sem.temperature, sem.to_kv[0].weight])
    ref_grads = torch.autograd.grad((ref * weights).sum(), [features, sem.temperature, sem.to_kv[0].weight])
    for g, r in zip(grads, ref_grads):
        torch.testing.assert_close(g, r, atol=1e-4, rtol=1e-4)


def test_transformer_block_matches_reference():
    torch.manual_seed(6)
    block = _randomise(TransformerBlock(8, 2, 2.66))
    x = _input(1, 8, 8, 12)
    with torch.no_grad():
        y = x + reference_self_attention(block.attn, reference_layer_norm(block.norm1, x))
        ref = y + reference_ffn(block.ffn, reference_layer_norm(block.norm2, y))
        torch.testing.assert_close(block(x), ref, atol=1e-5, rtol=1e-5)


def _small_standard_enhancer():
    """The standard preset's structure (3 levels, mdta blocks, SEMs at 1/2/4) at test width, random weights."""
    torch.manual_seed(7)
    enh = _randomise(SemanticAwareEnhancer(base_channels=8, levels=3, blocks_per_level=[1, 1, 1], sem_scales=[1, 2, 4],
                                           prior_strides=(4, 8, 16, 32), prior_channels=(6, 8, 10, 12),
                                           prior_num_classes=5))
    x = torch.rand(1, 3, 32, 48)
    prior = PriorFeatures([(s, torch.randn(1, c, 32 // s, 48 // s)) for s, c in zip((4, 8, 16, 32), (6, 8, 10, 12))],
                          torch.randn(1, 5, 8, 12), 4)
    return enh, x, prior


def _direct_implementations(monkeypatch):
    """Swap the earlier, direct implementations back in for every layer the fast paths changed."""
    monkeypatch.setattr(LayerNorm2d, "forward", reference_layer_norm)
    monkeypatch.setattr(GatedDConvFFN, "forward", reference_ffn)
    monkeypatch.setattr(ChannelSelfAttention, "forward", reference_self_attention)
    monkeypatch.setattr(SemanticAwareEmbedding, "forward", reference_sem)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_enhancer_output_equals_the_direct_implementation(layout, monkeypatch):
    enh, x, prior = _small_standard_enhancer()
    with torch.no_grad():
        out = enh.to(memory_format=layout)(x.contiguous(memory_format=layout), prior)
        with monkeypatch.context() as patch:
            _direct_implementations(patch)
            reference = enh.to(memory_format=torch.contiguous_format)(x, prior)
    assert not torch.equal(out, x)  # the network did something
    torch.testing.assert_close(out, reference, atol=1e-5, rtol=1e-5)
