"""Per-bed adaptation (off by default): a bed's score bar learned from the answers to its alarms.

The clinicians answer each alarm on the live page (``<bed>/acks.jsonl``: ``confirmed`` as a
seizure, ``rejected`` as a false alarm, or only ``acknowledged``). With ``ictal monitor run
--adapt bar:MARGIN/MAX`` each bed moves its own **score bar** -- the ``k-of-n`` rule's window
threshold, the ``evidence`` rule's baseline (:attr:`~ictal.monitor.alarms.AlarmState.bar`)
-- from those answers, one reviewed alarm at a time:

* **rejected**: the bar rises to the lowest value at which the windows that raised the alarm
  (its *lead*: the last ``n`` windows of ``k-of-n``, the windows since the evidence last grew
  from 0 for ``evidence``) would not have raised it, plus ``margin``; never above ``max_bar``
  (a false alarm that scored above ``max_bar`` is not silenced: the bar stops there);
* **confirmed**: the bar falls to the highest value at which the lead still raises the alarm,
  less ``margin``, if the bar stood above it; never below the rule's own value;
* **acknowledged** (or a second answer to an alarm already answered): nothing changes.

Only answers already given change later windows -- an answer applies from the first window
journaled after it is read -- so the adaptation is causal. Each change is journaled in
``<bed>/adapt.jsonl`` (``{"alarm", "decision", "n"`` (the first window it applies to),
``"bar_before", "bar_after", "reason", "wall"}``); a restarted monitor applies them again at
the same windows while it replays its journal, so its alarm state is the one it had.

:func:`simulate` evaluates the adaptation on phantom nights: a simulated clinician answers every
alarm ``review_s`` after it was raised from the ground truth (confirmed during a seizure,
rejected outside any seizure and its post-ictal minute, only acknowledged in between), the
windows of the monitor's journal replayed through the rule in time order.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ictal.errors import ConfigError
from ictal.monitor.alarms import AlarmConfig, AlarmState, alarm_record

#: Decisions of ``acks.jsonl`` that move a bar.
DECISIONS = ("confirmed", "rejected")


@dataclass(frozen=True)
class AdaptConfig:
    """How a bed's bar follows the answers to its alarms (module docstring).

    Attributes:
        margin: added above a rejected alarm's silencing bar / taken below a confirmed one's
            keeping bar (summed seizure probability).
        max_bar: the highest bar adaptation may set.
    """

    margin: float = 0.02
    max_bar: float = 0.95

    def __post_init__(self) -> None:
        if not (0 <= self.margin < 1 and 0 < self.max_bar < 1):
            raise ConfigError(f"adaptation bar:{self.margin:g}/{self.max_bar:g}: margin must "
                              "lie in [0, 1) and the highest bar in (0, 1)",
                              hint="e.g. --adapt bar:0.02/0.95")

    @classmethod
    def parse(cls, text: str) -> AdaptConfig:
        """``bar`` (defaults), ``bar:MARGIN`` or ``bar:MARGIN/MAX_BAR``."""
        kind, _, rest = text.partition(":")
        if kind != "bar":
            raise ConfigError(f"adaptation {text!r} is not known",
                              hint="use bar, bar:MARGIN or bar:MARGIN/MAX_BAR")
        margin, _, top = rest.partition("/")
        try:
            return cls(float(margin or cls.margin), float(top or cls.max_bar))
        except ValueError as err:
            raise ConfigError(f"adaptation {text!r}: {err}",
                              hint="use bar, bar:MARGIN or bar:MARGIN/MAX_BAR") from err

    def describe(self) -> str:
        return f"bar:{self.margin:g}/{self.max_bar:g}"


def raises(config: AlarmConfig, lead: Sequence[float], bar: float) -> bool:
    """Whether the rule with score bar ``bar``, started quiet, raises an alarm on the window
    scores ``lead`` (in order)."""
    if config.rule == "k-of-n":
        recent: deque[float] = deque(maxlen=config.n)
        for s in lead:
            recent.append(s)
            if sum(x >= bar for x in recent) >= config.k:
                return True
        return False
    evidence = 0.0
    for s in lead:
        evidence = max(0.0, evidence + s - bar)
        if evidence >= config.threshold:
            return True
    return False


def _boundary(config: AlarmConfig, lead: Sequence[float], lo: float, hi: float) -> float:
    """The bar in ``[lo, hi]`` where ``lead`` stops raising (bisection to 1e-6; ``raises``
    falls with the bar). ``lo`` when it does not raise at ``lo``, ``hi`` when it still
    raises at ``hi``."""
    if not raises(config, lead, lo):
        return lo
    if raises(config, lead, hi):
        return hi
    while hi - lo > 1e-6:
        mid = (lo + hi) / 2
        if raises(config, lead, mid):
            lo = mid
        else:
            hi = mid
    return hi


class BedAdapter:
    """One bed's adaptation: keeps each alarm's lead, moves the bar of ``state`` on answers.

    Call :meth:`observe` with every journaled window and the change it caused (after
    ``state.update``), :meth:`review` with an answer.
    """

    def __init__(self, config: AdaptConfig, state: AlarmState, *, keep: int = 300) -> None:
        self.config, self.state = config, state
        rule = state.config
        self.base = rule.threshold if rule.rule == "k-of-n" else rule.baseline
        self.scores: deque[tuple[float | None, float]] = deque(maxlen=keep)
        self.leads: dict[int, list[float]] = {}
        self.reviewed: set[int] = set()

    def observe(self, window: dict[str, Any], change: dict[str, Any] | None) -> None:
        """Remember a scored window's score; on a raised alarm, its lead."""
        if window.get("state") != "scored":
            return
        self.scores.append((window.get("t_start"), self.state.score(window["probs"])))
        if change is None or change["action"] != "raised":
            return
        rule = self.state.config
        if rule.rule == "k-of-n":
            lead = [s for _, s in list(self.scores)[-rule.n:]]
        else:
            onset = change.get("onset_t")
            lead = [s for t, s in self.scores
                    if onset is None or (t is not None and t >= onset)]
        self.leads[int(change["number"])] = lead

    def review(self, number: int, decision: str) -> dict[str, Any] | None:
        """Apply an answer to alarm ``number``; the change (``bar_before``, ``bar_after``,
        ``reason``) or ``None`` when nothing changes (acknowledged, answered before, or an
        alarm this bed does not know)."""
        if decision not in DECISIONS or number in self.reviewed or number not in self.leads:
            return None
        self.reviewed.add(number)
        lead = self.leads.pop(number)
        before = self.state.current_bar
        cfg = self.config
        top = max(cfg.max_bar, self.base)
        if decision == "rejected" and not raises(self.state.config, lead, before):
            after, reason = before, "rejected alarm: the bar already silences its windows"
        elif decision == "rejected":
            silent = _boundary(self.state.config, lead, before, top)
            after = min(top, silent + cfg.margin)
            reason = (f"rejected alarm: its windows stop raising at {silent:.3f}"
                      + (" (not below the highest bar)" if silent >= top else ""))
        else:
            keep = _boundary(self.state.config, lead, self.base, 1.0)
            after = max(self.base, min(before, keep - cfg.margin))
            reason = f"confirmed alarm: its windows raise up to {keep:.3f}"
        if after == before:
            return {"bar_before": before, "bar_after": after, "reason": reason + "; unchanged"}
        self.state.bar = after
        return {"bar_before": before, "bar_after": after, "reason": reason}


