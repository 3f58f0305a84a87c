/**
 * Landing screen (seed 003 Fig. 2a): the recordings the user may see, with search and filters
 * (patient, status, camera); loading a recording shows the preview progress, then prompts for
 * the pseudonymised patient data, then opens the labelling screen.
 */
import { useCallback, useEffect, useMemo, useState } from "react";
import { unwrap } from "../api/client";
import type { PatientPublic, RecordingPublic } from "../api/types";
import { ConflictDialog } from "../components/ConflictDialog";
import { LoadingDialog } from "../components/LoadingDialog";
import { MenuStrip } from "../components/MenuStrip";
import { PatientDialog, type PatientFields } from "../components/PatientDialog";
import { StorageDialog } from "../components/StorageDialog";
import { useToast } from "../components/Toasts";
import { useVersionedEdit } from "../hooks/useVersionedEdit";
import { filterRecordings, NO_FILTER, type RecordingFilter } from "../lib/filters";
import { formatTime } from "../lib/time";
import { useApiErrors } from "../lib/useApiErrors";
import { canAnnotate, type ScreenProps } from "./common";
import { labellingText, type RecordingLabelling } from "../team/layers";
import { StreamsDialog } from "../team/StreamsDialog";

const STATUS_TEXT: Record<string, string> = { pending: "queued", running: "preparing", done: "ready", failed: "failed" };
const KIND_TEXT: Record<string, string> = { ir: "infrared", rgb: "RGB", depth: "depth" };

/** After loading, the patient dialog is shown before the labelling screen opens. */
interface PatientPrompt {
  patient: PatientPublic;
  thenOpen: number | null;
}

