/**
 * The patient-data dialog: pseudonymised fields only (seed 003 §III-A: "no patient name or other
 * identification information is stored and only a generated identifier code is used"). The
 * code is shown read-only; there is no name field anywhere.
 */
import { type FormEvent, useEffect, useState } from "react";
import type { PatientPublic } from "../api/types";
import { Modal } from "./Modal";

/** The editable clinical fields, as the form holds them. */
export interface PatientFields {
  sex: "F" | "M" | "U" | null;
  age: number | null;
  syndrome: string | null;
  etiology: string | null;
  invasive: boolean;
}

export function patientFields(p: PatientPublic | null): PatientFields {
  return {
    sex: p?.sex ?? null,
    age: p?.age ?? null,
    syndrome: p?.syndrome ?? null,
    etiology: p?.etiology ?? null,
    invasive: p?.invasive ?? false,
  };
}

interface PatientDialogProps {
  open: boolean;
  /** The patient being edited; `null` creates a new one (the server draws the code). */
  patient: PatientPublic | null;
  title?: string;
  saveLabel?: string;
  onSave: (fields: PatientFields) => Promise<void>;
  onClose: () => void;
}

export function PatientDialog({ open, patient, title, saveLabel, onSave, onClose }: PatientDialogProps) {
  const [fields, setFields] = useState<PatientFields>(() => patientFields(patient));
  const [busy, setBusy] = useState(false);

  useEffect(() => setFields(patientFields(patient)), [patient]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      await onSave(fields);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title={title ?? "Patient data"} open={open} onClose={onClose}>
      <form onSubmit={submit} aria-label="Patient data">
        <p className="muted">Pseudonymised clinical data only — never enter names, dates of birth or other identifiers.</p>
        <label>
          Patient code
          <input name="code" readOnly value={patient?.code ?? "(assigned by the server)"} />
        </label>
        <div className="form-grid">
          <label>
            Sex
            <select name="sex" value={fields.sex ?? ""} onChange={(e) => setFields({ ...fields, sex: (e.target.value || null) as PatientFields["sex"] })}>
              <option value="">not recorded</option>
              <option value="F">female</option>
              <option value="M">male</option>
              <option value="U">unknown / other</option>
            </select>
          </label>
          <label>
            Age (years)
            <input
              name="age"
              type="number"
              min={0}
              max={120}
              value={fields.age ?? ""}
              onChange={(e) => setFields({ ...fields, age: e.target.value === "" ? null : Number(e.target.value) })}
            />
          </label>
        </div>
        <label>
          Epilepsy syndrome
          <input name="syndrome" maxLength={200} value={fields.syndrome ?? ""} placeholder="e.g. TLE, FLE" onChange={(e) => setFields({ ...fields, syndrome: e.target.value || null })} />
        </label>
        <label>
          Etiology
          <input name="etiology" maxLength={200} value={fields.etiology ?? ""} placeholder="e.g. hippocampal sclerosis" onChange={(e) => setFields({ ...fields, etiology: e.target.value || null })} />
        </label>
        <label className="inline">
          <input name="invasive" type="checkbox" checked={fields.invasive} onChange={(e) => setFields({ ...fields, invasive: e.target.checked })} />
          Invasive EEG monitoring
        </label>
        <div className="dialog-buttons">
          <button type="button" className="button-quiet" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" disabled={busy}>
            {saveLabel ?? "Save patient data"}
          </button>
        </div>
      </form>
    </Modal>
  );
}
