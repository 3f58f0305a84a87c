"""From per-window probabilities to alarms: raised and cleared with hysteresis, with a reason.

A window's **seizure score** is the sum of the probabilities of the seizure classes (every
label of the bundle but the background ones, ``NE`` by default: the phantom's and seed 000's
non-epileptic rest). Two rules, both per bed and deterministic functions of the window
sequence (a restarted monitor rebuilds the state by replaying its journal):

* ``k-of-n`` (default ``2`` of ``3`` at ``0.5``): raised when at least ``k`` of the last ``n``
  assessable windows score ``>= threshold``; cleared when none of the last ``n`` does.
* ``evidence``: the summed probability over time that the skeleton detector's author advises
  (a CUSUM): ``E <- max(0, E + score - baseline)`` per window; raised when ``E >= threshold``,
  cleared when ``E`` has been ``0`` for ``n`` windows. ``baseline`` is the score an ordinary
  window may reach without accumulating.

A window that is not assessable (a frame gap, the camera covered, lights switching, compute
dropped it) leaves the state as it is: it neither raises nor clears. The alarm names the class
with the highest mean probability over the windows that raised it.

Each alarm also says which stretch of the timeline it stands for -- what the platform turns
into a draft seizure event: ``onset_t``, the start of the first window that counted towards
raising it (``k-of-n``: the first of the last ``n`` windows scoring ``>= threshold``;
``evidence``: the window from which the evidence last grew from ``0``), and, when it clears,
``offset_t``, the end of the last window that still counted (scored ``>= threshold``, or above
``baseline``). Windows without ``t_start`` / ``t_stop`` give ``None``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ictal.errors import ConfigError
from ictal.models.labels import seizure_columns

Rule = Literal["k-of-n", "evidence"]


@dataclass(frozen=True)
class AlarmConfig:
    """How a bed's windows become alarms (module docstring).

    Attributes:
        rule: ``k-of-n`` or ``evidence``.
        threshold: a window's score threshold (``k-of-n``) or the evidence to raise
            (``evidence``, in summed probability).
        k, n: windows (``k-of-n``); ``n`` is also the quiet windows that clear ``evidence``.
        baseline: the score that does not accumulate (``evidence``).
        background: labels that are not seizures.
    """

    rule: Rule = "k-of-n"
    threshold: float = 0.5
    k: int = 2
    n: int = 3
    baseline: float = 0.3
    background: tuple[str, ...] = ("NE",)

    def __post_init__(self) -> None:
        if self.rule not in ("k-of-n", "evidence"):
            raise ConfigError(f"alarm rule {self.rule!r} is not known",
                              hint="use k-of-n:K/N@THRESHOLD or evidence:THRESHOLD@BASELINE")
        if not 1 <= self.k <= self.n:
            raise ConfigError(f"alarm rule {self.k} of {self.n}: k must lie in 1..n",
                              hint="e.g. k-of-n:2/3@0.5")
        if self.threshold <= 0:
            raise ConfigError(f"alarm threshold {self.threshold} must be positive")

    @classmethod
    def parse(cls, text: str, background: Sequence[str] = ("NE",)) -> AlarmConfig:
        """``k-of-n:2/3@0.5`` or ``evidence:1.5@0.3`` (threshold @ baseline, optional
        ``/N`` quiet windows: ``evidence:1.5@0.3/3``)."""
        rule, _, rest = text.partition(":")
        try:
            if rule == "k-of-n":
                kn, _, thr = rest.partition("@")
                k, _, n = kn.partition("/")
                return cls("k-of-n", float(thr or 0.5), int(k or 2), int(n or 3),
                           background=tuple(background))
            if rule == "evidence":
                thr, _, tail = rest.partition("@")
                base, _, n = tail.partition("/")
                return cls("evidence", float(thr or 1.5), 1, int(n or 3), float(base or 0.3),
                           tuple(background))
        except ValueError as err:
            raise ConfigError(f"alarm rule {text!r}: {err}",
                              hint="use k-of-n:K/N@THRESHOLD or evidence:THRESHOLD@BASELINE"
                              ) from err
        raise ConfigError(f"alarm rule {text!r} is not known",
                          hint="use k-of-n:K/N@THRESHOLD or evidence:THRESHOLD@BASELINE")

    def describe(self) -> str:
        if self.rule == "k-of-n":
            return f"k-of-n:{self.k}/{self.n}@{self.threshold:g}"
        return f"evidence:{self.threshold:g}@{self.baseline:g}/{self.n}"


@dataclass
class AlarmState:
    """The running state of one bed's rule (rebuilt by replaying windows)."""

    config: AlarmConfig
    labels: list[str]
    active: bool = False
    count: int = 0  # alarms raised so far (names the next one)
    evidence: float = 0.0
    quiet: int = 0
    recent: deque[float] = field(default_factory=deque)
    raised_probs: list[list[float]] = field(default_factory=list)
    #: ``(t_start, t_stop)`` of the windows in ``recent`` (``k-of-n``)
    recent_t: deque[tuple[float | None, float | None]] = field(default_factory=deque)
    #: start of the window from which the evidence last grew from 0 (``evidence``)
    evidence_from: float | None = None
    #: end of the last window that counted towards the active alarm
    last_hot: float | None = None
    #: this bed's score bar when per-bed adaptation moved it (:mod:`ictal.monitor.adapt`):
    #: the threshold of ``k-of-n``, the baseline of ``evidence``; ``None``: the rule's
    bar: float | None = None

    def __post_init__(self) -> None:
        self.columns = seizure_columns(self.labels, self.config.background)

    @property
    def current_bar(self) -> float:
        """The score bar in force: a window counts when it scores ``>=`` it (``k-of-n``'s
        threshold) or accumulates what it scores above it (``evidence``'s baseline)."""
        if self.bar is not None:
            return self.bar
        return self.config.threshold if self.config.rule == "k-of-n" else self.config.baseline

    def score(self, probs: Sequence[float]) -> float:
        """The window's seizure score: summed seizure-class probability."""
        return float(sum(probs[i] for i in self.columns))

    def update(self, window: dict[str, Any]) -> dict[str, Any] | None:
        """Take one journaled window (time order); return the alarm change it causes
        (``{"action": "raised" | "cleared", ...}``) or ``None``."""
        if window.get("state") != "scored":
            return None
        probs = window["probs"]
        s = self.score(probs)
        span = (window.get("t_start"), window.get("t_stop"))
        cfg = self.config
        bar = self.current_bar
        if cfg.rule == "k-of-n":
            self.recent.append(s)
            self.recent_t.append(span)
            while len(self.recent) > cfg.n:
                self.recent.popleft()
                self.recent_t.popleft()
            hot = s >= bar
            hits = sum(x >= bar for x in self.recent)
            raise_now = not self.active and hits >= cfg.k
            clear_now = self.active and hits == 0
            why = f"{hits} of the last {len(self.recent)} windows scored >= {bar:g}"
            onset = next((t[0] for x, t in zip(self.recent, self.recent_t, strict=True)
                          if x >= bar), None)
        else:
            if self.evidence == 0 and s > bar:
                self.evidence_from = span[0]
            self.evidence = max(0.0, self.evidence + s - bar)
            self.quiet = self.quiet + 1 if self.evidence == 0 else 0
            hot = s > bar
            raise_now = not self.active and self.evidence >= cfg.threshold
            clear_now = self.active and self.quiet >= cfg.n
            why = (f"summed evidence {self.evidence:.2f} >= {cfg.threshold:g}" if raise_now
                   else f"no evidence for {self.quiet} windows")
            onset = self.evidence_from
        if self.active:
            self.raised_probs.append(list(probs))
            if hot:
                self.last_hot = span[1]
        if raise_now:
            self.active = True
            self.count += 1
            self.raised_probs = [list(probs)]
            self.last_hot = span[1]
            return {"action": "raised", "number": self.count, "label": self._label(),
                    "score": s, "reason": why, "onset_t": onset}
        if clear_now:
            self.active = False
            label = self._label()
            return {"action": "cleared", "number": self.count, "label": label, "score": s,
                    "reason": why if cfg.rule == "evidence"
                    else f"none of the last {len(self.recent)} windows scored >= "
                         f"{bar:g}", "offset_t": self.last_hot}
        return None

    def _label(self) -> str:
        if not self.raised_probs:
            return self.labels[self.columns[0]]
        means = [sum(p[i] for p in self.raised_probs) / len(self.raised_probs)
                 for i in self.columns]
        return self.labels[self.columns[max(range(len(means)), key=means.__getitem__)]]


