/**
 * Admin screens (`#/admin`, admins only): clinics (list, add), users and roles (list, add,
 * change role, deactivate / reactivate), the MOI vocabulary (terms and body regions, add), the
 * audit log with filters (who, what, when; before / after of each change), and the team's
 * agreement per clinic.
 */
import { type FormEvent, type ReactNode, useCallback, useEffect, useState } from "react";
import { unwrap } from "../api/client";
import type { UserPublic, Vocabulary } from "../api/types";
import type { components } from "../api/schema";
import { MenuStrip } from "../components/MenuStrip";
import { useToast } from "../components/Toasts";
import { useApiErrors } from "../lib/useApiErrors";
import type { ScreenProps } from "../screens/common";
import { type AuditFilter, auditQuery, NO_AUDIT_FILTER } from "./audit";
import { AgreementView, changeText } from "./TeamPanels";

type Schemas = components["schemas"];
type Clinic = Schemas["ClinicPublic"];
type Audit = Schemas["AuditPublic"];
type Agreement = Schemas["AgreementPublic"];
const ROLES = ["clinician", "reviewer", "data_scientist", "admin"] as const;
const AUDIT_ACTIONS = ["create", "update", "delete", "archive", "unarchive", "login", "login_failed"];
/** The tabs, by their names (the tab's button and its panel). */
const TABS = { clinics: "Clinics", users: "Users and roles", vocabulary: "Vocabulary", audit: "Audit log" } as const;
type Tab = keyof typeof TABS;

type Fields = Record<string, string>;

/** The form's fields as text (FormData of a submit event). */
function fields(e: FormEvent<HTMLFormElement>): Fields {
  e.preventDefault();
  return Object.fromEntries([...new FormData(e.currentTarget).entries()].map(([k, v]) => [k, String(v)]));
}

