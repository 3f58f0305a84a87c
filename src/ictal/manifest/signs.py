"""Semiological signs of a seizure event: the manifest's ``meta.signs`` field.

A seizure event lists the signs it shows as ``meta.signs``, a list of sign codes (seed 004
labels each hyperkinetic seizure for limb dystonia and for emotional expression, independently):

.. code-block:: yaml

    - {id: E001, recording: R001, t0: 62.0, t1: 95.5, label: FLE,
       meta: {signs: [dystonia, dystonia-left, emotion, emotion-fear]}}

A code is lower case, words joined by ``-``; a *refined* code ``<base>-<detail>`` (the side of
a dystonia, the kind of an emotion) implies its base: ``dystonia-left`` is a dystonia
(:func:`with_implied`). :data:`SIGNS` is the vocabulary the platform offers (its labels
export them); a manifest from elsewhere may carry other well-formed codes, which the seed-004
tasks ignore. A comma-separated string (``"dystonia, emotion"``) is read as the list.
:mod:`ictal.features.semiology` turns signs into the task labels.
"""

from __future__ import annotations

import re
from typing import Any, Literal, get_args

#: The signs the platform labels, in the order its checklist shows them.
Sign = Literal["dystonia", "dystonia-left", "dystonia-right", "emotion", "emotion-fear",
               "emotion-rage", "emotion-smile"]
SIGNS: tuple[str, ...] = get_args(Sign)
#: What each sign means, for people (the platform's checklist, the README).
SIGN_LABELS: dict[str, str] = {
    "dystonia": "limb dystonia (sustained abnormal posture)",
    "dystonia-left": "dystonia of the left limb",
    "dystonia-right": "dystonia of the right limb",
    "emotion": "emotional expression",
    "emotion-fear": "fear",
    "emotion-rage": "rage",
    "emotion-smile": "smiling",
}
SIGN_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def parse_signs(raw: Any) -> tuple[str, ...]:
    """The sign codes of a ``meta.signs`` value (a list, a comma-separated string or ``None``),
    in their order, stripped and lower-cased; :class:`ValueError` names a malformed one."""
    if raw is None:
        return ()
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple):
        raise ValueError(f"signs must be a list of sign codes, got {type(raw).__name__}")
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"a sign must be a code such as 'dystonia', got {item!r}")
        code = item.strip().lower()
        if not code:
            continue
        if not SIGN_PATTERN.match(code):
            raise ValueError(f"sign {item!r} is not a code (lower-case words joined by '-', "
                             f"e.g. {', '.join(SIGNS[:3])})")
        out.append(code)
    return tuple(out)


def with_implied(signs: set[str]) -> set[str]:
    """``signs`` plus the base of every refined known sign (``dystonia-left`` -> ``dystonia``)."""
    out = set(signs)
    for code in signs:
        base = code.split("-", 1)[0]
        if base != code and base in SIGNS:
            out.add(base)
    return out
