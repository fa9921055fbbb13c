"""``llie enhance`` on a folder with bad files: every good output is written, each bad file is reported after the
summary, the exit status is non-zero, and no partial or temporary file is left in the output folder."""
from __future__ import annotations

import numpy as np

from cli_inputs import BROKEN_KINDS, break_file, error_lines
from llie.cli.main import main
from llie.data import read_image, write_image


def test_folder_with_bad_files_writes_all_good_outputs_and_reports_the_bad(tiny_run, tmp_path, capsys):
    config, ckpt = tiny_run
    inputs, out = tmp_path / "in", tmp_path / "out"
    good = {"a": (16, 24), "c": (13, 21), "e": (16, 24)}  # two sizes: batched and single groups
    for stem, (h, w) in good.items():
        write_image(inputs / f"{stem}.png", np.full((h, w, 3), 0.1, np.float32))
    bad = [f"{chr(ord('b') + 2 * i)}_{kind}.png" for i, kind in enumerate(BROKEN_KINDS)]  # b_, d_, f_: between good
    for name, kind in zip(bad, BROKEN_KINDS):
        write_image(inputs / name, np.full((16, 24, 3), 0.1, np.float32))
        break_file(inputs / name, kind)
    code = main(["enhance", str(config), "--checkpoint", ckpt, str(inputs), str(out), "--batch", "4"])
    captured = capsys.readouterr()
    assert code != 0
    for stem, (h, w) in good.items():
        assert read_image(out / f"{stem}.png").shape == (h, w, 3)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{stem}.png" for stem in good)  # nothing partial/temp
    assert f"enhanced {len(good)}/{len(good) + len(bad)} images" in captured.out
    failed = [line for line in error_lines(captured.err) if "failed" in line]
    assert len(failed) == len(bad) and "Traceback" not in captured.err
    for name in bad:
        assert sum(name in line for line in failed) == 1


def test_unwritable_output_folder_fails_naming_it(tiny_run, tmp_path, capsys):
    config, ckpt = tiny_run
    write_image(tmp_path / "in" / "a.png", np.full((8, 8, 3), 0.1, np.float32))
    (tmp_path / "afile").write_text("a file where a folder is expected")
    code = main(["enhance", str(config), "--checkpoint", ckpt, str(tmp_path / "in"), str(tmp_path / "afile" / "out")])
    err = capsys.readouterr().err
    assert code != 0 and "Traceback" not in err
    assert any("cannot write" in line and str(tmp_path / "afile") in line for line in error_lines(err))


def test_precision_and_layout_options_change_nothing_visible(tiny_run, tmp_path, capsys):
    """bf16 and the contiguous layout give the same image as the defaults to within a gray level or two."""
    config, ckpt = tiny_run
    write_image(tmp_path / "in" / "a.png", np.random.default_rng(0).random((16, 24, 3)).astype(np.float32) * 0.3)
    outputs = {}
    for name, options in {"default": [], "bf16": ["--precision", "bf16"],
                          "nchw": ["--memory-format", "contiguous"]}.items():
        assert main(["enhance", str(config), "--checkpoint", ckpt, str(tmp_path / "in"), str(tmp_path / name),
                     *options]) == 0
        outputs[name] = read_image(tmp_path / name / "a.png")
    out = capsys.readouterr().out
    assert "precision fp32" in out and "precision bf16" in out and "memory_format contiguous" in out
    assert np.abs(outputs["nchw"] - outputs["default"]).max() <= 1 / 255 + 1e-6
    assert np.abs(outputs["bf16"] - outputs["default"]).max() <= 3 / 255
