"""Training, evaluation and inference on mmengine: the composed model, the Runner and its hooks, coarse-to-fine
stages, checkpoints and tiling.

Nothing is imported here, so ``import llie.engine.<module>`` pays only for what it uses; start with
:mod:`.training` (``train``, ``load_trained_model``) and :mod:`.runner` (``evaluate``).
"""
