/** The landing screen's search box and filters (patient, preview status, camera). */

/** The fields of a recording the filters look at. */
export interface FilterableRecording {
  patient_id: number;
  patient_code: string;
  path: string;
  kind: string;
  preview_status: string;
}

export interface RecordingFilter {
  /** Free text: every word must appear in the path or the patient code (case-insensitive). */
  search: string;
  /** `null` = any. */
  patientId: number | null;
  status: string | null;
  kind: string | null;
}

export const NO_FILTER: RecordingFilter = { search: "", patientId: null, status: null, kind: null };

export function matchesFilter(rec: FilterableRecording, filter: RecordingFilter): boolean {
  if (filter.patientId !== null && rec.patient_id !== filter.patientId) return false;
  if (filter.status !== null && rec.preview_status !== filter.status) return false;
  if (filter.kind !== null && rec.kind !== filter.kind) return false;
  const haystack = `${rec.path} ${rec.patient_code}`.toLowerCase();
  return filter.search
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => haystack.includes(word));
}

export function filterRecordings<T extends FilterableRecording>(recs: readonly T[], filter: RecordingFilter): T[] {
  return recs.filter((r) => matchesFilter(r, filter));
}
