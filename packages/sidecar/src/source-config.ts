// The text of one `--source`: where the document is (`s3://BUCKET/KEY`, `ssm:/PARAMETER`,
// `file:PATH`; an s3 KEY ending in `.index.json` is the index of a sharded publication)
// and, after the last `?`, options joined by `&`:
//   s3://bucket/key?name=prod&role=arn:aws:iam::111122223333:role/reader&region=eu-west-1
// Options: `name` (the source's name in metrics, logs, /healthz and `--output-dir` file
// names), `role` (an IAM role to assume for this source's AWS calls), `external-id` (for
// that AssumeRole), `region` (the source's AWS region). Values are taken literally (no URL
// decoding). A location that itself contains `?` ends with `?` (empty options). Without a
// name, one is derived: the role's account id, else the bucket, the parameter or the file.
// Pure: every problem is returned as one line; config.ts prefixes the flag or variable.
import { basename, extname } from "node:path";

export type SourceSpec = { kind: "s3"; bucket: string; key: string } | { kind: "ssm"; name: string } | { kind: "file"; path: string };

/** One source with its name and access options. */
export interface SourceConfig {
  /** Unique among the sources: metrics' `source` label, `--output-dir` file `NAME.json`. */
  name: string;
  spec: SourceSpec;
  /** IAM role ARN assumed (STS AssumeRole) for this source's S3/SSM calls. */
  role?: string;
  /** ExternalId sent with the AssumeRole. */
  externalId?: string;
  /** AWS region of this source's clients (default: AWS_REGION / the SDK's chain). */
  region?: string;
}

/** The options a source text may carry, in the order they are documented. */
export const SOURCE_OPTIONS = ["name", "role", "region", "external-id"] as const;
type SourceOption = (typeof SOURCE_OPTIONS)[number];

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

/** Parses `s3://bucket/key`, `ssm:/parameter` (or `ssm:name`) and `file:PATH`. */
export function parseSource(text: string): SourceSpec {
  const s = text.trim();
  if (s.startsWith("s3://")) {
    const rest = s.slice("s3://".length);
    const slash = rest.indexOf("/");
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const key = slash < 0 ? "" : rest.slice(slash + 1);
    if (!/^[a-zA-Z0-9._-]{1,255}$/.test(bucket)) throw new Error(`bad bucket name "${bucket}"`);
    if (!key) throw new Error(`missing object key (want s3://BUCKET/KEY)`);
    return { kind: "s3", bucket, key };
  }
  if (s.startsWith("ssm:")) {
    const name = s.slice("ssm:".length);
    if (!/^\/?[a-zA-Z0-9_.\-/]+$/.test(name) || name.endsWith("/")) throw new Error(`bad parameter name "${name}"`);
    return { kind: "ssm", name };
  }
  if (s.startsWith("file:")) {
    const path = s.slice("file:".length);
    if (!path) throw new Error(`missing path (want file:PATH)`);
    return { kind: "file", path };
  }
  throw new Error(`unknown source (want s3://BUCKET/KEY, ssm:/PARAMETER or file:PATH)`);
}

/** How the key of a sharded publication's index ends (core's indexKeyOf): `targets/ecs-services.index.json`. */
export const INDEX_KEY_SUFFIX = ".index.json";

/**
 * Whether a source is the index of a sharded publication (index-source.ts): an `s3://` source
 * whose key ends in `.index.json`. Decided by the key alone, so it is known before anything is
 * fetched (--shard-dir is checked against it) and never changes with what S3 holds.
 */
export function isIndexSource(spec: SourceSpec): boolean {
  return spec.kind === "s3" && spec.key.endsWith(INDEX_KEY_SUFFIX) && spec.key.length > INDEX_KEY_SUFFIX.length;
}

/** The source text as it may be printed: an `external-id` value masked as `***`. */
export function maskSourceText(text: string): string {
  return text.replace(/([?&]external-id=)[^&]*/g, "$1***");
}

export function describeSource(s: SourceSpec): string {
  switch (s.kind) {
    case "s3":
      return `s3://${s.bucket}/${s.key}`;
    case "ssm":
      return `ssm:${s.name}`;
    case "file":
      return `file:${s.path}`;
  }
}