def alarm_record(bed: str, change: dict[str, Any], window: dict[str, Any]) -> dict[str, Any]:
    """The ``alarms.jsonl`` line of an alarm change (:mod:`ictal.monitor.journal`) caused by
    ``window``, without its ``wall`` time: id ``<bed>-<number>``, the window's ``n`` and end
    ``t``, and the stretch it stands for (``onset_t`` / ``offset_t``)."""
    alarm = {"bed": bed, "id": f"{bed}-{change['number']}", "action": change["action"],
             "n": window["n"], "t": window["t_stop"], "label": change["label"],
             "score": change["score"], "reason": change["reason"]}
    for key in ("onset_t", "offset_t"):  # the stretch it stands for
        if key in change:
            alarm[key] = change[key]
    return alarm


def replay(windows: Sequence[dict[str, Any]], config: AlarmConfig, labels: Sequence[str],
           bed: str) -> list[dict[str, Any]]:
    """The alarms a bed following ``config`` raises and clears over journaled ``windows`` (in
    order): what ``ictal monitor run --alarm`` with that rule writes to ``alarms.jsonl`` for
    the same windows, ``wall`` left out. Alarm rules are functions of the windows, so one
    journal serves to compare rules (:mod:`ictal.monitor.selection`)."""
    state = AlarmState(config, list(labels))
    out = []
    for w in windows:
        change = state.update(w)
        if change is not None:
            out.append(alarm_record(bed, change, w))
    return out