def alarm_number(alarm_id: str) -> int | None:
    """The number of an alarm id ``<bed>-<number>`` (``None`` when it is not one)."""
    _, _, tail = alarm_id.rpartition("-")
    return int(tail) if tail.isdigit() else None


# ---- evaluation on phantom nights ---------------------------------------------------------
def oracle(night: dict[str, Any], t: float, *, grace_s: float = 4.0,
           post_s: float = 60.0) -> str:
    """A simulated clinician's answer to an alarm raised at ``t`` (s) of ``night``:
    ``confirmed`` from a seizure's onset to ``grace_s`` after its end (the detection rule of
    :mod:`ictal.monitor.detection`), ``acknowledged`` in the post-ictal ``post_s`` after it,
    ``rejected`` otherwise."""
    for sz in night["seizures"]:
        if sz["onset_s"] <= t <= sz["offset_s"] + grace_s:
            return "confirmed"
    for sz in night["seizures"]:
        if sz["onset_s"] <= t <= sz["offset_s"] + post_s:
            return "acknowledged"
    return "rejected"


def simulate(windows: Sequence[dict[str, Any]], rule: AlarmConfig, labels: Sequence[str],
             bed: str, adapt: AdaptConfig | None, answer: Callable[[float], str], *,
             review_s: float = 120.0) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Replay journaled ``windows`` (in order) through ``rule`` with the bed adapting from
    answers given ``review_s`` after each alarm is raised (``answer(t)``: the decision for an
    alarm raised at ``t``); an answer given at ``t_due`` applies to the windows whose
    probability exists after it (``t_stop > t_due``). Without ``adapt`` this is the rule's
    plain replay (:func:`~ictal.monitor.alarms.replay`).

    Returns:
        The alarms (``alarms.jsonl`` lines without ``wall``) and the bar changes
        (``adapt.jsonl`` lines without ``wall``).
    """
    state = AlarmState(rule, list(labels))
    adapter = None if adapt is None else BedAdapter(adapt, state)
    due: deque[tuple[float, int, str]] = deque()
    alarms: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for w in windows:
        while adapter is not None and due and due[0][0] < w["t_stop"]:
            _, number, decision = due.popleft()
            change = adapter.review(number, decision)
            if change is not None:
                changes.append({"alarm": f"{bed}-{number}", "decision": decision,
                                "n": w["n"], **change})
        change = state.update(w)
        if adapter is not None:
            adapter.observe(w, change)
        if change is None:
            continue
        record = alarm_record(bed, change, w)
        alarms.append(record)
        if change["action"] == "raised":
            due.append((record["t"] + review_s, int(change["number"]),
                        answer(record["t"])))
    return alarms, changes


class AckFollower:
    """Reads the answers appended to a bed's ``acks.jsonl`` since the last call (the live
    page writes them; :mod:`ictal.server.routes.monitor`): ``(alarm id, decision)`` pairs,
    whole lines only, in file order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def new(self) -> list[tuple[str, str]]:
        try:
            with self.path.open("rb") as fh:
                fh.seek(self.offset)
                data = fh.read()
        except FileNotFoundError:
            return []
        end = data.rfind(b"\n") + 1  # a line being written is read next time
        self.offset += end
        out = []
        for line in data[:end].splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(rec, dict) and isinstance(rec.get("alarm"), str):
                out.append((rec["alarm"], str(rec.get("decision"))))
        return out
