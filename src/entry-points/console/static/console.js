// The console's shell: sign-in, the hash router and the helpers every page uses. No framework,
// no build step; pages are ES modules under pages/ exporting
//   render(container, context) -> optional cleanup function
// where context = { params, query, user, api, navigate, refreshEvery }.
const TOKEN_KEY = 'order-console-token';

/** Hash routes: pattern -> page module and the names of its path parameters. */
const ROUTES = [
  { pattern: /^\/?$/, page: 'overview', names: [] },
  { pattern: /^\/overview$/, page: 'overview', names: [] },
  { pattern: /^\/failures$/, page: 'failures', names: [] },
  { pattern: /^\/failures\/([^/]+)$/, page: 'failures', names: ['groupId'] },
  { pattern: /^\/orders$/, page: 'journey', names: [] },
  { pattern: /^\/orders\/([^/]+)$/, page: 'journey', names: ['orderId'] },
  { pattern: /^\/audit$/, page: 'audit', names: [] },
];

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** Sends a request to /console/api/<path> with the bearer token (never a cookie). */
function send(path, { method = 'GET', body, accept = 'application/json' }) {
  const headers = { accept };
  const stored = token.get();
  if (stored) headers.authorization = `Bearer ${stored}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`/console/api/${path.replace(/^\//, '')}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit',
  });
}

/** A JSON answer's payload; a problem answer as ApiError (a 401 also asks to sign in again). */
async function payloadOf(response) {
  const isJson = (response.headers.get('content-type') ?? '').includes('json');
  const payload = isJson ? await response.json() : undefined;
  if (response.status === 401) {
    token.clear();
    showSignIn('Your token was refused or has expired; sign in again.');
  }
  if (!response.ok) throw new ApiError(response.status, payload);
  return payload;
}

/** Calls /console/api/<path> with the bearer token; throws ApiError on a problem answer. */
export async function api(path, { method = 'GET', body } = {}) {
  return payloadOf(await send(path, { method, body }));
}

/**
 * POSTs a bulk action asking for its progress as NDJSON lines; calls onProgress(done, total)
 * after each chunk and returns the result line. A refusal before anything was done is an
 * ordinary problem answer (ApiError); a stop part-way is an error line, thrown as ApiError too.
 */
export async function apiWithProgress(path, body, onProgress) {
  const response = await send(path, { method: 'POST', body, accept: 'application/x-ndjson' });
  if (!(response.headers.get('content-type') ?? '').includes('ndjson')) {
    return payloadOf(response);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    buffered += decoder.decode(value, { stream: !done });
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines.filter((l) => l.trim())) {
      const message = JSON.parse(line);
      if (message.progress) onProgress(message.progress.done, message.progress.total);
      if ('result' in message) return message.result;
      if (message.error) throw new ApiError(response.status, message.error);
    }
    if (done) throw new Error('The answer ended before the action said how it ended');
  }
}

/** Builds an element without innerHTML: text is always text, never markup. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      node.addEventListener(name.slice(2), value);
    } else if (value === true) {
      node.setAttribute(name, '');
    } else {
      node.setAttribute(name, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A table from rows of cells (strings or nodes). */
export function table(headings, rows, caption) {
  return el(
    'table',
    {},
    caption ? el('caption', { class: 'muted' }, caption) : null,
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        headings.map((h) => el('th', { scope: 'col' }, h)),
      ),
    ),
    el(
      'tbody',
      {},
      rows.length === 0
        ? el('tr', {}, el('td', { colspan: headings.length, class: 'muted' }, 'Nothing here.'))
        : rows.map((cells) =>
            el(
              'tr',
              {},
              cells.map((cell) => el('td', {}, cell)),
            ),
          ),
    ),
  );
}

