"""Log metrics to mlt from Python, with nothing but the standard library.

Under `mlt run -- python train.py`, metrics go to the run's metrics channel (the pipe whose file
descriptor is in MLT_METRICS_FD): a write of one line, no process started, nothing to wait for.
Outside `mlt run` but with MLT_RUN_ID set (e.g. after `eval "$(mlt run start --export)"`), each
call runs `mlt log metric`. With neither, calls do nothing, so a script runs unchanged without mlt.

    from mlt_log import log_metrics, log_params
    log_params(lr=0.1, epochs=20)
    for epoch in range(20):
        ...
        log_metrics(step=epoch, loss=loss, acc=acc)
"""
import math
import os
import subprocess

__all__ = ["log_metrics", "log_params"]

_channel = None


def _mlt():
    return os.environ.get("MLT_EXE") or "mlt"


def _number(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(v)


def _open_channel():
    global _channel
    if _channel is None:
        fd = os.environ.get("MLT_METRICS_FD")
        if fd and fd.isdigit():
            try:
                _channel = os.fdopen(int(fd), "w", buffering=1, closefd=False)
            except OSError:
                _channel = False
        else:
            _channel = False
    return _channel


def log_metrics(step=None, **values):
    """Log metric values (numbers; nan and inf are kept) at `step` (default: the next step)."""
    if not values:
        return
    pairs = " ".join(f"{k}={_number(v)}" for k, v in values.items())
    channel = _open_channel()
    if channel:
        channel.write(pairs + (f" step={int(step)}" if step is not None else "") + "\n")
        return
    if not os.environ.get("MLT_RUN_ID"):
        return
    cmd = [_mlt(), "log", "metric"] + [f"{k}={_number(v)}" for k, v in values.items()]
    if step is not None:
        cmd += ["--step", str(int(step))]
    subprocess.run(cmd, check=True)


def log_params(**params):
    """Log params (immutable: logging a different value for a key is refused by mlt)."""
    if params and os.environ.get("MLT_RUN_ID"):
        subprocess.run([_mlt(), "log", "param"] + [f"{k}={v}" for k, v in params.items()], check=True)


if __name__ == "__main__":
    # a tiny self-test: python3 examples/mlt_log.py under `mlt run`
    log_params(example="mlt_log.py")
    for i in range(5):
        log_metrics(step=i, loss=1.0 / (i + 1))
