/**
 * Which bundle and which data produced the model run shown on the timeline (its `model_info`
 * and `source_info`), and, for data scientists and admins, archiving or deleting it.
 */
import type { ModelRunDetail } from "../api/types";

/** "name · bundle ab12cd34… · backbone X · variant Y (source Z)" of a run's model_info. */
export function bundleText(run: Pick<ModelRunDetail, "model_name" | "bundle_sha256" | "model_info">): string {
  const info = run.model_info as Record<string, unknown>;
  const pre = (info.preprocessing ?? {}) as Record<string, unknown>;
  const parts = [run.model_name, `bundle ${run.bundle_sha256.slice(0, 12)}…`];
  if (typeof info.backbone === "string") parts.push(`backbone ${info.backbone}`);
  if (typeof pre.variant === "string") parts.push(`preprocessing ${pre.variant}${typeof pre.source === "string" ? ` (${pre.source})` : ""}`);
  const overrides = Array.isArray(pre.overrides) ? pre.overrides.length : 0;
  if (overrides > 0) parts.push(`${overrides} override${overrides > 1 ? "s" : ""}`);
  return parts.join(" · ");
}

/** "rec-4 · 12.00 s · ir 25 fps 300 frames #1a2b3c4d…" of a run's source_info. */
export function sourceText(run: Pick<ModelRunDetail, "source_recording" | "source_info">): string {
  const src = run.source_info as { recording?: string; duration?: number | null; streams?: { kind: string; fps?: string | null; n_frames?: number | null; fingerprint?: string | null }[] } | null;
  if (src === null || src === undefined) return `${run.source_recording} (no source recorded)`;
  const parts = [src.recording ?? run.source_recording];
  if (typeof src.duration === "number") parts.push(`${src.duration.toFixed(2)} s`);
  for (const s of src.streams ?? []) {
    parts.push([s.kind, s.fps ? `${s.fps} fps` : "", s.n_frames != null ? `${s.n_frames} frames` : "", s.fingerprint ? `#${s.fingerprint.slice(0, 8)}…` : ""].filter(Boolean).join(" "));
  }
  return parts.join(" · ");
}

interface RunProvenanceProps {
  run: ModelRunDetail;
  mayManage: boolean;
  onArchive: (run: ModelRunDetail) => void;
  onDelete: (run: ModelRunDetail) => void;
}

export function RunProvenance({ run, mayManage, onArchive, onDelete }: RunProvenanceProps) {
  return (
    <div className="run-provenance muted" aria-label="Model run provenance">
      <div data-testid="run-bundle">Model: {bundleText(run)}</div>
      <div data-testid="run-source">Data: {sourceText(run)}</div>
      {mayManage && (
        <div className="row">
          <button type="button" className="button-quiet" onClick={() => onArchive(run)}>
            Archive run
          </button>
          <button type="button" className="button-danger" onClick={() => onDelete(run)}>
            Delete run
          </button>
        </div>
      )}
    </div>
  );
}
