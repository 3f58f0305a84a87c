"""Request bodies admit exactly what the tables can hold."""

from __future__ import annotations

import pytest
from pydantic import BaseModel
from sqlalchemy import inspect as sa_inspect

from ictal.server import schemas
from ictal.server.models import Base, Event, MoiAnnotation, Patient
from ictal.server.repositories.events import EMPTIED_BY_NULL


def _admits_null(model: type[BaseModel], field: str) -> bool:
    prop = model.model_json_schema()["properties"][field]
    return any(alt.get("type") == "null" for alt in prop.get("anyOf", [prop]))


@pytest.mark.parametrize(("body", "table", "null_means_empty"), [
    (schemas.PatientUpdate, Patient, ()),
    (schemas.EventUpdate, Event, EMPTIED_BY_NULL),
    (schemas.MoiUpdate, MoiAnnotation, ()),
])
def test_update_bodies_admit_null_only_for_nullable_columns(
        body: type[BaseModel], table: type[Base], null_means_empty: tuple[str, ...]) -> None:
    """Every PATCH field that admits ``null`` writes a nullable column (or one whose ``null``
    the server turns into ``""``): a ``null`` can never reach a NOT NULL column."""
    columns = {c.key: c for c in sa_inspect(table).columns}
    relations = {r.key: r for r in sa_inspect(table).relationships}
    for field in body.model_fields:
        if field == "version" or not _admits_null(body, field):
            continue
        if field in null_means_empty:
            continue
        assert field not in relations, f"{body.__name__}.{field}: null for a relation"
        assert columns[field].nullable, f"{body.__name__}.{field} admits null, the column not"


def test_ids_are_bounded_by_the_integer_columns() -> None:
    fields = schemas.RecordingRegister.model_json_schema()["properties"]["patient_id"]
    assert (fields["minimum"], fields["maximum"]) == (1, 2**31 - 1)
    with pytest.raises(ValueError, match="less than or equal"):
        schemas.ManifestExportRequest(recording_ids=[2**63])
    with pytest.raises(ValueError, match="at most 1000"):
        schemas.ManifestExportRequest(clinic_ids=list(range(1, 1002)))


def test_time_rules_come_from_the_manifest() -> None:
    """The request bodies refuse what ictal.manifest.timing refuses, with its words."""
    with pytest.raises(ValueError, match=r"t1: offset 0\.1 must be after onset t0=0\.5"):
        schemas.EventCreate(t0=0.5, t1=0.1, label="x")
    with pytest.raises(ValueError, match=r"tG: 0\.9 lies outside"):
        schemas.EventUpdate(version=1, t0=0.1, t1=0.5, tG=0.9)
    with pytest.raises(ValueError, match=r"end: 0\.1 must be after start 0\.2"):
        schemas.MoiUpdate(version=1, start=0.2, end=0.1)
    assert schemas.EventUpdate(version=1, t1=0.05).model_fields_set == {"version", "t1"}
