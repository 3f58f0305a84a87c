/**
 * The live bedside page (`/monitor.html`): a grid of the beds `ictal monitor` follows, each
 * with its class probabilities as a scrolling trace over the last two minutes, the spans it
 * could not assess, and its alarm state. An alarm can be acknowledged, turned into a draft
 * seizure event on the recording the bed is seen in (for a clinician to confirm or reject on
 * the labelling timeline), confirmed as a seizure or rejected as a false alarm (who and when
 * are recorded and audited); the bed's recordings are assigned here. Polls every second.
 */
import { useCallback, useEffect, useState } from "react";
import { ApiError } from "../api/errors";
import type { UserPublic } from "../api/types";
import { useToast } from "../components/Toasts";
import { canAnnotate } from "../screens/common";
import { answerAlarm, assignRecording, type Decision, fetchBeds, me, type MonitorAlarm, type MonitorBed } from "./api";
import { classPoints, clock, notAssessed } from "./trace";

const SECONDS = 120;
const WIDTH = 600;
const HEIGHT = 100;
const COLOURS = ["#1f5fa8", "#b3261e", "#1e7a46", "#8a4fbf", "#9a6700", "#17becf"];
const DECISIONS: [Decision, string][] = [
  ["acknowledged", "Acknowledge"],
  ["draft", "Draft event"],
  ["confirmed", "Confirm seizure"],
  ["rejected", "Reject (false alarm)"],
];

/** "draft event 12 on recording 3 (0:02 – 0:10)", a link to its labelling screen. */
function EventLink({ alarm }: { alarm: MonitorAlarm }) {
  const ev = alarm.event;
  if (!ev) return null;
  return (
    <a href={`/#/recordings/${ev.recording_id}`} data-testid={`event-of-${alarm.id}`}>
      {ev.review ?? "event"} event {ev.id} on recording {ev.recording_id} ({clock(ev.t0)} – {clock(ev.t1)})
    </a>
  );
}

/** The recordings the bed is seen in, and a form to assign one. */
function BedRecordings({ bed, canAssign, onAssign }: { bed: MonitorBed; canAssign: boolean; onAssign: (recordingId: number, offset: number) => void }) {
  const recs = bed.recordings ?? [];
  return (
    <div className="bed-recordings" aria-label={`Recordings of bed ${bed.name}`}>
      <span className="state">
        {recs.length === 0
          ? "Seen in no recording yet: alarms cannot become events."
          : `Seen in ${recs.map((r) => `recording ${r.recording_id} (patient ${r.patient_code}, from bed ${clock(r.offset)})`).join(", ")}`}
      </span>
      {canAssign && (
        <form
          className="row"
          aria-label={`Assign a recording to bed ${bed.name}`}
          onSubmit={(e) => {
            e.preventDefault();
            const form = new FormData(e.currentTarget);
            const id = Number(form.get("recording"));
            const offset = Number(form.get("offset") || 0);
            if (Number.isInteger(id) && id > 0 && Number.isFinite(offset)) onAssign(id, offset);
          }}
        >
          <label>
            Recording
            <input name="recording" inputMode="numeric" size={5} required />
          </label>
          <label>
            from bed second
            <input name="offset" inputMode="decimal" size={6} defaultValue="0" />
          </label>
          <button type="submit" className="button-quiet">
            Assign
          </button>
        </form>
      )}
    </div>
  );
}

