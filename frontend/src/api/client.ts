/**
 * The typed API client: `openapi-fetch` over the `paths` generated from the back-end's
 * OpenAPI schema (`npm run generate-client`, see scripts/build-frontend.sh), plus
 *
 * - the CSRF header: every state-changing request echoes the session's CSRF token in
 *   `X-CSRF-Token` (double-submit cookie, docs/api.md "Authentication");
 * - `unwrap`, which turns an error answer into an `ApiError`; versioned edits use
 *   `sendVersioned` (versioned.ts) instead, which returns a 409's row with its own type.
 */
import createClient, { type Middleware } from "openapi-fetch";
import { apiErrorFrom } from "./errors";
import type { paths } from "./schema";
import { type FetchResult, settle } from "./versioned";

export const CSRF_HEADER = "X-CSRF-Token";
export const CSRF_COOKIE = "ictal_csrf";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export type ApiClient = ReturnType<typeof createClient<paths>>;

/** The value of cookie `name` in a `document.cookie` string, or "" when absent. */
export function readCookie(cookies: string, name: string): string {
  for (const part of cookies.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return "";
}

/**
 * A client for the API served at `baseUrl` ("" = same origin). `csrfToken` is asked for on
 * every state-changing request; when it returns "" the `ictal_csrf` cookie is used instead.
 */
export function makeClient(csrfToken: () => string, baseUrl = ""): ApiClient {
  const client = createClient<paths>({ baseUrl, credentials: "same-origin" });
  const csrf: Middleware = {
    onRequest({ request }) {
      if (!SAFE_METHODS.has(request.method)) {
        const token = csrfToken() || readCookie(typeof document === "undefined" ? "" : document.cookie, CSRF_COOKIE);
        if (token) request.headers.set(CSRF_HEADER, token);
      }
      return request;
    },
  };
  client.use(csrf);
  return client;
}

/** Await an openapi-fetch call; return its data or throw an `ApiError`. */
export async function unwrap<T, E>(call: Promise<FetchResult<T, E>>): Promise<T> {
  const result = await settle(call);
  if (!result.response.ok) throw apiErrorFrom(result.response.status, result.error);
  return result.data as T;
}
