"""Progress bars for training, validation and testing (rich), as an mmengine hook."""
from __future__ import annotations

from typing import Any

from mmengine.hooks import Hook
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class ProgressBarHook(Hook):
    """One bar for the training iterations (with the current loss) and one per validation/test pass."""

    priority = "LOW"

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._progress: Progress | None = None
        self._train_task: Any = None
        self._eval_task: Any = None

    def _bar(self) -> Progress:
        if self._progress is None:
            self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                      TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[info]}"),
                                      console=Console(stderr=True), transient=False)
            self._progress.start()
        return self._progress

    def _stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    # training
    def before_train(self, runner: Any) -> None:
        if self.enabled:
            self._train_task = self._bar().add_task("train", total=runner.max_iters, completed=runner.iter, info="")

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None) -> None:
        if self._train_task is None:
            return
        loss = outputs.get("loss") if isinstance(outputs, dict) else None
        info = f"loss {float(loss.detach()):.4f}" if loss is not None else ""
        self._bar().update(self._train_task, completed=runner.iter + 1, info=info)

    def after_train(self, runner: Any) -> None:
        self._train_task = None
        self._stop()

    # validation / test
    def _start_eval(self, runner: Any, name: str, loader: Any) -> None:
        if self.enabled:
            self._eval_task = self._bar().add_task(name, total=len(loader), info="")

    def _advance_eval(self) -> None:
        if self._eval_task is not None and self._progress is not None:
            self._progress.advance(self._eval_task)

    def _end_eval(self) -> None:
        if self._eval_task is not None and self._progress is not None:
            self._progress.remove_task(self._eval_task)
        self._eval_task = None
        if self._train_task is None:
            self._stop()

    def before_val_epoch(self, runner: Any) -> None:
        self._start_eval(runner, "val", runner.val_dataloader)

    def after_val_iter(self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None) -> None:
        self._advance_eval()

    def after_val_epoch(self, runner: Any, metrics: dict | None = None) -> None:
        self._end_eval()

    def before_test_epoch(self, runner: Any) -> None:
        self._start_eval(runner, "test", runner.test_dataloader)

    def after_test_iter(self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None) -> None:
        self._advance_eval()

    def after_test_epoch(self, runner: Any, metrics: dict | None = None) -> None:
        self._end_eval()
