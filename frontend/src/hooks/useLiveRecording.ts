/**
 * Live updates of an open recording (WebSocket `/api/recordings/{id}/live`): who else has it
 * open, and a callback when a colleague's save changed its events, MOIs or model runs.
 * Reconnects after a drop (2 s), closes when the screen unmounts.
 */
import { useEffect, useRef, useState } from "react";

export interface LiveState {
  /** Usernames of everyone viewing the recording (the caller included). */
  viewers: string[];
  connected: boolean;
}

export function liveUrl(recordingId: number, location: Location = window.location): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/api/recordings/${recordingId}/live`;
}

export function useLiveRecording(recordingId: number, onChanged: () => void): LiveState {
  const [state, setState] = useState<LiveState>({ viewers: [], connected: false });
  const changed = useRef(onChanged);
  changed.current = onChanged;

  useEffect(() => {
    let socket: WebSocket | null = null;
    let retry: number | undefined;
    let closed = false;
    const open = () => {
      socket = new WebSocket(liveUrl(recordingId));
      socket.onopen = () => setState((s) => ({ ...s, connected: true }));
      socket.onmessage = (msg: MessageEvent<string>) => {
        const data = JSON.parse(msg.data) as { type: string; viewers?: string[] };
        if (data.type === "presence") setState({ viewers: data.viewers ?? [], connected: true });
        else if (data.type === "changed") changed.current();
      };
      socket.onclose = () => {
        setState((s) => ({ ...s, connected: false }));
        if (!closed) retry = window.setTimeout(open, 2000);
      };
    };
    open();
    return () => {
      closed = true;
      window.clearTimeout(retry);
      socket?.close();
    };
  }, [recordingId]);
  return state;
}

/** "dr-b is viewing", "dr-b and dr-c are viewing" (the caller left out), or "". */
export function presenceText(viewers: string[], me: string): string {
  const others = viewers.filter((v) => v !== me);
  if (others.length === 0) return "";
  if (others.length === 1) return `${others[0]} is viewing`;
  return `${others.slice(0, -1).join(", ")} and ${others[others.length - 1]} are viewing`;
}
