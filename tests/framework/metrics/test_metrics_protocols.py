"""Named metric protocols: defaults, overrides, tags and one-line configuration errors."""
import dataclasses

import pytest

from llie.errors import ConfigError
from llie.metrics.protocols import MetricProtocol, get_protocol, known_protocols


def test_known_protocols_are_the_documented_ones():
    assert known_protocols() == ["basicsr", "retinexformer"]


@pytest.mark.parametrize("name", ["retinexformer", "basicsr"])
def test_named_protocols_default_to_rgb_without_crop_or_gt_mean(name):
    proto = get_protocol(name)
    assert proto == MetricProtocol(name=name)
    assert (proto.crop_border, proto.y_channel, proto.gt_mean) == (0, False, False)
    assert proto.tag == name


@pytest.mark.parametrize("name", ["retinexformer", "basicsr"])
def test_every_option_can_be_overridden_on_either_protocol(name):
    proto = get_protocol(name, crop_border=4, y_channel=True, gt_mean=True)
    assert (proto.name, proto.crop_border, proto.y_channel, proto.gt_mean) == (name, 4, True, True)
    assert proto.tag == f"{name}+y+crop4+gtmean"
    assert proto.as_dict() == {"name": name, "crop_border": 4, "y_channel": True, "gt_mean": True,
                               "gt_mean_gray": "bgr2gray", "tag": f"{name}+y+crop4+gtmean"}


def test_protocol_is_frozen_and_overrides_on_an_instance_make_a_copy():
    base = get_protocol("basicsr")
    with pytest.raises(dataclasses.FrozenInstanceError):
        base.crop_border = 3
    changed = get_protocol(base, y_channel=True)
    assert changed.y_channel and not base.y_channel and changed.name == "basicsr"


def test_unknown_protocol_names_the_known_ones():
    with pytest.raises(ConfigError) as err:
        get_protocol("basicsrr")
    message = str(err.value)
    assert "basicsrr" in message and "retinexformer" in message and "basicsr" in message
    assert "\n" not in message


def test_unknown_protocol_in_dataclass_is_rejected_too():
    with pytest.raises(ConfigError, match="known protocols: basicsr, retinexformer"):
        MetricProtocol(name="matlab")


def test_unknown_option_is_a_config_error():
    with pytest.raises(ConfigError, match="test_y_channel"):
        get_protocol("basicsr", test_y_channel=True)


@pytest.mark.parametrize("bad", [-1, 1.5, True, "4"])
def test_crop_border_must_be_a_non_negative_int(bad):
    with pytest.raises(ConfigError, match="crop_border"):
        get_protocol("basicsr", crop_border=bad)


def test_flags_must_be_booleans():
    with pytest.raises(ConfigError, match="gt_mean"):
        get_protocol("retinexformer", gt_mean="yes")


def test_gt_mean_gray_level_must_be_a_known_one():
    with pytest.raises(ConfigError, match="gt_mean_gray must be one of bgr2gray, rgb_mean"):
        get_protocol("retinexformer", gt_mean=True, gt_mean_gray="luma")
