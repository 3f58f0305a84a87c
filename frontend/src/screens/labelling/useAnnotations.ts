/**
 * The seizure events and MOIs of the labelling screen: which event and MOI are selected, the
 * MOI form, and every edit (create, versioned update and delete, with the conflict flow of
 * useVersionedEdit). The rows themselves live in useRecordingData; edits change them there
 * once the server saved them.
 */
import { useCallback, useState } from "react";
import { type ApiClient, unwrap } from "../../api/client";
import type { EventPublic, EventUpdate, MoiPublic } from "../../api/types";
import type { MoiDraft } from "../../components/MoiPanel";
import type { ToastKind } from "../../components/Toasts";
import type { RecordingDataState } from "../../hooks/useRecordingData";
import type { VersionedEdit } from "../../hooks/useVersionedEdit";
import { formatTime } from "../../lib/time";
import { type Edit, pick } from "../../team/editing";
import { eventFields, moiFields } from "../../team/useEditing";
import {
  byOnset,
  DEFAULT_EVENT_LABEL,
  draftOf,
  eventForNewMoi,
  type Marker,
  markerStep,
  type MoiFields,
  newDraft,
  readDraft,
  type VocabularyLabels,
  withEvent,
} from "./labels";

export interface AnnotationsContext {
  api: ApiClient;
  recordingId: number;
  events: EventPublic[];
  mois: MoiPublic[];
  updateEvents: RecordingDataState["updateEvents"];
  updateMois: RecordingDataState["updateMois"];
  /** Length of the recording (s): a new event ends there. */
  duration: number;
  /** False for roles that may only look (the back-end refuses their edits too). */
  enabled: boolean;
  send: VersionedEdit["send"];
  report: (err: unknown, action: string) => void;
  notify: (kind: ToastKind, message: string) => void;
  labels: VocabularyLabels;
  /** Each saved edit of the user's, for undo / redo (team/useEditing). */
  onEdit?: (edit: Edit) => void;
}