function BedCard({ bed, canAnswer, onAnswer, onAssign }: { bed: MonitorBed; canAnswer: boolean; onAnswer: (a: MonitorAlarm, d: Decision) => void; onAssign: (recordingId: number, offset: number) => void }) {
  const open = bed.alarms.filter((a) => a.cleared_t == null || !a.acks?.length);
  const last = bed.windows[bed.windows.length - 1];
  const current = last?.state === "scored" && last.probs ? bed.labels.map((l, i) => `${l} ${Math.round(100 * (last.probs![i] ?? 0))} %`).join(", ") : (last?.reason ?? "waiting for windows");
  return (
    <section className={`bed${bed.alarm_active ? " alarm" : ""}`} aria-label={`Bed ${bed.name}`} data-testid={`bed-${bed.name}`}>
      <header>
        <h2>{bed.name}</h2>
        <span className="state" data-testid="bed-state">
          {bed.alarm_active ? "ALARM" : "monitoring"} · {last ? clock(last.t_stop) : "--:--"} · {current}
        </span>
      </header>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label={`Class probabilities of bed ${bed.name}, last ${SECONDS} s`}>
        {notAssessed(bed.windows, SECONDS, WIDTH).map((s, i) => (
          <rect key={i} x={s.x0} y={0} width={Math.max(1, s.x1 - s.x0)} height={HEIGHT} fill="#999" opacity={0.3}>
            <title>{s.reason}</title>
          </rect>
        ))}
        {bed.labels.map((label, i) => (
          <polyline key={label} points={classPoints(bed.windows, i, SECONDS, WIDTH, HEIGHT)} fill="none" stroke={COLOURS[i % COLOURS.length]} strokeWidth={1.5} vectorEffect="non-scaling-stroke" />
        ))}
      </svg>
      <div className="legend" aria-label="Classes">
        {bed.labels.map((label, i) => (
          <span key={label}>
            <i style={{ background: COLOURS[i % COLOURS.length] }} />
            {label}
          </span>
        ))}
        <span>
          <i style={{ background: "#999", opacity: 0.5 }} />
          not assessable ({bed.not_assessable_share == null ? "-" : `${Math.round(100 * bed.not_assessable_share)} %`}
          {Object.entries(bed.not_assessable_reasons ?? {})
            .map(([kind, share]) => `; ${kind} ${Math.round(100 * share)} %`)
            .join("")}
          )
        </span>
      </div>
      {open.map((a) => (
        <div className="alarm-banner" role="alert" key={a.id} data-testid={`alarm-${a.id}`}>
          <strong>
            {a.cleared_t == null ? "Alarm" : "Cleared alarm"} {a.label}
          </strong>
          <span>
            at {clock(a.raised_t)} ({a.reason})
          </span>
          <EventLink alarm={a} />
          {canAnswer && DECISIONS.filter(([d]) => d !== "draft" || !a.event).map(([d, text]) => (
            <button type="button" key={d} className={d === "rejected" ? "button-danger" : d === "acknowledged" ? "button-quiet" : undefined} onClick={() => onAnswer(a, d)}>
              {text}
            </button>
          ))}
        </div>
      ))}
      <ul className="alarms" aria-label="Alarm history">
        {bed.alarms
          .filter((a) => a.acks?.length)
          .slice(-5)
          .map((a) => (
            <li key={a.id}>
              {a.id} {a.label} at {clock(a.raised_t)}: {a.acks?.map((k) => `${k.decision} by ${k.user} (${k.at})`).join("; ")} <EventLink alarm={a} />
            </li>
          ))}
      </ul>
      {bed.last_note && <p className="state">{bed.last_note}</p>}
      <BedRecordings bed={bed} canAssign={canAnswer} onAssign={onAssign} />
    </section>
  );
}

export function MonitorPage() {
  const { notify } = useToast();
  const [user, setUser] = useState<UserPublic | null | undefined>(undefined);
  const [beds, setBeds] = useState<MonitorBed[] | null>(null);

  useEffect(() => {
    me()
      .then(setUser)
      .catch(() => setUser(null));
  }, []);

  const refresh = useCallback(async () => {
    try {
      setBeds(await fetchBeds(SECONDS));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setUser(null);
    }
  }, []);

  useEffect(() => {
    if (!user) return undefined;
    void refresh();
    const timer = window.setInterval(() => void refresh(), 1000);
    return () => window.clearInterval(timer);
  }, [user, refresh]);

  const onAnswer = async (bed: MonitorBed, alarm: MonitorAlarm, decision: Decision) => {
    try {
      await answerAlarm(bed.name, alarm.id, decision);
      notify("success", `${alarm.id}: ${decision}`);
      await refresh();
    } catch (err) {
      notify("error", `Answering ${alarm.id} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  const onAssign = async (bed: MonitorBed, recordingId: number, offset: number) => {
    try {
      await assignRecording(bed.name, recordingId, offset);
      notify("success", `Bed ${bed.name}: seen in recording ${recordingId} from bed second ${offset}`);
      await refresh();
    } catch (err) {
      notify("error", `Assigning recording ${recordingId} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  if (user === undefined) return <p className="empty">Loading…</p>;
  if (user === null) {
    return (
      <main>
        <h1>Live beds</h1>
        <p>
          Please <a href="/">log in</a> first, then come back to this page.
        </p>
      </main>
    );
  }
  const canAnswer = canAnnotate(user);
  return (
    <>
      <div className="menustrip">
        <span className="brand">ictal</span>
        <a className="button button-quiet" href="/">
          Recordings
        </a>
        <span className="spacer" />
        <span className="user-label">
          {user.username} ({user.role})
        </span>
      </div>
      <main>
        <h1>Live beds</h1>
        {beds === null ? (
          <p className="muted">Loading…</p>
        ) : beds.length === 0 ? (
          <p className="muted">No bed is monitored: run `ictal monitor run --out $ICTAL_DATA_DIR/monitor ...`.</p>
        ) : (
          <div className="beds">
            {beds.map((b) => (
              <BedCard key={b.name} bed={b} canAnswer={canAnswer} onAnswer={(a, d) => void onAnswer(b, a, d)} onAssign={(id, offset) => void onAssign(b, id, offset)} />
            ))}
          </div>
        )}
      </main>
    </>
  );
}
