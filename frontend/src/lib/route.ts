/**
 * Hash routes of the single-page app: `#/` (recordings), `#/recordings/<id>` (labelling),
 * `#/recordings/<id>/review` (a reviewer's consensus screen) and `#/admin` (admin screens).
 */

export type Route =
  | { screen: "landing" }
  | { screen: "labelling"; recordingId: number }
  | { screen: "review"; recordingId: number }
  | { screen: "admin" };

/** Parse `location.hash`; anything unknown is the landing screen. */
export function parseRoute(hash: string): Route {
  const match = /^#\/recordings\/(\d+)(\/review)?\/?$/.exec(hash);
  if (match) return { screen: match[2] ? "review" : "labelling", recordingId: Number(match[1]) };
  if (/^#\/admin\/?$/.test(hash)) return { screen: "admin" };
  return { screen: "landing" };
}

/** The hash for a route (inverse of `parseRoute`). */
export function routeHash(route: Route): string {
  switch (route.screen) {
    case "labelling":
      return `#/recordings/${route.recordingId}`;
    case "review":
      return `#/recordings/${route.recordingId}/review`;
    case "admin":
      return "#/admin";
    default:
      return "#/";
  }
}
