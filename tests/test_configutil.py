from ictal.configutil import deep_merge


def test_deep_merge_recurses_and_copies() -> None:
    base = {"a": 1, "b": {"c": 2, "d": 3}}
    out = deep_merge(base, {"b": {"d": 4}, "e": 5})
    assert out == {"a": 1, "b": {"c": 2, "d": 4}, "e": 5}
    assert base == {"a": 1, "b": {"c": 2, "d": 3}}
