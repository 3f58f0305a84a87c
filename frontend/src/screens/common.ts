import type { ApiClient } from "../api/client";
import type { UserPublic } from "../api/types";
import type { Route } from "../lib/route";

/** What App passes to every screen once somebody is logged in. */
export interface ScreenProps {
  api: ApiClient;
  user: UserPublic;
  onLogout: () => void;
  onSessionLost: () => void;
  navigate: (route: Route) => void;
}

/** Roles that may create and edit labels and patients (the back-end's `Annotator`). */
export function canAnnotate(user: UserPublic): boolean {
  return user.role === "clinician" || user.role === "reviewer" || user.role === "admin";
}
