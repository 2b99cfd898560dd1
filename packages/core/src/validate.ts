// Validation of a target document before anyone trusts it: the sidecar checks every
// document it fetches and the publisher checks every document it builds. Pure.
import type { TargetDocument } from "./types";

export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** host:port with a DNS name, IPv4 or [IPv6] host and a port 1-65535. */
const TARGET = /^(?:\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9._-]*[a-zA-Z0-9])?):(\d{1,5})$/;

export class DocumentValidationError extends Error {
  override name = "DocumentValidationError";
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export function isValidTarget(t: string): boolean {
  const m = TARGET.exec(t);
  if (!m) return false;
  const port = Number(m[1]);
  return port >= 1 && port <= 65535;
}

/**
 * Parses and validates a file_sd document. Throws DocumentValidationError with a
 * machine-readable `reason` (invalid_json, not_array, bad_group, bad_target, bad_label)
 * and a one-line message naming the offending group.
 */
export function parseDocument(text: string): TargetDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new DocumentValidationError("invalid_json", `document is not valid JSON: ${(err as Error).message}`);
  }
  return validateDocument(value);
}

export function validateDocument(value: unknown): TargetDocument {
  if (!Array.isArray(value)) {
    throw new DocumentValidationError("not_array", "document is not a JSON array of target groups");
  }
  // Label names repeat in every group: each distinct name is tested once.
  const goodNames = new Set<string>();
  value.forEach((group: unknown, i) => {
    if (typeof group !== "object" || group === null || Array.isArray(group)) {
      throw new DocumentValidationError("bad_group", `group ${i} is not an object`);
    }
    const g = group as Record<string, unknown>;
    for (const k of Object.keys(g)) {
      if (k !== "targets" && k !== "labels") {
        throw new DocumentValidationError("bad_group", `group ${i} has an unknown field "${k}"`);
      }
    }
    if (!Array.isArray(g.targets)) {
      throw new DocumentValidationError("bad_group", `group ${i} has no "targets" array`);
    }
    for (const t of g.targets) {
      if (typeof t !== "string" || !isValidTarget(t)) {
        throw new DocumentValidationError("bad_target", `group ${i} has an invalid target ${JSON.stringify(t)} (want host:port)`);
      }
    }
    if (g.labels !== undefined) {
      if (typeof g.labels !== "object" || g.labels === null || Array.isArray(g.labels)) {
        throw new DocumentValidationError("bad_label", `group ${i} has "labels" that is not an object`);
      }
      for (const [name, v] of Object.entries(g.labels as Record<string, unknown>)) {
        if (!goodNames.has(name)) {
          if (LABEL_NAME.test(name)) goodNames.add(name);
          else throw new DocumentValidationError("bad_label", `group ${i} has an invalid label name ${JSON.stringify(name)}`);
        }
        if (typeof v !== "string") {
          throw new DocumentValidationError("bad_label", `group ${i} label "${name}" is not a string`);
        }
      }
    }
  });
  return value as TargetDocument;
}

export function countTargets(doc: TargetDocument): number {
  return doc.reduce((n, g) => n + g.targets.length, 0);
}