/** A small form asking for a reason (or note), then running `act(text, statusElement)`. */
export function reasonForm(label, button, act) {
  const id = `f${Math.random().toString(36).slice(2)}`;
  const input = el('input', { id, type: 'text', required: true, maxlength: 500, size: 40 });
  const status = el('span', { role: 'status' });
  const form = el(
    'form',
    {
      onsubmit: async (event) => {
        event.preventDefault();
        if (!input.value.trim()) return;
        status.textContent = 'working…';
        try {
          status.textContent = await act(input.value.trim(), status);
        } catch (error) {
          status.replaceChildren(errorBox(error));
        }
      },
    },
    el('label', { for: id }, `${label} `),
    input,
    el('button', { type: 'submit' }, button),
    ' ',
    status,
  );
  return form;
}

export const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');

export function errorBox(error) {
  return el('p', { class: 'error', role: 'alert' }, error?.message ?? String(error));
}

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

let cleanup;

function showSignIn(message) {
  document.getElementById('sign-in').hidden = false;
  document.getElementById('page').replaceChildren();
  document.getElementById('nav').hidden = true;
  document.getElementById('sign-out').hidden = true;
  document.getElementById('who').textContent = '';
  document.getElementById('sign-in-error').textContent = message ?? '';
  document.getElementById('token').focus();
}

function parseHash() {
  const raw = decodeURIComponent(location.hash.replace(/^#/, ''));
  const [pathPart, queryPart = ''] = raw.split('?');
  return { path: pathPart, query: Object.fromEntries(new URLSearchParams(queryPart)) };
}

let user;
// Counts route() calls: a visit that is no longer the newest keeps its hands off the page.
let visits = 0;

async function route() {
  if (typeof cleanup === 'function') cleanup();
  cleanup = undefined;
  const visit = ++visits;
  if (!token.get()) return showSignIn();
  const page = document.getElementById('page');
  const { path, query } = parseHash();
  const match = ROUTES.map((r) => ({ r, m: r.pattern.exec(path) })).find(({ m }) => m);
  if (!match) {
    page.replaceChildren(el('h1', {}, 'Not found'), el('p', {}, `No page at #${path}.`));
    return;
  }
  const params = Object.fromEntries(match.r.names.map((name, i) => [name, match.m[i + 1]]));
  for (const link of document.querySelectorAll('nav a')) {
    const current = link.getAttribute('href').slice(2).split('/')[0] === path.split('/')[1];
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  let timer;
  const refreshEvery = (ms, refresh) => {
    timer = setInterval(refresh, ms);
  };
  // Each visit renders into an element of its own. A page still loading when the operator moves
  // on (the overview waiting for its figures) then draws into a detached element, not over the
  // page they moved to and whatever they were typing there.
  const container = el('div');
  try {
    const module = await import(`/console/pages/${match.r.page}.js`);
    if (visit !== visits) return;
    page.replaceChildren(container);
    const pageCleanup = await module.render(container, {
      params,
      query,
      user,
      api,
      navigate,
      refreshEvery,
    });
    const stop = () => {
      clearInterval(timer);
      if (typeof pageCleanup === 'function') pageCleanup();
    };
    if (visit !== visits) return stop(); // its refresh timer must not outlive it
    cleanup = stop;
  } catch (error) {
    clearInterval(timer);
    if (visit === visits) page.replaceChildren(errorBox(error));
  }
}

async function start() {
  document.getElementById('sign-in').hidden = true;
  try {
    user = await api('session');
  } catch (error) {
    if (error.status === 403) {
      token.clear();
      return showSignIn('This token has neither the viewer nor the operator role.');
    }
    if (error.status === 401) return;
    return document.getElementById('page').replaceChildren(errorBox(error));
  }
  document.getElementById('nav').hidden = false;
  document.getElementById('sign-out').hidden = false;
  document.getElementById('who').textContent = `${user.subject} (${user.role})`;
  await route();
}

document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const value = document.getElementById('token').value.trim();
    if (!value) return;
    token.set(value);
    document.getElementById('token').value = '';
    void start();
  });
  document.getElementById('sign-out').addEventListener('click', () => {
    token.clear();
    user = undefined;
    showSignIn();
  });
  window.addEventListener('hashchange', () => {
    if (user) void route();
  });
  if (token.get()) void start();
  else showSignIn();
});
