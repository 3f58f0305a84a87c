/** The audit viewer's filters as the query of `GET /api/audit` (pure, tested). */

export interface AuditFilter {
  username: string;
  action: string;
  entity: string;
  /** Local date-times as `<input type="datetime-local">` gives them ("" = no bound). */
  since: string;
  until: string;
}

export const NO_AUDIT_FILTER: AuditFilter = { username: "", action: "", entity: "", since: "", until: "" };

export interface AuditQuery {
  limit: number;
  username?: string;
  action?: string;
  entity?: string;
  since?: string;
  until?: string;
}

/** The query for `filter` (empty fields left out; times as UTC ISO 8601). */
export function auditQuery(filter: AuditFilter, limit = 200): AuditQuery {
  const q: AuditQuery = { limit };
  for (const key of ["username", "action", "entity"] as const) {
    const v = filter[key].trim();
    if (v) q[key] = v;
  }
  for (const key of ["since", "until"] as const) {
    if (filter[key]) {
      const d = new Date(filter[key]);
      if (!Number.isNaN(d.getTime())) q[key] = d.toISOString();
    }
  }
  return q;
}
