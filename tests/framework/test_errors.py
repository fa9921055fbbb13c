"""The user-facing line of an error, including errors re-raised by DataLoader worker processes."""
from __future__ import annotations

from torch._utils import ExceptionWrapper

from llie.errors import DataError, user_message


def test_plain_error_message_is_kept():
    assert user_message(DataError("cannot decode image a.png")) == "cannot decode image a.png"


def test_worker_reraised_error_becomes_its_original_line():
    """torch re-raises a worker's exception with the worker's whole traceback as the message."""
    try:
        try:
            raise OSError("image file is truncated")
        except OSError as cause:
            raise DataError("cannot decode image /d/low/1.png (truncated or corrupt): OSError: x") from cause
    except DataError:
        wrapped = ExceptionWrapper(where="in DataLoader worker process 0")
    try:
        wrapped.reraise()
    except DataError as exc:
        assert "\n" in str(exc) and "Traceback" in str(exc)  # what torch hands back
        assert user_message(exc) == "cannot decode image /d/low/1.png (truncated or corrupt): OSError: x"
