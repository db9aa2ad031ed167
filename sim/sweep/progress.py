"""Progress of a sweep: a tqdm bar on a terminal, plain periodic lines otherwise (logs, CI, pipes)."""

from __future__ import annotations

import sys
import time

__all__ = ["Progress", "format_duration"]


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


class Progress:
    """done / total, rate, time left and failures so far."""

    def __init__(self, total: int, initial: int = 0, label: str = "sweep", stream=None, enabled: bool = True,
                 interval: float = 10.0, terminal: bool | None = None):
        self.total = total
        self.done = initial
        self.initial = initial
        self.failed = 0
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.interval = interval
        self.start = time.monotonic()
        self.last_line = self.start
        isatty = getattr(self.stream, "isatty", None)
        self.terminal = bool(isatty and isatty()) if terminal is None else terminal
        self.bar = None
        if enabled and self.terminal:
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=initial, unit="run", desc=label, file=self.stream,
                            dynamic_ncols=True, smoothing=0.05)

    def update(self, runs: int, failed: int = 0) -> None:
        self.done += runs
        self.failed += failed
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(runs)
            if failed:
                self.bar.set_postfix(failed=self.failed, refresh=False)
            return
        now = time.monotonic()
        if now - self.last_line >= self.interval:
            self.last_line = now
            self._line()

    def _line(self) -> None:
        elapsed = time.monotonic() - self.start
        new = self.done - self.initial
        rate = new / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        share = 100.0 * self.done / self.total if self.total else 100.0
        eta = format_duration(left) if left == left else "?"
        print(f"{self.label}: {self.done}/{self.total} runs ({share:.0f}%), {rate:.1f} runs/s, about {eta} left, "
              f"{self.failed} failed", file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        elif self.enabled and self.done > self.initial:
            self._line()
