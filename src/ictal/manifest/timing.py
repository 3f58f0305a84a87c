"""The time rules of annotations, written once for the manifest and the server.

An event (seizure) runs from onset ``t0`` to offset ``t1 > t0``; its generalisation time
``tG``, when given, lies in ``[t0, t1]``; it ends at or before the end of its recording. A
movement of interest (MOI) runs from ``start`` to ``end > start`` inside its event. Times are
seconds from the start of the recording; comparisons with the recording's or the event's ends
allow :data:`TIME_SLACK_S` for float round-off.

Each function returns every broken rule as a :class:`TimeProblem` (empty when the times are
fine); callers phrase them for their medium (a manifest row and line, an HTTP 422).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Round-off allowed when a time is compared with the end of a recording or an event (seconds).
TIME_SLACK_S = 1e-6


@dataclass(frozen=True)
class TimeProblem:
    """One broken rule: the field to blame (``None`` when the span as a whole is wrong) and
    what is wrong with it."""

    field: str | None
    message: str


def event_time_problems(t0: float, t1: float, tG: float | None, *,
                        duration: float | None = None,
                        recording: str | None = None) -> list[TimeProblem]:
    """The rules an event's ``t0``, ``t1``, ``tG`` break; ``duration`` (seconds) of its
    recording, named ``recording`` in the message, when known."""
    problems = []
    if t1 <= t0:
        problems.append(TimeProblem("t1", f"offset {t1} must be after onset t0={t0}"))
    if tG is not None and not t0 <= tG <= t1:
        problems.append(TimeProblem("tG", f"{tG} lies outside [t0, t1] = [{t0}, {t1}]"))
    if duration is not None and t1 > duration + TIME_SLACK_S:
        problems.append(TimeProblem(
            "t1", f"{t1} s is past the end of recording '{recording}' ({duration:.3f} s)"))
    return problems


def moi_time_problems(start: float, end: float, *, event_span: tuple[float, float] | None = None,
                      event: str | None = None) -> list[TimeProblem]:
    """The rules an MOI's ``start`` and ``end`` break; ``event_span`` = ``(t0, t1)`` of its
    event, named ``event`` in the message, when known."""
    problems = []
    if end <= start:
        problems.append(TimeProblem("end", f"{end} must be after start {start}"))
    if event_span is not None:
        t0, t1 = event_span
        if start < t0 - TIME_SLACK_S or end > t1 + TIME_SLACK_S:
            problems.append(TimeProblem(
                None, f"MOI [{start}, {end}] lies outside its event '{event}' [{t0}, {t1}]"))
    return problems


def describe(problems: list[TimeProblem]) -> str:
    """The problems in one line: ``"t1: offset 0.4 must be after onset t0=0.5; ..."``."""
    return "; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in problems)
