"""An event's semiological signs: the manifest's ``meta.signs`` (ictal.manifest.signs)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ictal.errors import ManifestError
from ictal.manifest import Event, load_manifest
from ictal.manifest.signs import SIGNS, parse_signs, with_implied


def test_signs_are_read_as_given_and_refined_signs_imply_their_base() -> None:
    ev = Event(id="E1", recording="R1", t0=0, t1=1, label="HKN",
               meta={"signs": ["dystonia-left", "Emotion-Fear"]})
    assert ev.signs == ("dystonia-left", "emotion-fear")
    assert ev.meta["signs"] == ["dystonia-left", "Emotion-Fear"]  # nothing rewritten
    assert parse_signs(" dystonia, emotion ,") == ("dystonia", "emotion")
    assert parse_signs(None) == () and Event(id="E2", recording="R1", t0=0, t1=1,
                                             label="HKN").signs == ()
    assert with_implied({"dystonia-left", "emotion-fear", "automatism-oral"}) == {
        "dystonia-left", "dystonia", "emotion-fear", "emotion", "automatism-oral"}
    assert {"dystonia", "dystonia-left", "dystonia-right", "emotion"} <= set(SIGNS)


@pytest.mark.parametrize("bad", [["dystonia left"], [3], {"dystonia": True}, ["-left"]])
def test_malformed_signs_are_refused_naming_the_event(tmp_path: Path, bad: object) -> None:
    data = {"name": "m", "labels": ["HKN"], "patients": [{"id": "P1"}],
            "recordings": [{"id": "R1", "patient": "P1", "streams": [
                {"kind": "joints", "path": "k.h5", "fps": 10, "width": 8, "height": 8,
                 "n_frames": 10}]}],
            "events": [{"id": "E1", "recording": "R1", "t0": 0, "t1": 1, "label": "HKN",
                        "meta": {"signs": bad}}]}
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ManifestError) as info:
        load_manifest(path, check_files=False)
    problems = "\n".join(info.value.problems)
    assert "events[0] (id=E1): field 'meta'" in problems and "sign" in problems
