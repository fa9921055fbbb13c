"""Published enhancers (SCI, Zero-DCE, Zero-DCE++): official weights load cleanly, the forward pass equals an
independent re-derivation of the authors' formulas, any image size works, and loaded weights are frozen."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from llie.checkpoints import compare_keys, flush_subnormals, load_state_dict_file
from llie.plugins.published.zero_dce import apply_curves
from llie.plugin_door import load_plugins
from llie.registry import build
from llie.zoo import find_local, get_entry

torch.set_num_threads(1)
load_plugins()

#: zoo name -> enhancer type
OFFICIAL = {"sci_easy": "SCI", "sci_medium": "SCI", "sci_difficult": "SCI", "zero_dce": "ZeroDCE",
            "zero_dce_pp": "ZeroDCEPP"}


def official_file(name: str):
    path = find_local(get_entry(name))
    if path is None:
        pytest.skip(f"weights '{name}' ({get_entry(name).file}) not on this machine ($LLIE_WEIGHTS, ../shared/weights)")
    return path


def enhancer(kind: str, **kwargs):
    return build("enhancers", {"type": kind, **kwargs})


# --------------------------------------------------------------------------------------------- official files
@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_official_weights_load_with_no_missing_or_unexpected_keys(name):
    state = load_state_dict_file(official_file(name), what=name)
    model = enhancer(OFFICIAL[name], pretrained=name)
    used = {k: v for k, v in state.items() if not k.startswith("calibrate.")}  # SCI's training-only module
    report = compare_keys(model, used)
    assert report.clean, report.describe()
    assert len(used) == len(model.state_dict())
    own = model.state_dict()
    assert all(torch.equal(own[k], v) for k, v in flush_subnormals(used).items())  # the file's values, bar ~1e-38
    skipped = set(state) - set(used)
    assert bool(skipped) == (OFFICIAL[name] == "SCI")


def subnormal_count(tensors) -> int:
    return sum(int(((t != 0) & (t.abs() < torch.finfo(t.dtype).tiny)).sum()) for t in tensors if t.is_floating_point())


def test_zero_dce_weights_are_loaded_without_their_subnormals():
    """The authors' Zero-DCE file holds thousands of subnormal weights, which make CPU convolutions ~40× slower;
    loading sets them to zero (no output moves by more than ~1e-38)."""
    state = load_state_dict_file(official_file("zero_dce"), what="zero_dce")
    assert subnormal_count(state.values()) > 1000
    model = enhancer("ZeroDCE", pretrained="zero_dce")
    assert subnormal_count(model.state_dict().values()) == 0


# -------------------------------------------------------------------------- reference forward passes, re-derived
def conv(x: Tensor, state: dict[str, Tensor], key: str, groups: int = 1) -> Tensor:
    w = state[f"{key}.weight"]
    return F.conv2d(x, w, state[f"{key}.bias"], padding=w.shape[-1] // 2, groups=groups)


def sci_reference(x: Tensor, s: dict[str, Tensor]) -> Tensor:
    """SCI's test-time pass: f = relu(conv_in x); f += relu(BN(conv f)); i = clamp(sigmoid(conv_out f) + x)."""
    f = torch.relu(conv(x, s, "enhance.in_conv.0"))
    bn = F.batch_norm(conv(f, s, "enhance.conv.0"), s["enhance.conv.1.running_mean"],
                      s["enhance.conv.1.running_var"], s["enhance.conv.1.weight"], s["enhance.conv.1.bias"],
                      training=False, eps=1e-5)
    f = f + torch.relu(bn)
    i = (torch.sigmoid(conv(f, s, "enhance.out_conv.0")) + x).clamp(1e-4, 1.0)
    return (x / i).clamp(0.0, 1.0)


def curve_net_reference(x: Tensor, s: dict[str, Tensor], separable: bool) -> Tensor:
    def layer(t: Tensor, n: int) -> Tensor:
        if separable:
            t = conv(t, s, f"e_conv{n}.depth_conv", groups=t.shape[1])
            return conv(t, s, f"e_conv{n}.point_conv")
        return conv(t, s, f"e_conv{n}")

    x1 = torch.relu(layer(x, 1))
    x2 = torch.relu(layer(x1, 2))
    x3 = torch.relu(layer(x2, 3))
    x4 = torch.relu(layer(x3, 4))
    x5 = torch.relu(layer(torch.cat([x3, x4], 1), 5))
    x6 = torch.relu(layer(torch.cat([x2, x5], 1), 6))
    return torch.tanh(layer(torch.cat([x1, x6], 1), 7))


def curve(x: Tensor, alpha: Tensor) -> Tensor:
    return x + alpha * (x * x - x)