/** A source as parsed from its text: the name is set only when given. */
export type SourceEntry = Omit<SourceConfig, "name"> & { name?: string };

export interface ParsedEntry {
  entry?: SourceEntry;
  /** Whether the text had options (a `?`). */
  hasOptions: boolean;
  /** One line each, without the flag or variable. */
  problems: string[];
}

const checks: Record<SourceOption, { test: RegExp; want: string }> = {
  name: { test: NAME, want: 'want 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit' },
  role: { test: ROLE_ARN, want: "not an IAM role ARN (want arn:aws:iam::ACCOUNT:role/NAME)" },
  region: { test: REGION, want: "not an AWS region (want e.g. eu-west-1)" },
  "external-id": { test: EXTERNAL_ID, want: "want 2-1224 letters, digits or +=,.@:/-" },
};

/** Parses one source text into its location and options; every problem is one line. */
export function parseSourceEntry(text: string): ParsedEntry {
  const s = text.trim();
  const q = s.lastIndexOf("?");
  const location = q < 0 ? s : s.slice(0, q);
  const problems: string[] = [];
  let spec: SourceSpec | undefined;
  try {
    spec = parseSource(location);
  } catch (err) {
    problems.push((err as Error).message);
  }
  const options: Partial<Record<SourceOption, string>> = {};
  if (q >= 0) {
    const part = s.slice(q + 1);
    for (const pair of part === "" ? [] : part.split("&")) {
      const eq = pair.indexOf("=");
      const key = eq < 0 ? pair : pair.slice(0, eq);
      const value = eq < 0 ? undefined : pair.slice(eq + 1);
      if (!(SOURCE_OPTIONS as readonly string[]).includes(key)) {
        problems.push(`unknown option "${key}" (want ${SOURCE_OPTIONS.join(", ")}; a location that contains "?" ends with "?", e.g. s3://BUCKET/a?b.json?)`);
        continue;
      }
      const k = key as SourceOption;
      if (value === undefined || value === "") problems.push(`option ${k} needs a value (${k}=...)`);
      else if (options[k] !== undefined) problems.push(`option ${k} given more than once`);
      // An external id is a secret shared with the role's owner: never echoed.
      else if (!checks[k].test.test(value)) problems.push(`${k} "${k === "external-id" ? "***" : value}": ${checks[k].want}`);
      else options[k] = value;
    }
  }
  if (spec?.kind === "file" && (options.role || options.region || options["external-id"])) {
    problems.push("role, region and external-id apply to s3:// and ssm: sources, not file:");
  }
  if (options["external-id"] && !options.role && !problems.some((p) => p.startsWith("role "))) problems.push("external-id needs a role");
  if (problems.length > 0 || !spec) return { hasOptions: q >= 0, problems };
  return {
    hasOptions: q >= 0,
    problems,
    entry: {
      spec,
      ...(options.name ? { name: options.name } : {}),
      ...(options.role ? { role: options.role } : {}),
      ...(options["external-id"] ? { externalId: options["external-id"] } : {}),
      ...(options.region ? { region: options.region } : {}),
    },
  };
}

/** The account id of a role ARN. */
export function roleAccount(roleArn: string): string | undefined {
  return ROLE_ARN.exec(roleArn)?.[1];
}

/** A name derived from the source: the role's account id, else the bucket, the parameter (`/a/b` -> `a-b`) or the file's base name. */
export function defaultSourceName(entry: Pick<SourceEntry, "spec" | "role">): string {
  const account = entry.role ? roleAccount(entry.role) : undefined;
  const spec = entry.spec;
  const raw =
    account ??
    (spec.kind === "s3" ? spec.bucket : spec.kind === "ssm" ? spec.name.replace(/^\/+/, "").replace(/\//g, "-") : basename(spec.path, extname(spec.path)));
  const name = raw
    .replace(/[^A-Za-z0-9_.-]+/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, 64);
  return name || "source";
}

/** A one-line description for logs: `NAME=LOCATION (role ..., region ...)`. */
export function describeSourceConfig(s: SourceConfig): string {
  const extra = [s.role ? `role ${s.role}` : "", s.region ? `region ${s.region}` : ""].filter(Boolean).join(", ");
  return `${s.name}=${describeSource(s.spec)}${extra ? ` (${extra})` : ""}`;
}
