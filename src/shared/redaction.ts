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

/** `https://TOKEN@host`: a user name with no password on the web is a token more often than not. */
const WEB_USER_ONLY = /\b((?:https?|wss?):\/\/)[^\s:/?#@"'<>]+@/gi;
/**
 * `password=…`, `api_key: …`, `"secret":"…"` in free text: libpq conninfo, logfmt, JSON, headers
 * quoted by a client library.
 */
const SECRET_FIELD =
  /\b([\w-]*(?:password|passwd|pwd|secret|token|api[_-]?key)[\w-]*)(["']?\s*[=:]\s*["']?)[^\s"'&,;]+/gi;
/** An HTTP header that carries credentials, quoted with its value (to the end of the line). */
const CREDENTIAL_HEADER =
  /\b((?:proxy-)?authorization|x-api-key|cookie|set-cookie)(["']?\s*[=:]\s*["']?)[^"'\r\n]+/gi;
/** The token of an Authorization value where it stands without its header name. */
const AUTH_SCHEME_TOKEN = /\b([Bb]earer|Basic|Digest)(\s+)[A-Za-z0-9._~+/-]{8,}=*/g;

/**
 * Free error text (a library's error, a registry's answer) made safe to store or show: URL
 * passwords and password-like parameters (redactUrls), web URL user names, `password=`-style
 * fields, credential headers, and bearer/basic tokens. Every sink of error text uses this: logs
 * (through createRedactor), the `dlq-error-message` header, `outbox.last_error`, the DLQ tool.
 */
export function redactErrorText(text: string): string {
  return redactUrls(text)
    .replace(WEB_USER_ONLY, `$1${REDACTED}@`)
    .replace(CREDENTIAL_HEADER, `$1$2${REDACTED}`)
    .replace(AUTH_SCHEME_TOKEN, `$1$2${REDACTED}`)
    .replace(SECRET_FIELD, `$1$2${REDACTED}`);
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
    let result = redactErrorText(text);
    for (const secret of values) result = result.split(secret).join(REDACTED);
    return result;
  };
}

/** How deep redactDeep looks into objects; deeper ones are replaced by TOO_DEEP. */
export const MAX_REDACTION_DEPTH = 6;
export const TOO_DEEP = '[REDACTED: nested too deep]';

/**
 * Applies `redact` to every string inside a log entry or report. Bounded depth (a cycle, or a
 * library's deep error, must not hang a log line): an object below the bound is replaced by a
 * marker, never passed on unredacted.
 */
export function redactDeep<T>(value: T, redact: Redactor, depth = 0): T {
  if (typeof value === 'string') return redact(value) as T;
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_REDACTION_DEPTH) return TOO_DEEP as T;
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
