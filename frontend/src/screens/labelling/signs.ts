/**
 * The semiological signs of a seizure event (seed 004; `ictal.manifest.signs`), as the
 * labelling screen's checklist offers them: a base sign (dystonia, emotion) and its refinements
 * (the side of a dystonia, the kind of an emotion). The export writes them as the manifest's
 * `meta.signs`, which `ictal evaluate --task dystonia|emotion|lateralisation` reads.
 */
import type { Sign } from "../../api/types";

export type { Sign };

export interface SignGroup {
  base: Sign;
  label: string;
  refinements: { code: Sign; label: string }[];
}

/** The checklist, in the order the server's vocabulary lists the codes. */
export const SIGN_GROUPS: SignGroup[] = [
  {
    base: "dystonia",
    label: "Limb dystonia",
    refinements: [
      { code: "dystonia-left", label: "left" },
      { code: "dystonia-right", label: "right" },
    ],
  },
  {
    base: "emotion",
    label: "Emotional expression",
    refinements: [
      { code: "emotion-fear", label: "fear" },
      { code: "emotion-rage", label: "rage" },
      { code: "emotion-smile", label: "smile" },
    ],
  },
];

const ORDER: Sign[] = SIGN_GROUPS.flatMap((g) => [g.base, ...g.refinements.map((r) => r.code)]);

/**
 * The signs after ticking (`on`) or clearing `code`: a refinement brings its base along (a
 * left dystonia is a dystonia), clearing a base clears its refinements. In the checklist's
 * order, each once.
 */
export function toggleSign(signs: readonly Sign[], code: Sign, on: boolean): Sign[] {
  const group = SIGN_GROUPS.find((g) => g.base === code || g.refinements.some((r) => r.code === code));
  const next = new Set(signs);
  if (on) {
    next.add(code);
    if (group) next.add(group.base);
  } else {
    next.delete(code);
    if (group && group.base === code) for (const r of group.refinements) next.delete(r.code);
  }
  return ORDER.filter((s) => next.has(s));
}

/** "dystonia (left), emotion (fear)" or "no sign". */
export function describeSigns(signs: readonly Sign[]): string {
  const parts = SIGN_GROUPS.filter((g) => signs.includes(g.base) || g.refinements.some((r) => signs.includes(r.code))).map((g) => {
    const detail = g.refinements.filter((r) => signs.includes(r.code)).map((r) => r.label);
    return detail.length ? `${g.base} (${detail.join(", ")})` : g.base;
  });
  return parts.length ? parts.join(", ") : "no sign";
}

/** Whether two sign lists hold the same signs. */
export function sameSigns(a: readonly Sign[], b: readonly Sign[]): boolean {
  return a.length === b.length && a.every((s) => b.includes(s));
}
