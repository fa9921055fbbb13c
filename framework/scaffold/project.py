"""The package around the component: ``pyproject.toml`` with the ``llie.plugins`` entry point, the hook module, a
README and a sweep against the DeepSPG reference.

Placeholders: ``__NAME__``, ``__DIST__`` (distribution name), ``__CLASS__``, ``__MODULE__``, ``__REGISTRY__``,
``__LABEL__`` (e.g. "an image prior"), ``__USAGE__`` (the config line that selects the component), ``__ROWS__`` and
``__DATASETS__`` (the sweep's rows and datasets).
"""
from __future__ import annotations

PYPROJECT = '''[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "__DIST__"
version = "0.1.0"
description = "__CLASS__: __LABEL__ for llie (low-light image enhancement guided by semantic priors)"
requires-python = ">=3.10"
dependencies = ["llie"]

[project.optional-dependencies]
test = ["pytest>=8"]

# The door llie finds plugins through: once installed, `llie plugins` lists __CLASS__ with plugin '__NAME__'.
[project.entry-points."llie.plugins"]
__NAME__ = "__NAME__"

[tool.setuptools.packages.find]
where = ["src"]

[tool.pytest.ini_options]
testpaths = ["tests"]
'''

HOOK = '''"""__NAME__: an llie plugin providing __CLASS__ (__LABEL__).

llie imports this module through the entry point '__NAME__' of the group 'llie.plugins' (pyproject.toml) and calls
``llie_register`` once, before any config is built.
"""
from llie import hookimpl

from .__MODULE__ import __CLASS__

__all__ = ["__CLASS__"]


@hookimpl
def llie_register(registries):
    registries.__REGISTRY__.register_module(module=__CLASS__)
'''

README = '''# __NAME__ — __LABEL__ for llie

`__CLASS__` (`src/__NAME__/__MODULE__.py`) enters llie's `__REGISTRY__` registry through the entry point `__NAME__`
in `pyproject.toml`. Replace its body with your own; the tests keep the interface honest.

```bash
pip install -e .          # llie now finds the plugin
llie plugins              # lists __CLASS__, plugin __NAME__
pytest                    # interface shapes + one training step through llie's trainer
llie sweep sweeps/__NAME___vs_deepspg.yaml --dry-run    # then without --dry-run (CPU minutes)
llie report work_dirs/__NAME___vs_deepspg --out reports/__NAME__
```

In any config: `__USAGE__`
'''

SWEEP = '''# __CLASS__ beside the DeepSPG reference (llie's shipped DeepSPG-tiny), with the short schedule of llie's demo
# (CPU minutes). From this folder:
#   llie sweep sweeps/__NAME___vs_deepspg.yaml [--dry-run];  llie report work_dirs/__NAME___vs_deepspg
sweep:
  name: __NAME___vs_deepspg
  base: experiments/deepspg/deepspg_tiny.yaml    # shipped with llie: found from any folder
  include:
    - {experiment.method: DeepSPG-tiny}          # the reference, as shipped
__ROWS__
  datasets: [__DATASETS__]
  seeds: [0]
  overrides: {train.max_iters: 250, train.stages.0.iters: 30, train.stages.1.iters: 120, train.stages.2.iters: 100,
              train.checkpoint_interval: 50}
  reference: {experiment.method: DeepSPG-tiny}
  executor: {type: local, workers: 1}
'''

DATA_CONFIG = '''# __CLASS__ as a sweep dataset. Its root, from $__ENV__ (default ./data/__NAME__), holds train/ and
# test/, each with low/ and high/.
data:
  batch_size: 8
  num_workers: 0
  train: {type: __CLASS__, root: '{{$__ENV__:data/__NAME__}}', split: train, crop_size: 96, augment: true}
  val: {type: __CLASS__, root: '{{$__ENV__:data/__NAME__}}', split: test}
'''
