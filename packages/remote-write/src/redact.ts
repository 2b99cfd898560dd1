// Secrets never reach an error line: a URL's userinfo (`user:password@`) is masked
// wherever a URL appears in a text, and so is every configured secret (a credential
// header's value, a credential-like query parameter's value, anything the caller names).
// Masked text reads `***`.

export const MASK = "***";

/** Shorter strings are not searched for: they would garble ordinary text and are no secrets. */
export const MIN_SECRET_LENGTH = 4;

/** `scheme://userinfo@` anywhere in a text. */
const USERINFO_IN_TEXT = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@'"<>]+)@/gi;

/** Header names whose values are credentials. */
const SECRET_HEADER = /^(authorization|proxy-authorization|cookie)$|auth|token|secret|password|passwd|api[-_]?key|session/i;
/** Query parameter names whose values are credentials. */
const SECRET_PARAM = /auth|token|secret|password|passwd|pwd|key|signature|sig$|credential|session/i;

/** A URL with its userinfo masked: `http://user:***@host/...`; a user name alone (often a token) becomes `***@`. */
export function maskUserinfo(text: string): string {
  return text.replace(USERINFO_IN_TEXT, (_m, scheme: string, info: string) => {
    const colon = info.indexOf(":");
    return colon < 0 ? `${scheme}${MASK}@` : `${scheme}${info.slice(0, colon)}:${MASK}@`;
  });
}

/** Whether a URL carries userinfo (`user@` or `user:password@`). */
export function hasUserinfo(url: string): boolean {
  try {
    const u = new URL(url);
    return u.username !== "" || u.password !== "";
  } catch {
    return maskUserinfo(url) !== url;
  }
}

/** Adds `value` and, when it differs, its percent-decoded form. */
function addForms(out: Set<string>, value: string): void {
  out.add(value);
  try {
    out.add(decodeURIComponent(value));
  } catch {
    // not percent-encoded
  }
}

/** The secret parts of a URL: its user name and password, and the values of credential-like query parameters. */
export function urlSecrets(url: string): string[] {
  const out = new Set<string>();
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return [];
  }
  if (u.username) addForms(out, u.username);
  if (u.password) addForms(out, u.password);
  for (const [name, value] of u.searchParams) {
    if (SECRET_PARAM.test(name) && value) {
      out.add(value);
      out.add(encodeURIComponent(value));
    }
  }
  return [...out];
}

/** The credential values among request headers: the whole value and, for `Scheme credentials`, the credentials alone. */
export function headerSecrets(headers: Record<string, string> | undefined): string[] {
  const out = new Set<string>();
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!SECRET_HEADER.test(name) || !value) continue;
    out.add(value);
    const m = /^\S+\s+(\S.*)$/.exec(value);
    if (m) out.add(m[1]!);
  }
  return [...out];
}

export type Redactor = (text: string) => string;

/**
 * A function that masks URL userinfo and every given secret (of at least
 * MIN_SECRET_LENGTH characters; longest first, so one secret containing another is
 * masked whole) in a text.
 */
export function createRedactor(secrets: Iterable<string | undefined>): Redactor {
  const list = [...new Set([...secrets].filter((s): s is string => typeof s === "string" && s.length >= MIN_SECRET_LENGTH))].sort(
    (a, b) => b.length - a.length,
  );
  return (text: string) => {
    let out = maskUserinfo(text);
    for (const s of list) if (out.includes(s)) out = out.split(s).join(MASK);
    return out;
  };
}

/** Masks URL userinfo and the given secrets in `text`. */
export function redact(text: string, secrets: Iterable<string | undefined> = []): string {
  return createRedactor(secrets)(text);
}