/** A table of `label` with one header cell per column. */
function Table({ label, columns, children }: { label: string; columns: string[]; children: ReactNode }) {
  return (
    <table aria-label={label}>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c} scope="col">
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

/** One `<option>` per value, showing the value. */
function Options({ values }: { values: readonly string[] }) {
  return (
    <>
      {values.map((v) => (
        <option key={v} value={v}>
          {v}
        </option>
      ))}
    </>
  );
}

export function AdminScreen({ api, user, onLogout, onSessionLost, navigate }: ScreenProps) {
  const { notify } = useToast();
  const report = useApiErrors(onSessionLost);
  const [tab, setTab] = useState<Tab>("users");
  const [clinics, setClinics] = useState<Clinic[]>([]);
  const [users, setUsers] = useState<UserPublic[]>([]);
  const [vocabulary, setVocabulary] = useState<Vocabulary | null>(null);
  const [audit, setAudit] = useState<Audit[]>([]);
  const [filter, setFilter] = useState<AuditFilter>(NO_AUDIT_FILTER);
  const [agreement, setAgreement] = useState<Record<number, Agreement>>({});

  const load = useCallback(async () => {
    try {
      const [c, u, v] = await Promise.all([unwrap(api.GET("/api/clinics")), unwrap(api.GET("/api/users")), unwrap(api.GET("/api/vocabulary"))]);
      setClinics(c);
      setUsers(u);
      setVocabulary(v);
    } catch (err) {
      report(err, "Loading the administration data");
    }
  }, [api, report]);
  const loadAudit = useCallback(
    async (f: AuditFilter) => {
      try {
        setAudit(await unwrap(api.GET("/api/audit", { params: { query: auditQuery(f) } })));
      } catch (err) {
        report(err, "Loading the audit log");
      }
    },
    [api, report],
  );
  useEffect(() => {
    if (user.role === "admin") void load();
  }, [load, user.role]);
  useEffect(() => {
    if (user.role === "admin" && tab === "audit") void loadAudit(filter);
  }, [tab, loadAudit, filter, user.role]);

  const act = async (what: string, call: () => Promise<unknown>) => {
    try {
      await call();
      notify("success", what);
      await load();
      return true;
    } catch (err) {
      report(err, what);
      return false;
    }
  };
  /** A form's submit: `call` with its fields, told as `what`; the form is cleared when it worked. */
  const create = (what: (f: Fields) => string, call: (f: Fields) => Promise<unknown>) => (e: FormEvent<HTMLFormElement>) => {
    const f = fields(e);
    const form = e.currentTarget;
    void act(what(f), () => call(f)).then((ok) => ok && form.reset());
  };

  const menus = [
    {
      label: "File",
      items: [
        { label: "Recordings", onSelect: () => navigate({ screen: "landing" }) },
        { label: "Log out", onSelect: onLogout },
      ],
    },
  ];
  const strip = <MenuStrip menus={menus} userLabel={`${user.username} (${user.role})`} onLogout={onLogout} />;
  if (user.role !== "admin") {
    return (
      <>
        {strip}
        <main>
          <p className="error-text">The administration is for admins.</p>
        </main>
      </>
    );
  }
  const clinicName = (id: number) => clinics.find((c) => c.id === id)?.name ?? `clinic ${id}`;
  return (
    <>
      {strip}
      <main>
        <div className="row" style={{ justifyContent: "space-between", alignItems: "center" }}>
          <h1>Administration</h1>
          <button type="button" className="button-quiet" onClick={() => navigate({ screen: "landing" })}>
            Back to recordings
          </button>
        </div>
        <div className="row" role="tablist" aria-label="Administration">
          {(Object.keys(TABS) as Tab[]).map((t) => (
            <button key={t} type="button" role="tab" aria-selected={tab === t} className={tab === t ? "" : "button-quiet"} onClick={() => setTab(t)}>
              {TABS[t]}
            </button>
          ))}
        </div>

        <section className="panel" role="tabpanel" aria-label={TABS[tab]}>
          {tab === "clinics" && (
            <>
              <Table label="Clinics list" columns={["Clinic", "Created", "Team agreement"]}>
                {clinics.map((c) => (
                  <tr key={c.id}>
                    <td>{c.name}</td>
                    <td>{new Date(c.created_at).toLocaleDateString()}</td>
                    <td>
                      {agreement[c.id] ? (
                        <AgreementView agreement={agreement[c.id]!} />
                      ) : (
                        <button
                          type="button"
                          className="button-quiet"
                          onClick={() =>
                            void unwrap(api.GET("/api/clinics/{clinic_id}/agreement", { params: { path: { clinic_id: c.id } } }))
                              .then((a) => setAgreement((all) => ({ ...all, [c.id]: a })))
                              .catch((err: unknown) => report(err, "Loading the team agreement"))
                          }
                        >
                          Agreement of {c.name}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </Table>
              <form
                className="row"
                aria-label="New clinic"
                onSubmit={create(
                  (f) => `Clinic ${f.name} created`,
                  (f) => unwrap(api.POST("/api/clinics", { body: { name: f.name ?? "" } })),
                )}
              >
                <label>
                  Name
                  <input name="name" required maxLength={200} />
                </label>
                <button type="submit">Add clinic</button>
              </form>
            </>
          )}

          {tab === "users" && (
            <>
              <Table label="Users" columns={["User", "Role", "Clinics", "Status"]}>
                {users.map((u) => (
                  <tr key={u.id}>
                    <td>{u.username}</td>
                    <td>
                      <select
                        aria-label={`Role of ${u.username}`}
                        value={u.role}
                        disabled={u.id === user.id}
                        onChange={(e) => {
                          const role = e.target.value as (typeof ROLES)[number];
                          void act(`${u.username} is now ${role}`, () => unwrap(api.PATCH("/api/users/{user_id}", { params: { path: { user_id: u.id } }, body: { role } })));
                        }}
                      >
                        <Options values={ROLES} />
                      </select>
                    </td>
                    <td>{u.clinic_ids.map(clinicName).join(", ")}</td>
                    <td>
                      {u.active ? "active" : "inactive"}{" "}
                      {u.id !== user.id && (
                        <button
                          type="button"
                          className="button-quiet"
                          aria-label={`${u.active ? "Deactivate" : "Reactivate"} ${u.username}`}
                          onClick={() =>
                            void act(`${u.username} ${u.active ? "deactivated" : "reactivated"}`, () =>
                              unwrap(api.PATCH("/api/users/{user_id}", { params: { path: { user_id: u.id } }, body: { active: !u.active } })),
                            )
                          }
                        >
                          {u.active ? "Deactivate" : "Reactivate"}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </Table>
              <form
                className="row"
                aria-label="New user"
                style={{ flexWrap: "wrap", alignItems: "flex-end" }}
                onSubmit={create(
                  (f) => `User ${f.username} created`,
                  (f) =>
                    unwrap(
                      api.POST("/api/users", {
                        body: { username: f.username ?? "", password: f.password ?? "", role: (f.role ?? "clinician") as (typeof ROLES)[number], clinic_ids: [Number(f.clinic)] },
                      }),
                    ),
                )}
              >
                <label>
                  New username
                  <input name="username" required pattern="[A-Za-z0-9_.@-]{1,64}" />
                </label>
                <label>
                  Initial password
                  <input name="password" type="password" required minLength={12} autoComplete="new-password" />
                </label>
                <label>
                  New user's role
                  <select name="role" defaultValue="clinician">
                    <Options values={ROLES} />
                  </select>
                </label>
                <label>
                  Clinic
                  <select name="clinic">
                    {clinics.map((c) => (
                      <option key={c.id} value={c.id}>
                        {c.name}
                      </option>
                    ))}
                  </select>
                </label>
                <button type="submit">Add user</button>
              </form>
            </>
          )}

          {tab === "vocabulary" && vocabulary && (
            <div className="row" style={{ alignItems: "flex-start", gap: "2rem" }}>
              <div>
                <h3>MOI terms</h3>
                <ul aria-label="MOI terms">
                  {vocabulary.terms.map((t) => (
                    <li key={t.id}>
                      <span className="mono">{t.code}</span> {t.label} {t.category && <span className="muted">({t.category})</span>}
                    </li>
                  ))}
                </ul>
                <form
                  aria-label="New term"
                  onSubmit={create(
                    (f) => `Term ${f.code} added`,
                    (f) => unwrap(api.POST("/api/vocabulary/terms", { body: { code: f.code ?? "", label: f.label ?? "", category: f.category ?? "" } })),
                  )}
                >
                  <label>
                    Term code
                    <input name="code" required pattern="[a-z0-9][a-z0-9_\-]{0,63}" />
                  </label>
                  <label>
                    Term label
                    <input name="label" required />
                  </label>
                  <label>
                    Category
                    <input name="category" />
                  </label>
                  <button type="submit">Add term</button>
                </form>
              </div>
              <div>
                <h3>Body regions</h3>
                <ul aria-label="Body regions">
                  {vocabulary.regions.map((r) => (
                    <li key={r.id}>
                      <span className="mono">{r.code}</span> {r.label}
                    </li>
                  ))}
                </ul>
                <form
                  aria-label="New region"
                  onSubmit={create(
                    (f) => `Region ${f.code} added`,
                    (f) => unwrap(api.POST("/api/vocabulary/regions", { body: { code: f.code ?? "", label: f.label ?? "" } })),
                  )}
                >
                  <label>
                    Region code
                    <input name="code" required pattern="[a-z0-9][a-z0-9_\-]{0,63}" />
                  </label>
                  <label>
                    Region label
                    <input name="label" required />
                  </label>
                  <button type="submit">Add region</button>
                </form>
              </div>
            </div>
          )}

          {tab === "audit" && (
            <>
              <form
                className="row"
                aria-label="Audit filters"
                style={{ flexWrap: "wrap", alignItems: "flex-end" }}
                onSubmit={(e) => {
                  const f = fields(e);
                  setFilter({ username: f.username ?? "", action: f.action ?? "", entity: f.entity ?? "", since: f.since ?? "", until: f.until ?? "" });
                }}
              >
                <label>
                  Who
                  <input name="username" defaultValue={filter.username} />
                </label>
                <label>
                  Action
                  <select name="action" defaultValue={filter.action}>
                    <option value="">any</option>
                    <Options values={AUDIT_ACTIONS} />
                  </select>
                </label>
                <label>
                  What
                  <input name="entity" defaultValue={filter.entity} placeholder="event, moi, user…" />
                </label>
                <label>
                  From
                  <input name="since" type="datetime-local" defaultValue={filter.since} />
                </label>
                <label>
                  Until
                  <input name="until" type="datetime-local" defaultValue={filter.until} />
                </label>
                <button type="submit">Filter</button>
              </form>
              <Table label="Audit entries" columns={["When", "Who", "Action", "What", "Before → after"]}>
                {audit.map((a) => (
                  <tr key={a.id}>
                    <td className="mono">{new Date(a.at).toLocaleString()}</td>
                    <td>{a.username}</td>
                    <td>{a.action}</td>
                    <td>
                      {a.entity} {a.entity_id ?? ""}
                    </td>
                    <td className="mono">{changeText(a.before, a.after)}</td>
                  </tr>
                ))}
              </Table>
              {audit.length === 0 && <p className="muted">No entries match.</p>}
            </>
          )}
        </section>
      </main>
    </>
  );
}