def zero_dce_reference(x: Tensor, s: dict[str, Tensor]) -> Tensor:
    alphas = curve_net_reference(x, s, separable=False)
    for n in range(8):
        x = curve(x, alphas[:, 3 * n: 3 * n + 3])
    return x


def corners_matrix(n_in: int, n_out: int) -> Tensor:
    """``n_out×n_in`` linear interpolation with aligned corners: output j samples input ``j·(n_in−1)/(n_out−1)``."""
    pos = torch.arange(n_out, dtype=torch.float64) * (n_in - 1) / (n_out - 1)
    lo = pos.floor().long().clamp(max=n_in - 2)
    frac = pos - lo
    m = torch.zeros(n_out, n_in, dtype=torch.float64)
    m[torch.arange(n_out), lo] = 1 - frac
    m[torch.arange(n_out), lo + 1] += frac
    return m


def zero_dce_pp_reference(x: Tensor, s: dict[str, Tensor], factor: int) -> Tensor:
    """Half-pixel bilinear downscaling by an even integer factor samples between rows/cols factor·i + factor/2 − 1
    and + factor/2, i.e. the mean of that 2×2 pair; the map comes back with aligned-corner interpolation."""
    h, w = x.shape[-2:]
    a, b = factor // 2 - 1, factor // 2
    small = (x[..., a::factor, a::factor] + x[..., a::factor, b::factor] + x[..., b::factor, a::factor]
             + x[..., b::factor, b::factor]) / 4
    alpha = curve_net_reference(small, s, separable=True).double()
    alpha = torch.einsum("yh,bchw,xw->bcyx", corners_matrix(h // factor, h), alpha,
                         corners_matrix(w // factor, w)).float()
    for _ in range(8):
        x = curve(x, alpha)
    return x


REFERENCES = {"SCI": sci_reference, "ZeroDCE": zero_dce_reference,
              "ZeroDCEPP": lambda x, s: zero_dce_pp_reference(x, s, 12)}


def fixed_input() -> Tensor:
    g = torch.Generator().manual_seed(0)
    return torch.rand(2, 3, 24, 36, generator=g) * 0.4  # low-light-like, H and W multiples of 12


def randomised(model) -> None:
    """Random weights of a realistic spread (and non-trivial BN statistics), so the comparison sees every layer."""
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if t.is_floating_point():
                t.copy_(torch.rand(t.shape, generator=g) + 0.5 if "running_var" in name
                        else torch.randn(t.shape, generator=g) * 0.3)
    model.eval()


@pytest.mark.parametrize("kind", sorted(REFERENCES))
def test_forward_equals_reference_formula_random_weights(kind):
    model = enhancer(kind, pretrained=None)
    randomised(model)
    x = fixed_input()
    with torch.no_grad():
        got = model(x)
    expected = REFERENCES[kind](x, model.state_dict())
    assert got.shape == x.shape
    assert (got - expected).abs().max() < 1e-5


@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_forward_equals_reference_formula_official_weights(name):
    state = load_state_dict_file(official_file(name), what=name)
    model = enhancer(OFFICIAL[name], pretrained=name)
    x = fixed_input()
    with torch.no_grad():
        got = model(x)
    expected = REFERENCES[OFFICIAL[name]](x, state)
    assert (got - expected).abs().max() < 1e-5
    assert (got - x).abs().mean() > 0.02  # a real enhancement, not the identity
    assert got.min() >= 0 and got.max() <= 1


# ------------------------------------------------------------------------------------------------ any image size
@pytest.mark.parametrize("kind", sorted(REFERENCES))
@pytest.mark.parametrize("size", [(25, 38), (13, 7), (12, 30), (1, 1)])
def test_any_size_gives_the_input_size(kind, size):
    model = enhancer(kind, pretrained=None).eval()
    x = torch.rand(1, 3, *size)
    with torch.no_grad():
        out = model(x)
    assert out.shape == x.shape and torch.isfinite(out).all()
    maps = model.loss_outputs()
    assert maps and all(m.shape[-2:] == size for m in maps.values())


@pytest.mark.parametrize("size", [(10, 15), (8, 16), (3, 2)])
def test_zero_dce_pp_keeps_the_authors_crop_and_extends_its_curves(size):
    """The authors crop H, W to multiples of the factor; on that crop the output is theirs (the enhancer run on the
    crop), and the rows/columns they drop use the curve parameters of the nearest estimated pixel."""
    s = 4
    model = enhancer("ZeroDCEPP", pretrained=None, scale_factor=s)
    randomised(model)
    h, w = size
    x = torch.rand(1, 3, h, w)
    with torch.no_grad():
        out = model(x)
        alpha = model.loss_outputs()["curves"]
    assert out.shape == x.shape and alpha.shape == (1, 3, h, w)
    assert torch.allclose(out, apply_curves(x, [alpha] * 8), atol=1e-6)
    hc, wc = h // s * s, w // s * s
    if hc and wc:
        with torch.no_grad():
            assert torch.equal(out[..., :hc, :wc], model(x[..., :hc, :wc]))
        assert torch.equal(alpha[..., hc:, :], alpha[..., hc - 1: hc, :].expand_as(alpha[..., hc:, :]))
        assert torch.equal(alpha[..., :, wc:], alpha[..., :, wc - 1: wc].expand_as(alpha[..., :, wc:]))
    assert model.pad_multiple == 1


def test_zero_dce_pp_scale_factor_default_and_validation():
    from llie.errors import ConfigError

    assert enhancer("ZeroDCEPP", pretrained=None).scale_factor == 12
    for bad in (0, 1.5, True):
        with pytest.raises(ConfigError, match="scale_factor"):
            enhancer("ZeroDCEPP", pretrained=None, scale_factor=bad)


def test_model_crops_enhancer_outputs_to_the_input_size():
    model = build("models", {"type": "SemanticPriorModel", "pad_multiple": 8,
                             "enhancer": {"type": "ZeroDCE", "pretrained": None, "width": 4}})
    out, ctx = model.enhance(torch.rand(2, 3, 17, 23))
    assert model.enhancer.loss_outputs()["curves"].shape == (2, 24, 24, 24)  # the padded pass
    assert out.shape == (2, 3, 17, 23) and ctx.enhancer_outputs["curves"].shape == (2, 24, 17, 23)


# --------------------------------------------------------------------------------------------------- trainability
@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_frozen_by_default_with_weights(name):
    official_file(name)
    model = enhancer(OFFICIAL[name], pretrained=name)
    assert model.trainable is False and not model.training
    assert not any(p.requires_grad for p in model.parameters())
    model.train()
    assert not model.training  # BN statistics of SCI stay the released ones
    composed = build("models", {"type": "SemanticPriorModel", "enhancer": {"type": OFFICIAL[name],
                                                                          "pretrained": name}})
    assert composed.trainable is False  # so `llie train` skips training, as for gamma correction


@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_finetune_keeps_loaded_weights_trainable(name):
    official_file(name)
    model = enhancer(OFFICIAL[name], pretrained=name, finetune=True)
    assert model.trainable and all(p.requires_grad for p in model.parameters())
    model.train()
    assert model.training


@pytest.mark.parametrize("kind", sorted(REFERENCES))
def test_without_weights_is_trainable(kind):
    model = enhancer(kind, pretrained=None)
    assert model.trainable and model.training and all(p.requires_grad for p in model.parameters())
    model(torch.rand(1, 3, 24, 24)).mean().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_zero_dce_from_scratch_uses_the_authors_initialisation():
    torch.manual_seed(0)
    model = enhancer("ZeroDCE", pretrained=None)
    weights = torch.cat([m.weight.detach().flatten() for m in model.modules() if isinstance(m, torch.nn.Conv2d)])
    assert abs(float(weights.std()) - 0.02) < 0.002 and abs(float(weights.mean())) < 0.002


def test_sci_illumination_floor_and_ceiling():
    """``i`` is clamped to [1e-4, 1]: a near-black input over a dark estimate is brightened by at most 1e4, and an
    estimate above 1 does not darken the input."""
    model = enhancer("SCI", pretrained=None).eval()
    out_conv = model.enhance.out_conv[0]
    with torch.no_grad():
        out_conv.weight.zero_()
        out_conv.bias.fill_(-100.0)  # sigmoid ≈ 0: i = x, floored
        dark = model(torch.full((1, 3, 8, 8), 1e-5))
        out_conv.bias.fill_(100.0)  # sigmoid ≈ 1: i = 1 + x, capped at 1
        x = torch.rand(1, 3, 8, 8)
        bright = model(x)
    assert torch.allclose(dark, torch.full_like(dark, 0.1), rtol=1e-4)
    assert torch.allclose(bright, x)


@pytest.mark.parametrize("kind", sorted(REFERENCES))
def test_copies_leave_the_last_maps_out(kind):
    """An EMA hook deep-copies the model mid-training; the maps kept for the losses are non-leaf tensors."""
    import copy

    model = enhancer(kind, pretrained=None)
    model(torch.rand(1, 3, 24, 24))
    assert model.loss_outputs() and next(iter(model.loss_outputs().values())).grad_fn is not None
    clone = copy.deepcopy(model)
    assert clone.loss_outputs() == {} and model.loss_outputs()
    assert all(torch.equal(a, b) for a, b in zip(clone.state_dict().values(), model.state_dict().values()))
