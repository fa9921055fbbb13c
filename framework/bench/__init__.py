"""``llie bench``: measurements that answer "what does this cost?" as figures and same-run ratios.

- :mod:`.model_cost` — parameters, FLOPs, latency and peak memory of configured models (one subprocess per config);
- :mod:`.train_step` — one training iteration through the mmengine Runner vs. a bare torch loop (overhead ratio);
- :mod:`.eval_speed` — vectorised PSNR/SSIM vs. a scikit-image per-image loop (speed ratio, max difference);
- :mod:`.data_speed` — training-pipeline images/s vs. the model's step time (does the loader starve the model?).

Every timing is a median over repeated runs after warm-up (:mod:`.timing`); comparisons are interleaved in one
process so that machine load drifts cancel out.
"""
