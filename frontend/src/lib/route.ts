/** Hash routes of the single-page app: `#/` (recordings) and `#/recordings/<id>` (labelling). */

export type Route = { screen: "landing" } | { screen: "labelling"; recordingId: number };

/** Parse `location.hash`; anything unknown is the landing screen. */
export function parseRoute(hash: string): Route {
  const match = /^#\/recordings\/(\d+)\/?$/.exec(hash);
  if (match) return { screen: "labelling", recordingId: Number(match[1]) };
  return { screen: "landing" };
}

/** The hash for a route (inverse of `parseRoute`). */
export function routeHash(route: Route): string {
  return route.screen === "labelling" ? `#/recordings/${route.recordingId}` : "#/";
}
