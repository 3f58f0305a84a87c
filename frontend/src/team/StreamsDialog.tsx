/**
 * The multi-stream step of the landing screen: the streams of one recording besides its main
 * video (depth, RGB, infrared, joints), attaching another from server storage (same frame rate
 * and length, or an explicit offset in frames; the server checks and names what differs) and
 * removing one. The export writes every stream.
 */
import { useCallback, useEffect, useState } from "react";
import { type ApiClient, unwrap } from "../api/client";
import type { RecordingPublic } from "../api/types";
import type { components } from "../api/schema";
import { Modal } from "../components/Modal";

type Stream = components["schemas"]["StreamPublic"];
type Kind = components["schemas"]["StreamAttach"]["kind"];
const KINDS: Kind[] = ["depth", "rgb", "ir", "joints"] as Kind[];

interface StreamsDialogProps {
  api: ApiClient;
  recording: RecordingPublic;
  mayEdit: boolean;
  onClose: () => void;
  onError: (err: unknown, action: string) => void;
  notify: (kind: "success" | "info" | "error", message: string) => void;
}

export function StreamsDialog({ api, recording, mayEdit, onClose, onError, notify }: StreamsDialogProps) {
  const [streams, setStreams] = useState<Stream[] | null>(null);
  const path = { recording_id: recording.id };
  const load = useCallback(async () => {
    try {
      setStreams(await unwrap(api.GET("/api/recordings/{recording_id}/streams", { params: { path: { recording_id: recording.id } } })));
    } catch (err) {
      onError(err, "Loading the streams");
    }
  }, [api, recording.id, onError]);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <Modal title={`Streams of ${recording.path}`} open onClose={onClose} className="modal-wide">
      <table aria-label="Streams">
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">File</th>
            <th scope="col">Frames</th>
            <th scope="col">Offset</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <td>{recording.kind} (main)</td>
            <td className="mono">{recording.path}</td>
            <td>
              {recording.n_frames} at {recording.fps} fps
            </td>
            <td>0</td>
            <td />
          </tr>
          {(streams ?? []).map((s) => (
            <tr key={s.id}>
              <td>{s.kind}</td>
              <td className="mono">{s.path}</td>
              <td>
                {s.n_frames} at {s.fps} fps
              </td>
              <td>{s.offset_frames}</td>
              <td>
                {mayEdit && (
                  <button
                    type="button"
                    className="button-quiet"
                    aria-label={`Remove stream ${s.path}`}
                    onClick={() =>
                      void unwrap(api.DELETE("/api/recordings/{recording_id}/streams/{stream_id}", { params: { path: { ...path, stream_id: s.id } } }))
                        .then(() => {
                          notify("success", `Stream ${s.path} removed`);
                          return load();
                        })
                        .catch((err: unknown) => onError(err, "Removing the stream"))
                    }
                  >
                    Remove
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {mayEdit && (
        <form
          className="row"
          aria-label="Attach a stream"
          style={{ flexWrap: "wrap", alignItems: "flex-end" }}
          onSubmit={(e) => {
            e.preventDefault();
            const form = e.currentTarget;
            const f = new FormData(form);
            const offset = String(f.get("offset") ?? "").trim();
            const body = { path: String(f.get("path") ?? "").trim(), kind: String(f.get("kind")) as Kind, offset_frames: offset === "" ? null : Number(offset) };
            void unwrap(api.POST("/api/recordings/{recording_id}/streams", { params: { path }, body }))
              .then((s) => {
                notify("success", `${s.kind} stream ${s.path} attached (${s.n_frames} frames)`);
                form.reset();
                return load();
              })
              .catch((err: unknown) => onError(err, "Attaching the stream"));
          }}
        >
          <label>
            Stream file (in server storage)
            <input name="path" required placeholder="depth/P01.mkv" size={28} />
          </label>
          <label>
            Stream kind
            <select name="kind" defaultValue="depth">
              {KINDS.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </label>
          <label>
            Offset (frames)
            <input name="offset" type="number" step={1} placeholder="same length" size={8} />
          </label>
          <button type="submit">Attach stream</button>
        </form>
      )}
      <div className="row">
        <button type="button" className="button-quiet" onClick={onClose}>
          Close
        </button>
      </div>
    </Modal>
  );
}
