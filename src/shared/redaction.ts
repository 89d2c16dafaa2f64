/**
 * Keeps secrets out of everything the service writes: log lines, start-up failures, /ready.
 * Two nets: URLs lose their password wherever they appear, and the configured secret values
 * themselves (however they got into a message, e.g. inside a library's error) are replaced.
 */
export const REDACTED = '[REDACTED]';

/**
 * `scheme://user:password@` anywhere in a text, including URLs too malformed to parse. Greedy up
 * to the last `@` of the word, so a password with an unencoded `@` or `/` goes whole.
 */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@"'<>]*):[^\s"'<>]*@/gi;
/** `?password=...` style parameters (libpq accepts `password`, `sslpassword`, ...). */
const SECRET_QUERY_PARAMETER = /([?&][\w-]*(?:password|secret|token|sslkey)[\w-]*=)[^&#\s]*/gi;

/** The text with every URL's password (and password-like query parameters) replaced. */
export function redactUrls(text: string): string {
  return text
    .replace(URL_CREDENTIALS, `$1:${REDACTED}@`)
    .replace(SECRET_QUERY_PARAMETER, `$1${REDACTED}`);
}

/** The secret parts of a URL (password, password-like parameters), raw and percent-decoded. */
export function secretsInUrl(url: string | undefined): string[] {
  if (!url) return [];
  const found: string[] = [];
  const credentials = /^[a-z][a-z0-9+.-]*:\/\/[^:/?#@]*:(.*)@[^@]*$/i.exec(url)?.[1];
  if (credentials) found.push(credentials);
  for (const match of url.matchAll(SECRET_QUERY_PARAMETER)) {
    const value = match[0].slice(match[1]?.length ?? 0);
    if (value) found.push(value);
  }
  return found.flatMap((secret) => [secret, safeDecode(secret)]);
}

export type Redactor = (text: string) => string;

/**
 * A function that removes URL passwords and every given secret from a text. Secrets shorter
 * than 4 characters are skipped: replacing them would garble ordinary words, and config refuses
 * secrets that short where it controls their length.
 */
export function createRedactor(secrets: readonly (string | undefined)[]): Redactor {
  const values = [...new Set(secrets.filter((s): s is string => !!s && s.length >= 4))].sort(
    (a, b) => b.length - a.length, // longest first, so a secret containing another goes whole
  );
  return (text) => {
    let result = redactUrls(text);
    for (const secret of values) result = result.split(secret).join(REDACTED);
    return result;
  };
}

/** Applies `redact` to every string inside a log entry or report (bounded depth). */
export function redactDeep<T>(value: T, redact: Redactor, depth = 0): T {
  if (typeof value === 'string') return redact(value) as T;
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, redact, depth + 1)) as T;
  if (value instanceof Error) {
    return redactDeep({ name: value.name, message: value.message }, redact, depth + 1) as T;
  }
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = redactDeep(item, redact, depth + 1);
  return copy as T;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
