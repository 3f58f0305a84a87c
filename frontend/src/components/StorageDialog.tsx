/**
 * "Load from server storage": browse the storage root (raw files never leave the server),
 * pick a video, pick or create the pseudonymised patient, register it.
 */
import { type FormEvent, useEffect, useState } from "react";
import { type ApiClient, unwrap } from "../api/client";
import type { PatientPublic, RecordingPublic, StorageListing } from "../api/types";
import { Modal } from "./Modal";

const NEW_PATIENT = "new";

interface StorageDialogProps {
  api: ApiClient;
  patients: PatientPublic[];
  clinicId: number | undefined;
  onRegistered: (recording: RecordingPublic, patientCreated: boolean) => void;
  onError: (err: unknown, action: string) => void;
  onClose: () => void;
}

/** `1234567` -> "1.2 MB" (decimal units, one decimal from kB on). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** The parent folder of a '/'-separated relative path ("" for the root). */
export function parentPath(path: string): string {
  const parts = path.split("/").filter(Boolean);
  parts.pop();
  return parts.join("/");
}

export function StorageDialog({ api, patients, clinicId, onRegistered, onError, onClose }: StorageDialogProps) {
  const [listing, setListing] = useState<StorageListing | null>(null);
  const [dir, setDir] = useState("");
  const [file, setFile] = useState<string | null>(null);
  const [patient, setPatient] = useState<string>(patients[0] ? String(patients[0].id) : NEW_PATIENT);
  const [kind, setKind] = useState<"ir" | "rgb" | "depth">("ir");
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    unwrap(api.GET("/api/storage", { params: { query: { path: dir } } }))
      .then((l) => live && setListing(l))
      .catch((err: unknown) => onError(err, "Listing the server storage"));
    return () => {
      live = false;
    };
    // onError is the parent's reporter; listing reloads only when the folder changes.
  }, [api, dir]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (file === null) return;
    setBusy(true);
    try {
      let patientId = Number(patient);
      const created = patient === NEW_PATIENT;
      if (created) {
        patientId = (await unwrap(api.POST("/api/patients", { body: { clinic_id: clinicId ?? null, invasive: false } }))).id;
      }
      const rec = await unwrap(api.POST("/api/recordings", { body: { patient_id: patientId, path: file, kind } }));
      onRegistered(rec, created);
    } catch (err) {
      onError(err, "Registering the recording");
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title="Load a recording from server storage" open onClose={onClose} className="modal-wide">
      <form onSubmit={submit} aria-label="Load a recording">
        <div className="row">
          <span className="mono">/{listing?.path ?? dir}</span>
          {dir !== "" && (
            <button type="button" className="button-quiet" aria-label="Up one folder" onClick={() => setDir(parentPath(dir))}>
              ↑ Up
            </button>
          )}
        </div>
        <div className="storage-list" role="listbox" aria-label="Files in server storage">
          {listing?.entries.length === 0 && <p className="empty">This folder is empty.</p>}
          {listing?.entries.map((entry) =>
            entry.is_dir ? (
              <button type="button" key={entry.path} onClick={() => setDir(entry.path)} aria-label={`Open folder ${entry.name}`}>
                <span className="muted">folder</span> {entry.name}/
              </button>
            ) : (
              <button
                type="button"
                key={entry.path}
                role="option"
                aria-selected={file === entry.path}
                aria-pressed={file === entry.path}
                onClick={() => setFile(entry.path)}
              >
                {entry.name} <span className="muted">{entry.size_bytes !== null ? formatBytes(entry.size_bytes) : ""}</span>
              </button>
            ),
          )}
        </div>
        <div className="form-grid">
          <label>
            Patient
            <select name="patient" value={patient} onChange={(e) => setPatient(e.target.value)}>
              {patients.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.code}
                </option>
              ))}
              <option value={NEW_PATIENT}>New patient (code assigned by the server)</option>
            </select>
          </label>
          <label>
            Camera
            <select name="kind" value={kind} onChange={(e) => setKind(e.target.value as typeof kind)}>
              <option value="ir">infrared</option>
              <option value="rgb">RGB</option>
              <option value="depth">depth</option>
            </select>
          </label>
        </div>
        <div className="dialog-buttons">
          <button type="button" className="button-quiet" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" disabled={file === null || busy}>
            Load recording
          </button>
        </div>
      </form>
    </Modal>
  );
}
