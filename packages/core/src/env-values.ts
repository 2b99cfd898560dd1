// The checks of configuration values shared by every entry point's config parser: a set
// value (trimmed, empty = unset), a comma-separated list, an S3 bucket name, an S3 key, an
// integer in a range.
// Each throws a ConfigError naming the variable, which the parsers collect with
// ConfigProblems so that every bad or missing variable is reported at once.
import { ConfigError } from "./errors";

type Env = Record<string, string | undefined>;

/** The variable's value, trimmed; undefined when it is unset or blank. */
export function envValue(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

/** A comma-separated list from `name` (blanks dropped, each item once); undefined when unset. */
export function listValue(env: Env, name: string): string[] | undefined {
  const raw = envValue(env, name);
  if (!raw) return undefined;
  const items = raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new ConfigError(name, `${name} is set but names nothing (want a comma-separated list)`);
  return [...new Set(items)];
}

/** S3's rules for bucket names (3-63 characters, lower case, digits, dots and hyphens). */
export const S3_BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** `bucket`, read from `name`, checked against S3's naming rules. */
export function checkBucketName(name: string, bucket: string): string {
  if (!S3_BUCKET_NAME.test(bucket)) throw new ConfigError(name, `${name}=${JSON.stringify(bucket)} is not a valid S3 bucket name`);
  return bucket;
}

/** An S3 key from `name`, else `fallback`: no leading or trailing "/", at most 1024 characters. */
export function s3KeyValue(env: Env, name: string, fallback: string): string {
  const v = envValue(env, name) ?? fallback;
  if (v.startsWith("/") || v.length > 1024 || v.endsWith("/")) {
    throw new ConfigError(name, `${name}=${JSON.stringify(v)} is not a valid S3 key (no leading or trailing "/", at most 1024 characters)`);
  }
  return v;
}

/** An integer from `min` to `max` from `name`, else `fallback`. */
export function integerValue(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = envValue(env, name);
  const n = raw ? Number(raw) : fallback;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(name, `${name}=${JSON.stringify(raw)} must be an integer from ${min} to ${max}`);
  }
  return n;
}
