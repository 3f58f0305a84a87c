/**
 * The application shell: who is logged in, which screen is shown (hash routes), and the one
 * API client every screen uses.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { makeClient, unwrap } from "./api/client";
import { ApiError, errorMessage } from "./api/errors";
import type { SessionPublic } from "./api/types";
import { useToast } from "./components/Toasts";
import { parseRoute, type Route, routeHash } from "./lib/route";
import { LabellingScreen } from "./screens/LabellingScreen";
import { LandingScreen } from "./screens/LandingScreen";
import { LoginScreen } from "./screens/LoginScreen";
import { AdminScreen } from "./team/AdminScreen";
import { ReviewScreen } from "./team/ReviewScreen";

export function App() {
  const { notify } = useToast();
  const [session, setSession] = useState<SessionPublic | null>(null);
  const [checking, setChecking] = useState(true);
  const [route, setRoute] = useState<Route>(() => parseRoute(window.location.hash));
  const csrf = useRef("");
  const api = useMemo(() => makeClient(() => csrf.current), []);

  const accept = useCallback((next: SessionPublic | null) => {
    csrf.current = next?.csrf_token ?? "";
    setSession(next);
  }, []);

  useEffect(() => {
    unwrap(api.GET("/api/auth/me"))
      .then(accept)
      .catch((err: unknown) => {
        if (!(err instanceof ApiError && err.status === 401)) notify("error", errorMessage(err));
        accept(null);
      })
      .finally(() => setChecking(false));
  }, [api, accept, notify]);

  useEffect(() => {
    const onHash = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);

  const navigate = useCallback((next: Route) => {
    window.location.hash = routeHash(next);
  }, []);

  const logout = useCallback(async () => {
    try {
      await unwrap(api.POST("/api/auth/logout"));
      notify("info", "Logged out");
    } catch (err) {
      notify("error", `Log-out failed: ${errorMessage(err)}`);
    }
    accept(null);
  }, [api, accept, notify]);

  /** A 401 anywhere means the session ended: go back to the log-in page. */
  const onSessionLost = useCallback(() => {
    notify("error", "Your session has ended: please log in again");
    accept(null);
  }, [accept, notify]);

  if (checking) return <p className="empty">Loading…</p>;
  if (session === null) {
    return (
      <LoginScreen
        api={api}
        onLogin={(s) => {
          accept(s);
          notify("success", `Welcome, ${s.user.username}`);
        }}
      />
    );
  }
  const common = { api, user: session.user, onLogout: logout, onSessionLost, navigate };
  if (route.screen === "review") return <ReviewScreen key={`review-${route.recordingId}`} recordingId={route.recordingId} {...common} />;
  if (route.screen === "admin") return <AdminScreen {...common} />;
  return route.screen === "labelling" ? (
    <LabellingScreen key={route.recordingId} recordingId={route.recordingId} {...common} />
  ) : (
    <LandingScreen {...common} />
  );
}