export function LandingScreen({ api, user, onLogout, onSessionLost, navigate }: ScreenProps) {
  const { notify } = useToast();
  const report = useApiErrors(onSessionLost);
  const [recordings, setRecordings] = useState<RecordingPublic[] | null>(null);
  const [patients, setPatients] = useState<PatientPublic[]>([]);
  const [filter, setFilter] = useState<RecordingFilter>(NO_FILTER);
  const [loading, setLoading] = useState<RecordingPublic | null>(null);
  const [prompt, setPrompt] = useState<PatientPrompt | null>(null);
  const [storageOpen, setStorageOpen] = useState(false);
  const [labelling, setLabelling] = useState<Map<number, RecordingLabelling>>(new Map());
  const [streamsOf, setStreamsOf] = useState<RecordingPublic | null>(null);
  const { send, conflict, closeConflict } = useVersionedEdit(report);
  const annotator = canAnnotate(user);

  const refresh = useCallback(async () => {
    try {
      const [recs, pats] = await Promise.all([unwrap(api.GET("/api/recordings")), unwrap(api.GET("/api/patients"))]);
      setRecordings(recs);
      setPatients(pats);
      const status = await unwrap(api.GET("/api/labelling-status"));
      setLabelling(new Map(status.map((s) => [s.recording_id, s])));
    } catch (err) {
      report(err, "Loading the recordings");
      setRecordings((r) => r ?? []);
    }
  }, [api, report]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const visible = useMemo(() => filterRecordings(recordings ?? [], filter), [recordings, filter]);
  const patientOf = (id: number) => patients.find((p) => p.id === id) ?? null;

  const open = (rec: RecordingPublic) => {
    if (rec.preview_status === "done") navigate({ screen: "labelling", recordingId: rec.id });
    else setLoading(rec);
  };

  const onLoaded = async (rec: RecordingPublic) => {
    setLoading(null);
    notify("success", `Recording ${rec.path} is ready`);
    setRecordings((all) => (all ?? []).map((r) => (r.id === rec.id ? rec : r)));
    if (!annotator) {
      navigate({ screen: "labelling", recordingId: rec.id });
      return;
    }
    try {
      // Fresh from the server: the patient may be new, or edited since the list was loaded.
      const patient = await unwrap(api.GET("/api/patients/{patient_id}", { params: { path: { patient_id: rec.patient_id } } }));
      setPrompt({ patient, thenOpen: rec.id });
    } catch (err) {
      report(err, "Loading the patient data");
      navigate({ screen: "labelling", recordingId: rec.id });
    }
  };

  const savePatient = async (patient: PatientPublic, fields: PatientFields, version: number): Promise<void> => {
    await send(api.PATCH("/api/patients/{patient_id}", { params: { path: { patient_id: patient.id } }, body: { version, ...fields } }), {
      action: "Saving the patient data",
      what: `Patient ${patient.code}`,
      mine: { ...fields },
      onSaved: (saved) => {
        setPatients((all) => all.map((p) => (p.id === saved.id ? saved : p)));
        notify("success", `Patient ${saved.code} saved`);
        const next = prompt?.thenOpen ?? null;
        setPrompt(null);
        if (next !== null) navigate({ screen: "labelling", recordingId: next });
      },
      onReload: (current) => {
        setPatients((all) => all.map((p) => (p.id === current.id ? current : p)));
        setPrompt((pr) => (pr ? { ...pr, patient: current } : { patient: current, thenOpen: null }));
        notify("info", `Reloaded patient ${current.code} from the server`);
      },
      onOverwrite: (current) => void savePatient(current, fields, current.version),
    });
  };

  const menus = [
    {
      label: "File",
      items: [
        { label: "Load from server storage…", onSelect: () => setStorageOpen(true), disabled: !annotator },
        { label: "Refresh list", onSelect: () => void refresh() },
        ...(user.role === "admin" ? [{ label: "Administration…", onSelect: () => navigate({ screen: "admin" }) }] : []),
        { label: "Log out", onSelect: onLogout },
      ],
    },
    { label: "Edit", items: [{ label: "Clear filters", onSelect: () => setFilter(NO_FILTER) }] },
    {
      label: "View",
      items: [
        { label: "Only ready recordings", onSelect: () => setFilter({ ...filter, status: "done" }) },
        { label: "All recordings", onSelect: () => setFilter({ ...filter, status: null }) },
        { label: "Live beds (monitor)", onSelect: () => window.location.assign("/monitor.html") },
      ],
    },
    {
      label: "Help",
      items: [{ label: "About ictal", onSelect: () => notify("info", "ictal: video-based seizure labelling and analysis (DeepEpil workflow).") }],
    },
  ];

  return (
    <>
      <MenuStrip menus={menus} userLabel={`${user.username} (${user.role})`} onLogout={onLogout} />
      <main>
        <div className="row" style={{ justifyContent: "space-between", alignItems: "center" }}>
          <h1>Recordings</h1>
          {annotator && (
            <button type="button" onClick={() => setStorageOpen(true)}>
              Load from server storage…
            </button>
          )}
        </div>
        <div className="panel filters">
          <div className="row" role="search">
            <label>
              Search
              <input
                type="search"
                name="search"
                placeholder="file name or patient code"
                value={filter.search}
                onChange={(e) => setFilter({ ...filter, search: e.target.value })}
              />
            </label>
            <label>
              Patient
              <select name="patient" value={filter.patientId ?? ""} onChange={(e) => setFilter({ ...filter, patientId: e.target.value ? Number(e.target.value) : null })}>
                <option value="">all</option>
                {patients.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.code}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Status
              <select name="status" value={filter.status ?? ""} onChange={(e) => setFilter({ ...filter, status: e.target.value || null })}>
                <option value="">all</option>
                {Object.entries(STATUS_TEXT).map(([value, text]) => (
                  <option key={value} value={value}>
                    {text}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Camera
              <select name="camera" value={filter.kind ?? ""} onChange={(e) => setFilter({ ...filter, kind: e.target.value || null })}>
                <option value="">all</option>
                {Object.entries(KIND_TEXT).map(([value, text]) => (
                  <option key={value} value={value}>
                    {text}
                  </option>
                ))}
              </select>
            </label>
            <span className="muted" aria-live="polite">
              {recordings === null ? "loading…" : `${visible.length} of ${recordings.length} recordings`}
            </span>
          </div>
        </div>
        <table className="recordings" aria-label="Recordings">
          <thead>
            <tr>
              <th scope="col">Recording</th>
              <th scope="col">Patient</th>
              <th scope="col">Camera</th>
              <th scope="col">Duration</th>
              <th scope="col">Video</th>
              <th scope="col">Status</th>
              <th scope="col">Labelled by</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {visible.map((rec) => (
              <tr key={rec.id}>
                <td className="mono">{rec.path}</td>
                <td>{rec.patient_code}</td>
                <td>{KIND_TEXT[rec.kind] ?? rec.kind}</td>
                <td className="mono">{formatTime(rec.duration)}</td>
                <td className="muted">
                  {rec.width}×{rec.height}, {rec.fps} fps
                </td>
                <td>
                  <span className={`badge badge-${rec.preview_status}`}>{STATUS_TEXT[rec.preview_status] ?? rec.preview_status}</span>
                  {rec.preview_status === "running" && <span className="muted"> {Math.round(rec.preview_progress)} %</span>}
                </td>
                <td className="muted" data-testid={`labelling-${rec.id}`}>
                  {labellingText(labelling.get(rec.id))}
                </td>
                <td>
                  <div className="actions">
                    <button type="button" aria-label={`Open recording ${rec.path}`} onClick={() => open(rec)}>
                      Open
                    </button>
                    <button
                      type="button"
                      className="button-quiet"
                      aria-label={`Patient data of ${rec.patient_code}`}
                      onClick={() => {
                        const p = patientOf(rec.patient_id);
                        if (p) setPrompt({ patient: p, thenOpen: null });
                      }}
                    >
                      Patient data
                    </button>
                    <button type="button" className="button-quiet" aria-label={`Streams of ${rec.path}`} onClick={() => setStreamsOf(rec)}>
                      Streams
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {recordings !== null && visible.length === 0 && (
          <p className="empty">{recordings.length === 0 ? "No recordings yet: load one from the server storage." : "No recording matches the filters."}</p>
        )}
      </main>
      {loading && (
        <LoadingDialog
          api={api}
          recording={loading}
          canRetry={annotator}
          onReady={(rec) => void onLoaded(rec)}
          onError={report}
          onClose={() => {
            setLoading(null);
            void refresh();
          }}
        />
      )}
      {storageOpen && (
        <StorageDialog
          api={api}
          patients={patients}
          clinicId={user.clinic_ids[0]}
          onError={report}
          onClose={() => setStorageOpen(false)}
          onRegistered={(rec, created) => {
            setStorageOpen(false);
            notify("success", `Registered ${rec.path}${created ? ` for new patient ${rec.patient_code}` : ""}; loading…`);
            void refresh();
            setLoading(rec);
          }}
        />
      )}
      <PatientDialog
        open={prompt !== null}
        patient={prompt?.patient ?? null}
        title={prompt?.thenOpen != null ? "Patient data — please complete" : "Patient data"}
        saveLabel={prompt?.thenOpen != null ? "Save and open recording" : "Save patient data"}
        onClose={() => {
          const next = prompt?.thenOpen ?? null;
          setPrompt(null);
          if (next !== null) navigate({ screen: "labelling", recordingId: next });
        }}
        onSave={(fields) => (prompt ? savePatient(prompt.patient, fields, prompt.patient.version) : Promise.resolve())}
      />
      <ConflictDialog conflict={conflict} onDone={closeConflict} />
      {streamsOf && <StreamsDialog api={api} recording={streamsOf} mayEdit={annotator} onClose={() => setStreamsOf(null)} onError={report} notify={notify} />}
    </>
  );
}
