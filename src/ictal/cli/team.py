"""``ictal agreement``: inter-annotator agreement over a manifest exported with every layer."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ictal.cli.options import allow_outside_root, out_file
from ictal.errors import ConfigError


def register(app: typer.Typer) -> None:
    app.command("agreement")(agreement)


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def agreement(
    manifest: Path = typer.Argument(..., exists=True, dir_okay=False,
                                    help="Manifest whose events carry meta.annotator (the web "
                                         "platform's export with layers: all)."),
    grid: float = typer.Option(0.1, "--grid", min=0.01, max=10.0,
                               help="Time grid of Cohen's kappa on MOI terms, in seconds."),
    json_out: Path | None = out_file(None, "--json", help="Also write the report as JSON."),
    outside_root: bool = allow_outside_root(),
) -> None:
    """Agreement between the annotators of each recording: events matched by temporal IoU
    (onset / offset differences in seconds), MOI temporal IoU per body region, Cohen's kappa on
    MOI terms at a fixed time grid; team figures as mean ± std. Consensus events are the
    adjudication and are left out. Export with every layer first: POST /api/exports/manifest
    with {"layers": "all", ...}."""
    from ictal.fsutil import write_json_atomic
    from ictal.manifest import load_manifest
    from ictal.manifest.agreement import manifest_agreement

    m = load_manifest(manifest, check_files=False, allow_outside_root=outside_root)
    report = manifest_agreement(m, grid_s=grid)
    if not report.pairs:
        raise ConfigError(
            f"{manifest}: no recording has events of two annotators (events need "
            "meta.annotator)",
            hint="export every layer: POST /api/exports/manifest with \"layers\": \"all\"")
    console = Console()
    table = Table(title=f"Agreement ({len(report.pairs)} pairs, kappa grid {grid} s)")
    for col in ("recording", "A", "B", "matched", "unmatched", "onset B-A (s)",
                "offset B-A (s)", "MOI IoU", "kappa"):
        table.add_column(col)
    for p in report.pairs:
        ious = list(p.moi_iou.values())
        table.add_row(
            p.recording, p.annotator_a, p.annotator_b, str(len(p.matches)),
            str(len(p.unmatched_a) + len(p.unmatched_b)),
            " ".join(f"{x.onset_diff_s:+.2f}" for x in p.matches) or "-",
            " ".join(f"{x.offset_diff_s:+.2f}" for x in p.matches) or "-",
            _fmt(sum(ious) / len(ious)) if ious else "-", _fmt(p.kappa))
    console.print(table)
    s = report.summary()

    def ms(key: str) -> str:
        v = s[key]
        return "-" if v["mean"] is None else f"{v['mean']:.2f} ± {v['std']:.2f} (n={v['n']})"

    console.print(f"team: |onset diff| {ms('onset_abs_diff_s')} s, |offset diff| "
                  f"{ms('offset_abs_diff_s')} s, MOI IoU {ms('moi_iou')}, kappa {ms('kappa')}, "
                  f"pooled kappa {_fmt(s['kappa_pooled'])}", markup=False, highlight=False)
    if json_out is not None:
        write_json_atomic(json_out, report.to_dict())
        console.print(f"written {json_out}")
