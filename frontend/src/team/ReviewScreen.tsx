/**
 * The reviewer's consensus screen (`#/recordings/<id>/review`): every annotator's events side
 * by side with their MOIs, the agreement between them, and the consensus layer. "Take into
 * consensus" copies an event with the MOIs ticked (of any layer) into the consensus layer,
 * which the export gives by default; a consensus event can be removed again.
 */
import { useCallback, useEffect, useState } from "react";
import { unwrap } from "../api/client";
import type { EventPublic, MoiPublic, RecordingPublic } from "../api/types";
import { MenuStrip } from "../components/MenuStrip";
import { useToast } from "../components/Toasts";
import { useLiveRecording } from "../hooks/useLiveRecording";
import { formatTime } from "../lib/time";
import { useApiErrors } from "../lib/useApiErrors";
import type { ScreenProps } from "../screens/common";
import { CONSENSUS, layerOf, layersOf } from "./layers";
import { AgreementPanel } from "./TeamPanels";

interface ReviewScreenProps extends ScreenProps {
  recordingId: number;
}

interface Loaded {
  recording: RecordingPublic;
  events: EventPublic[];
  mois: MoiPublic[];
}

export function ReviewScreen({ api, user, recordingId, onLogout, onSessionLost, navigate }: ReviewScreenProps) {
  const { notify } = useToast();
  const report = useApiErrors(onSessionLost);
  const [data, setData] = useState<Loaded | null>(null);
  const [ticked, setTicked] = useState<ReadonlySet<number>>(new Set());

  const load = useCallback(async () => {
    const path = { recording_id: recordingId };
    try {
      const [recording, events, mois] = await Promise.all([
        unwrap(api.GET("/api/recordings/{recording_id}", { params: { path } })),
        unwrap(api.GET("/api/recordings/{recording_id}/events", { params: { path } })),
        unwrap(api.GET("/api/recordings/{recording_id}/mois", { params: { path } })),
      ]);
      setData({ recording, events, mois });
    } catch (err) {
      report(err, "Loading the recording");
    }
  }, [api, recordingId, report]);
  useEffect(() => {
    void load();
  }, [load]);
  useLiveRecording(recordingId, () => void load());

  const adjudicate = async (ev: EventPublic) => {
    const own = (data?.mois ?? []).filter((m) => m.event_id === ev.id).map((m) => m.id);
    const chosen = [...ticked];
    try {
      const made = await unwrap(
        api.POST("/api/recordings/{recording_id}/consensus", {
          params: { path: { recording_id: recordingId } },
          body: { event_id: ev.id, moi_ids: chosen.length > 0 ? chosen : own },
        }),
      );
      setTicked(new Set());
      notify("success", `Consensus event ${made.id} taken from ${ev.author ?? "?"}'s event ${ev.id}`);
      await load();
    } catch (err) {
      report(err, "Adjudicating");
    }
  };
  const remove = async (ev: EventPublic) => {
    try {
      await unwrap(api.DELETE("/api/events/{event_id}", { params: { path: { event_id: ev.id }, query: { version: ev.version } } }));
      notify("success", `Consensus event ${ev.id} removed`);
      await load();
    } catch (err) {
      report(err, "Removing the consensus event");
    }
  };

  const menus = [
    {
      label: "File",
      items: [
        { label: "Back to the recording", onSelect: () => navigate({ screen: "labelling", recordingId }) },
        { label: "Recordings", onSelect: () => navigate({ screen: "landing" }) },
        { label: "Log out", onSelect: onLogout },
      ],
    },
  ];
  const reviewer = user.role === "reviewer";
  const layers = data ? layersOf(data.events, user.username) : [];
  const columns = [...layers.filter((l) => l !== CONSENSUS), CONSENSUS];
  return (
    <>
      <MenuStrip menus={menus} userLabel={`${user.username} (${user.role})`} onLogout={onLogout} />
      <main>
        <div className="row" style={{ justifyContent: "space-between", alignItems: "center" }}>
          <h1>Consensus of recording {data ? <span className="mono">{data.recording.path}</span> : recordingId}</h1>
          <button type="button" className="button-quiet" onClick={() => navigate({ screen: "labelling", recordingId })}>
            Back to the recording
          </button>
        </div>
        {!reviewer && <p className="muted">Only reviewers adjudicate; you see the layers read-only.</p>}
        <AgreementPanel api={api} recordingId={recordingId} stamp={data ? data.events.map((e) => `${e.id}.${e.version}`).join() : ""} report={report} />
        {data === null ? (
          <p className="empty">Loading…</p>
        ) : (
          <div className="review-columns" style={{ display: "grid", gridTemplateColumns: `repeat(${columns.length}, minmax(14rem, 1fr))`, gap: "0.75rem" }}>
            {columns.map((layer) => {
              const events = data.events.filter((e) => layerOf(e) === layer);
              return (
                <section key={layer} className="panel" aria-label={`Layer ${layer}`}>
                  <h3>{layer === CONSENSUS ? "Consensus" : layer}</h3>
                  {events.length === 0 && <p className="muted">{layer === CONSENSUS ? "Nothing adjudicated yet." : "No events."}</p>}
                  {events.map((ev) => (
                    <div key={ev.id} className="review-event" aria-label={`Event ${ev.id}`}>
                      <strong>
                        {ev.label}: {formatTime(ev.t0)} – {formatTime(ev.t1)}
                        {ev.tG !== null ? ` (tG ${formatTime(ev.tG)})` : ""}
                      </strong>
                      <ul>
                        {data.mois
                          .filter((m) => m.event_id === ev.id)
                          .map((m) => (
                            <li key={m.id}>
                              <label className="inline">
                                {layer !== CONSENSUS && reviewer && (
                                  <input
                                    type="checkbox"
                                    aria-label={`Use MOI ${m.id}`}
                                    checked={ticked.has(m.id)}
                                    onChange={() => setTicked((t) => (t.has(m.id) ? new Set([...t].filter((x) => x !== m.id)) : new Set([...t, m.id])))}
                                  />
                                )}
                                {m.term} ({m.region}) {formatTime(m.start)} – {formatTime(m.end)}
                              </label>
                            </li>
                          ))}
                      </ul>
                      {reviewer && layer !== CONSENSUS && (
                        <button type="button" aria-label={`Take event ${ev.id} into consensus`} onClick={() => void adjudicate(ev)}>
                          Take into consensus
                        </button>
                      )}
                      {reviewer && layer === CONSENSUS && (
                        <button type="button" className="button-danger" aria-label={`Remove consensus event ${ev.id}`} onClick={() => void remove(ev)}>
                          Remove
                        </button>
                      )}
                    </div>
                  ))}
                </section>
              );
            })}
          </div>
        )}
        <p className="muted">Tick MOIs of any layer to take them with an event (none ticked: the event's own MOIs).</p>
      </main>
    </>
  );
}