export function useAnnotations(ctx: AnnotationsContext) {
  const { api, events, mois, updateEvents, updateMois, duration, enabled, send, report, notify, labels } = ctx;
  const onEdit = ctx.onEdit ?? (() => undefined);
  const [eventId, setEventId] = useState<number | null>(null);
  const [moiId, setMoiId] = useState<number | null>(null);
  const [draft, setDraft] = useState<MoiDraft | null>(null);
  const event = events.find((e) => e.id === eventId) ?? null;

  // --- events ----------------------------------------------------------------------------------
  const replaceEvent = (ev: EventPublic) => updateEvents((all) => withEvent(all, ev));

  /** After a load: keep the selected event, or select the first one. */
  const selectFirstEvent = useCallback((loaded: EventPublic[]) => setEventId((id) => id ?? loaded[0]?.id ?? null), []);

  const createEvent = async (t0: number, t1: number): Promise<EventPublic | null> => {
    try {
      const ev = await unwrap(
        api.POST("/api/recordings/{recording_id}/events", {
          params: { path: { recording_id: ctx.recordingId } },
          body: { t0, t1, label: DEFAULT_EVENT_LABEL },
        }),
      );
      updateEvents((all) => byOnset([...all, ev]));
      setEventId(ev.id);
      onEdit({ kind: "create", target: "event", id: ev.id, fields: eventFields(ev), parentId: null, label: `event ${ev.id} created` });
      notify("success", `Seizure event created: ${formatTime(t0)} – ${formatTime(t1)}`);
      return ev;
    } catch (err) {
      report(err, "Creating the seizure event");
      return null;
    }
  };

  const patchEvent = async (ev: EventPublic, changes: Omit<EventUpdate, "version">, what: string): Promise<void> => {
    await send(api.PATCH("/api/events/{event_id}", { params: { path: { event_id: ev.id } }, body: { ...changes, version: ev.version } }), {
      action: what,
      what: `Seizure event ${ev.id}`,
      mine: { ...changes },
      onSaved: (saved) => {
        replaceEvent(saved);
        onEdit({ kind: "patch", target: "event", id: ev.id, before: pick(ev, Object.keys(changes)), after: pick(saved, Object.keys(changes)), label: what });
        notify("success", what);
      },
      onReload: (current) => {
        replaceEvent(current);
        notify("info", `Reloaded event ${ev.id} from the server`);
      },
      onOverwrite: (current) => void patchEvent(current, changes, what),
    });
  };

  /** Set `marker` at `t` (s, a frame start) on the selected event (the onset may create it). */
  const setMarker = async (marker: Marker, t: number): Promise<void> => {
    if (!enabled) return;
    const step = markerStep(marker, event, t, duration);
    if (step.kind === "refuse") notify("error", step.message);
    else if (step.kind === "create") await createEvent(step.t0, step.t1);
    else if (event !== null) await patchEvent(event, step.changes, step.message);
  };

  const deleteEvent = async (ev: EventPublic): Promise<void> => {
    await send(api.DELETE("/api/events/{event_id}", { params: { path: { event_id: ev.id }, query: { version: ev.version } } }), {
      action: "Deleting the event",
      what: `Seizure event ${ev.id}`,
      mine: { deleted: true },
      onSaved: () => {
        for (const m of mois.filter((x) => x.event_id === ev.id)) {
          onEdit({ kind: "delete", target: "moi", id: m.id, fields: moiFields(m), parentId: ev.id, label: `MOI ${m.id} deleted` });
        }
        onEdit({ kind: "delete", target: "event", id: ev.id, fields: eventFields(ev), parentId: null, label: `event ${ev.id} deleted` });
        updateEvents((all) => all.filter((e) => e.id !== ev.id));
        updateMois((all) => all.filter((m) => m.event_id !== ev.id));
        setEventId(null);
        notify("success", `Seizure event ${ev.id} deleted`);
      },
      onReload: replaceEvent,
      onOverwrite: (current) => void deleteEvent(current),
    });
  };

  // --- MOIs ------------------------------------------------------------------------------------
  const replaceMoi = (m: MoiPublic) => updateMois((all) => all.map((x) => (x.id === m.id ? m : x)));

  /** Open the form for a new MOI from `start` (s). */
  const newMoi = (start: number) => {
    if (!enabled) return;
    setMoiId(null);
    setDraft((previous) => newDraft(previous, start, duration));
  };

  /** Select `moi` (and its event) and open it in the form. */
  const selectMoi = (moi: MoiPublic) => {
    setMoiId(moi.id);
    setEventId(moi.event_id);
    setDraft(draftOf(moi));
  };

  /** Put `t` (s) into the form's start or end. */
  const setDraftBound = (bound: "start" | "end", t: number) => {
    if (draft) setDraft({ ...draft, [bound]: formatTime(t) });
  };

  const addMoi = async (fields: MoiFields): Promise<void> => {
    let target = eventForNewMoi(event, events, fields.start, fields.end);
    if (target === "create") target = await createEvent(0, duration);
    if (target === null) {
      notify("error", "Select the seizure event this MOI belongs to");
      return;
    }
    try {
      const m = await unwrap(api.POST("/api/events/{event_id}/mois", { params: { path: { event_id: target.id } }, body: fields }));
      updateMois((all) => [...all, m]);
      onEdit({ kind: "create", target: "moi", id: m.id, fields: moiFields(m), parentId: m.event_id, label: `MOI ${m.id} added` });
      setMoiId(m.id);
      setDraft(null);
      notify("success", `MOI added: ${labels.term(m.term)} (${labels.region(m.region)}) ${formatTime(m.start)} – ${formatTime(m.end)}`);
    } catch (err) {
      report(err, "Adding the MOI");
    }
  };

  /** Save `fields` over `m`, based on version `base` (the form's: a reload since it was filled must not hide a colleague's save). */
  const patchMoi = async (m: MoiPublic, fields: MoiFields, base: number = m.version): Promise<void> => {
    await send(api.PATCH("/api/mois/{moi_id}", { params: { path: { moi_id: m.id } }, body: { ...fields, version: base } }), {
      action: "Saving the MOI",
      what: `MOI ${m.id}`,
      mine: { ...fields },
      onSaved: (saved) => {
        replaceMoi(saved);
        onEdit({ kind: "patch", target: "moi", id: m.id, before: pick(m, Object.keys(fields)), after: pick(saved, Object.keys(fields)), label: `MOI ${m.id} saved` });
        setDraft(null);
        notify("success", `MOI saved: ${labels.term(saved.term)} ${formatTime(saved.start)} – ${formatTime(saved.end)}`);
      },
      onReload: (current) => {
        replaceMoi(current);
        setDraft(draftOf(current));
        notify("info", `Reloaded MOI ${m.id} from the server`);
      },
      onOverwrite: (current) => void patchMoi(current, fields),
    });
  };

  /** Save the form: a new MOI, or the changes to the one it shows. */
  const saveMoi = async (d: MoiDraft): Promise<void> => {
    const read = readDraft(d);
    if (!read.ok) {
      notify("error", read.message);
      return;
    }
    if (d.id === null) return addMoi(read.moi);
    const existing = mois.find((m) => m.id === d.id);
    if (existing) await patchMoi(existing, read.moi, d.version ?? existing.version);
  };

  const deleteMoi = async (m: MoiPublic): Promise<void> => {
    await send(api.DELETE("/api/mois/{moi_id}", { params: { path: { moi_id: m.id }, query: { version: m.version } } }), {
      action: "Deleting the MOI",
      what: `MOI ${m.id}`,
      mine: { deleted: true },
      onSaved: () => {
        onEdit({ kind: "delete", target: "moi", id: m.id, fields: moiFields(m), parentId: m.event_id, label: `MOI ${m.id} deleted` });
        updateMois((all) => all.filter((x) => x.id !== m.id));
        setDraft((d) => (d?.id === m.id ? null : d));
        notify("success", `MOI deleted: ${labels.term(m.term)} at ${formatTime(m.start)}`);
      },
      onReload: replaceMoi,
      onOverwrite: (current) => void deleteMoi(current),
    });
  };

  const selectedMoi = mois.find((m) => m.id === moiId) ?? null;

  return {
    event,
    eventId,
    selectEvent: setEventId,
    selectFirstEvent,
    setMarker,
    patchEvent,
    deleteEvent,
    moiId,
    selectedMoi,
    draft,
    setDraft,
    newMoi,
    selectMoi,
    setDraftBound,
    saveMoi,
    deleteMoi,
  };
}

export type Annotations = ReturnType<typeof useAnnotations>;
