"""Error texts for clients: the server's folders never show."""

from __future__ import annotations

from pathlib import Path

from ictal.server.errors import hide_paths


def test_hide_paths_makes_paths_relative_to_the_roots() -> None:
    roots = [Path("/srv/ictal"), Path("/srv/ictal/storage")]
    text = ("/srv/ictal/storage/ir/a.mkv: corrupt; preview /srv/ictal/previews/0000/1.mp4; "
            "root '/srv/ictal/storage'; sibling /srv/ictal-old/x and /srv/ictalx")
    assert hide_paths(text, roots) == (
        "ir/a.mkv: corrupt; preview previews/0000/1.mp4; root '.'; "
        "sibling /srv/ictal-old/x and /srv/ictalx")
