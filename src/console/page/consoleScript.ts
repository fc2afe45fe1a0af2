/**
 * The console's browser script, an ES module served as `/assets/console.js`: no framework, no
 * build step. It renders the page the path names from the JSON API, follows `/api/events`
 * (server-sent events) for live updates, and sends the operator token (kept in this tab's
 * sessionStorage) with resume and cancel. Written without template literals so that it can
 * live in this TypeScript string and ship in the package's dist/.
 */

/** The script's source. */
export const CONSOLE_SCRIPT = String.raw`// sagaflow console: renders the page for location.pathname from the JSON API.
const TOKEN_KEY = 'sagaflow.console.token';
const main = document.getElementById('main');
const announcer = document.getElementById('announce');
const STATUSES = ['running', 'compensating', 'completed', 'compensated', 'failed', 'unreadable'];

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

function time(ms) {
  return ms ? new Date(ms).toISOString().replace('T', ' ').replace('Z', '') : '';
}

function offset(ms, origin) {
  if (ms === null || origin === null) return '?';
  const d = ms - origin;
  return d < 1000 ? '+' + d + ' ms' : '+' + (d / 1000).toFixed(2) + ' s';
}

function statusBadge(status, needsAttention) {
  const label = needsAttention && status === 'failed' ? 'failed (needs attention)' : status;
  return h('span', { class: 'status status-' + status }, label);
}

function say(message) {
  announcer.textContent = message;
}

// The token: from #token=… once (then dropped from the address bar), else what the form set.
function takeTokenFromHash() {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match) return;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
  history.replaceState(null, '', location.pathname + location.search);
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

function showTokenState() {
  document.getElementById('token-state').textContent = token() ? 'token set for this tab' : 'no token: resume and cancel will be refused';
}

async function api(path, options) {
  const response = await fetch(path, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(body.message || response.status + ' ' + response.statusText);
    error.status = response.status;
    error.code = body.error;
    throw error;
  }
  return body;
}

function operate(path, body) {
  const headers = { 'content-type': 'application/json' };
  if (token()) headers.authorization = 'Bearer ' + token();
  return api(path, { method: 'POST', headers, body: JSON.stringify(body || {}) });
}

function sagaLink(sagaId) {
  return h('a', { href: '/sagas/' + encodeURIComponent(sagaId), class: 'mono' }, sagaId);
}

function progress(s) {
  let text = s.succeeded + '/' + s.steps + ' steps';
  if (s.skipped > 0) text += ', ' + s.skipped + ' skipped';
  if (s.compensationPlanned !== null) text += ', ' + s.compensated + '/' + s.compensationPlanned + ' compensated';
  return text;
}

// Live updates: one stream for every page; each page says what it does with a saga's change.
let onSaga = () => {};
function follow() {
  const state = document.getElementById('live-state');
  const source = new EventSource('/api/events');
  source.addEventListener('ready', () => {
    state.textContent = 'Live updates: on';
    document.body.dataset.live = 'on';
  });
  source.addEventListener('saga', (message) => onSaga(JSON.parse(message.data)));
  source.addEventListener('error', () => {
    state.textContent = 'Live updates: reconnecting…';
    document.body.dataset.live = 'off';
  });
  window.addEventListener('pagehide', () => source.close());
}

// ---- the sagas list -------------------------------------------------------
function sagaRow(s) {
  return h(
    'tr',
    { 'data-saga-id': s.sagaId, 'data-status': s.status },
    h('td', {}, sagaLink(s.sagaId)),
    h('td', {}, s.saga ? s.saga + '@' + s.version : '?'),
    h('td', {}, statusBadge(s.status, s.needsAttention)),
    h('td', {}, progress(s)),
    h('td', { class: 'num' }, s.events),
    h('td', { class: 'nowrap' }, time(s.startedAt)),
    h('td', { class: 'nowrap' }, time(s.updatedAt)),
  );
}

function matches(s, filters) {
  if (filters.saga && s.saga !== filters.saga) return false;
  if (filters.status === 'attention') return s.status === 'failed' && s.needsAttention;
  return !filters.status || s.status === filters.status;
}

async function listPage(info) {
  const params = new URLSearchParams(location.search);
  const filters = { status: params.get('status') || '', saga: params.get('saga') || '' };
  const statusSelect = h(
    'select',
    { id: 'filter-status', name: 'status' },
    h('option', { value: '' }, 'any'),
    STATUSES.map((s) => h('option', { value: s, selected: filters.status === s }, s)),
    h('option', { value: 'attention', selected: filters.status === 'attention' }, 'needs attention'),
  );
  const names = info.sagaNames.includes(filters.saga) || !filters.saga ? info.sagaNames : info.sagaNames.concat([filters.saga]);
  const sagaSelect = h(
    'select',
    { id: 'filter-saga', name: 'saga' },
    h('option', { value: '' }, 'any'),
    names.map((n) => h('option', { value: n, selected: filters.saga === n }, n)),
  );
  const form = h(
    'form',
    { class: 'filters', role: 'search', method: 'get', action: '/', 'aria-label': 'Filter sagas' },
    h('label', {}, 'Status', statusSelect),
    h('label', {}, 'Saga', sagaSelect),
    h('button', { type: 'submit' }, 'Filter'),
  );
  const rows = h('tbody', { id: 'saga-rows' });
  const caption = h('caption', { id: 'saga-count' });
  const table = h(
    'table',
    { id: 'sagas' },
    caption,
    h(
      'thead',
      {},
      h('tr', {}, ['Saga id', 'Saga', 'Status', 'Progress', 'Events', 'Started (UTC)', 'Updated (UTC)'].map((c) => h('th', { scope: 'col', class: c === 'Events' ? 'num' : null }, c))),
    ),
    rows,
  );
  const more = h('button', { type: 'button', hidden: true }, 'Show older sagas');
  let total = 0;
  let next = null;
  const count = () => {
    caption.textContent = total + ' saga(s)' + (filters.status || filters.saga ? ' matching the filters' : '') + ', newest first';
  };
  async function load(cursor) {
    const query = new URLSearchParams();
    if (filters.status) query.set('status', filters.status);
    if (filters.saga) query.set('saga', filters.saga);
    if (cursor) query.set('cursor', cursor);
    const page = await api('/api/sagas?' + query.toString());
    for (const s of page.sagas) if (!rows.querySelector('[data-saga-id="' + CSS.escape(s.sagaId) + '"]')) rows.append(sagaRow(s));
    total = page.total;
    next = page.next;
    more.hidden = next === null;
    count();
  }
  more.addEventListener('click', () => load(next));
  main.replaceChildren(h('h1', {}, 'Sagas'), form, table, more);
  await load(null);
  onSaga = (s) => {
    const existing = rows.querySelector('[data-saga-id="' + CSS.escape(s.sagaId) + '"]');
    if (!matches(s, filters)) {
      if (existing) {
        existing.remove();
        total -= 1;
        count();
      }
      return;
    }
    const row = sagaRow(s);
    if (existing) {
      if (existing.classList.contains('fresh')) row.classList.add('fresh');
      existing.replaceWith(row);
      return;
    }
    row.classList.add('fresh');
    rows.prepend(row);
    total += 1;
    count();
    say('New saga ' + s.sagaId + ' (' + s.saga + ') started');
  };
}

// ---- one saga ---------------------------------------------------------------
function stateView(replayed) {
  const s = replayed.state;
  const steps = h(
    'table',
    { id: 'state-steps' },
    h('caption', {}, 'Steps at revision ' + replayed.revision),
    h('thead', {}, h('tr', {}, ['Step', 'Status', 'Attempts', 'Compensation attempts', 'Last error'].map((c) => h('th', { scope: 'col' }, c)))),
    h(
      'tbody',
      {},
      s.steps.map((step) =>
        h(
          'tr',
          { 'data-step': step.name },
          h('td', {}, step.name + (step.optional ? ' (optional)' : '')),
          h('td', {}, step.status),
          h('td', { class: 'num' }, step.attempts),
          h('td', { class: 'num' }, step.compensationAttempts),
          h('td', {}, step.lastError ? step.lastError.code + ': ' + step.lastError.message : ''),
        ),
      ),
    ),
  );
  const facts = h(
    'dl',
    { class: 'facts' },
    h('dt', {}, 'Status'),
    h('dd', { id: 'state-status' }, statusBadge(s.status, s.needsAttention)),
    h('dt', {}, 'Succeeded'),
    h('dd', {}, s.succeeded.join(' → ') || 'none'),
    h('dt', {}, 'Compensation'),
    h('dd', {}, s.compensation ? 'plan ' + (s.compensation.plan.join(' → ') || 'nothing') + '; done ' + (s.compensation.done.join(' → ') || 'none') : 'none'),
    h('dt', {}, 'In flight'),
    h('dd', {}, s.inFlight ? s.inFlight.phase + ' ' + s.inFlight.step + ' attempt ' + s.inFlight.attempt : 'nothing'),
    h('dt', {}, 'Failure'),
    h('dd', {}, s.failure ? s.failure.kind + ' at ' + (s.failure.step || 'the saga') + ': ' + s.failure.code + ': ' + s.failure.message : 'none'),
    h('dt', {}, 'Invariants'),
    h('dd', { id: 'state-violations', class: replayed.violations.length ? 'broken' : null }, replayed.violations.length ? replayed.violations.join('; ') : 'valid'),
  );
  return [facts, steps, h('details', {}, h('summary', {}, 'Outputs and input'), h('pre', {}, JSON.stringify({ input: s.input, outputs: s.outputs }, null, 2)))];
}

function eventTable(events) {
  const origin = events.length && events[0].at !== null ? events[0].at : null;
  return h(
    'table',
    { id: 'events' },
    h('caption', {}, events.length + ' event(s)'),
    h('thead', {}, h('tr', {}, ['Rev', 'Time', 'Event', 'Step', 'Attempt', 'Details', 'Worker'].map((c) => h('th', { scope: 'col' }, c)))),
    h(
      'tbody',
      {},
      events.map((e) =>
        h(
          'tr',
          { id: 'event-' + e.revision, 'data-type': e.type },
          h('td', { class: 'num' }, e.revision),
          h('td', { title: e.recordedAt, class: 'nowrap' }, offset(e.at, origin)),
          h('td', {}, e.type),
          h('td', {}, e.step),
          h('td', { class: 'num' }, e.attempt === null ? '' : e.attempt),
          h('td', {}, e.details, h('details', {}, h('summary', {}, 'data'), h('pre', {}, JSON.stringify(e.data, null, 2)))),
          h('td', { class: 'mono' }, e.worker),
        ),
      ),
    ),
  );
}

async function sagaPage(sagaId) {
  let saga;
  try {
    saga = await api('/api/sagas/' + encodeURIComponent(sagaId));
  } catch (error) {
    main.replaceChildren(h('h1', {}, 'Saga ' + sagaId), h('p', { class: 'error' }, error.message), h('p', {}, h('a', { href: '/' }, 'All sagas')));
    return;
  }
  document.title = 'Saga ' + sagaId + ' · sagaflow console';
  const result = h('p', { id: 'action-result', role: 'status' });
  const actions = h('div', { class: 'actions' });
  const slider = h('input', { id: 'revision', type: 'range', min: 0, step: 1 });
  const label = h('output', { id: 'revision-label', for: 'revision' });
  const statePanel = h('div', { id: 'state', class: 'panel', 'aria-live': 'polite' });
  const eventsHolder = h('div');
  const problems = h('div', { id: 'problems' });
  const cli = h('pre', { id: 'cli-timeline' });
  let requested = 0;
  let rendered = false;

  async function replay(revision) {
    const mine = ++requested;
    const replayed = await api('/api/sagas/' + encodeURIComponent(sagaId) + '/replay?to=' + revision);
    if (mine !== requested) return;
    label.textContent = 'revision ' + replayed.revision + ' of ' + slider.max + ': ' + replayed.event;
    statePanel.replaceChildren(...stateView(replayed));
    for (const row of eventsHolder.querySelectorAll('tr.selected')) row.classList.remove('selected');
    const row = document.getElementById('event-' + replayed.revision);
    if (row) row.classList.add('selected');
  }
  let timer;
  slider.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => replay(Number(slider.value)).catch((e) => say(e.message)), 100);
  });

  function render() {
    const s = saga.state;
    const last = saga.events.length - 1;
    // A range input starts at its midpoint: the first render puts it at the last revision.
    const atEnd = !rendered || Number(slider.value) === Number(slider.max);
    rendered = true;
    slider.max = String(last);
    if (atEnd) slider.value = String(last);
    eventsHolder.replaceChildren(eventTable(saga.events));
    problems.replaceChildren(
      saga.problems.length
        ? h('ul', { class: 'broken' }, saga.problems.map((p) => h('li', {}, p)))
        : h('p', {}, 'Valid: every state along the stream keeps the invariants.'),
    );
    cli.textContent = saga.timeline.join('\n');
    actions.replaceChildren();
    if (s && s.status === 'failed') {
      actions.append(h('button', { type: 'button', id: 'resume', onclick: () => resume() }, 'Resume this saga'));
    }
    if (s && s.status === 'running' && s.cancelRequested === null) {
      const reason = h('input', { id: 'cancel-reason', name: 'reason', required: true, maxlength: 500 });
      actions.append(
        h(
          'form',
          { class: 'inline', onsubmit: (event) => { event.preventDefault(); cancel(reason.value); } },
          h('label', {}, 'Reason', reason),
          h('button', { type: 'submit', id: 'cancel' }, 'Cancel this saga'),
        ),
      );
    }
    summary.replaceChildren(
      h('dt', {}, 'Saga'),
      h('dd', {}, s ? s.saga + '@' + s.version : '?'),
      h('dt', {}, 'Status'),
      h('dd', { id: 'saga-status' }, s ? statusBadge(s.status, s.needsAttention) : h('span', { class: 'error' }, saga.error || 'no SagaStarted')),
      h('dt', {}, 'Started'),
      h('dd', {}, s ? time(s.startedAt) + ' UTC' : ''),
      h('dt', {}, 'Events'),
      h('dd', {}, saga.events.length),
    );
    return atEnd ? replay(last) : Promise.resolve();
  }

  async function reload() {
    saga = await api('/api/sagas/' + encodeURIComponent(sagaId));
    await render();
  }

  async function resume() {
    try {
      const done = await operate('/api/sagas/' + encodeURIComponent(sagaId) + '/resume');
      result.className = '';
      result.textContent = done.runsHere ? 'Resumed: the console runs the saga now.' : 'Resumed: a worker on this store runs it (sagaflow worker).';
    } catch (error) {
      result.className = 'error';
      result.textContent = 'Not resumed: ' + error.message;
    }
    await reload();
  }

  async function cancel(reason) {
    try {
      await operate('/api/sagas/' + encodeURIComponent(sagaId) + '/cancel', { reason });
      result.className = '';
      result.textContent = 'Cancel requested: the saga compensates what it did.';
    } catch (error) {
      result.className = 'error';
      result.textContent = 'Not cancelled: ' + error.message;
    }
    await reload();
  }

  const summary = h('dl', { class: 'facts', id: 'saga-facts' });
  main.replaceChildren(
    h('h1', {}, 'Saga ', h('span', { class: 'mono' }, sagaId)),
    summary,
    actions,
    result,
    h('h2', {}, 'Invariants'),
    problems,
    h('h2', {}, 'State at a revision'),
    h('div', { class: 'slider' }, h('label', { for: 'revision' }, 'Revision'), slider, label),
    statePanel,
    h('h2', {}, 'Events'),
    eventsHolder,
    h('details', {}, h('summary', {}, 'The timeline as sagaflow timeline prints it'), cli),
  );
  await render();
  let pending;
  onSaga = (s) => {
    if (s.sagaId !== sagaId) return;
    clearTimeout(pending);
    pending = setTimeout(() => reload().catch((e) => say(e.message)), 100);
  };
}

// ---- parked sagas ---------------------------------------------------------
async function attentionPage() {
  const rows = h('tbody', { id: 'attention-rows' });
  const caption = h('caption', { id: 'attention-count' });
  const result = h('p', { id: 'action-result', role: 'status' });
  function row(s) {
    const button = h('button', { type: 'button', 'data-resume': s.sagaId }, 'Resume');
    button.addEventListener('click', async () => {
      try {
        const done = await operate('/api/sagas/' + encodeURIComponent(s.sagaId) + '/resume');
        result.className = '';
        result.textContent = 'Resumed ' + s.sagaId + (done.runsHere ? ': the console runs it now.' : ': a worker on this store runs it.');
      } catch (error) {
        result.className = 'error';
        result.textContent = 'Not resumed: ' + error.message;
      }
    });
    return h(
      'tr',
      { 'data-saga-id': s.sagaId },
      h('td', {}, sagaLink(s.sagaId)),
      h('td', {}, s.saga + '@' + s.version),
      h('td', {}, s.failure ? (s.failure.step ? s.failure.step + ': ' : '') + s.failure.message : ''),
      h('td', { class: 'nowrap' }, time(s.updatedAt)),
      h('td', {}, button),
    );
  }
  const page = await api('/api/sagas?status=attention&limit=1000');
  for (const s of page.sagas) rows.append(row(s));
  const count = () => {
    caption.textContent = rows.children.length === 0 ? 'No saga needs attention.' : rows.children.length + ' parked saga(s): fix the cause, then resume';
  };
  count();
  main.replaceChildren(
    h('h1', {}, 'Needs attention'),
    h('p', {}, 'Sagas parked as failed because a compensation kept failing. Resuming one gives its compensation a fresh retry budget.'),
    result,
    h(
      'table',
      { id: 'attention' },
      caption,
      h('thead', {}, h('tr', {}, ['Saga id', 'Saga', 'Why', 'Parked at (UTC)', 'Action'].map((c) => h('th', { scope: 'col' }, c)))),
      rows,
    ),
  );
  onSaga = (s) => {
    const existing = rows.querySelector('[data-saga-id="' + CSS.escape(s.sagaId) + '"]');
    const parked = s.status === 'failed' && s.needsAttention;
    if (existing && !parked) existing.remove();
    else if (!existing && parked) rows.prepend(row(s));
    count();
  };
}

// ---- verify -----------------------------------------------------------------
async function verifyPage() {
  const summary = h('p', { id: 'verify-summary', role: 'status' }, 'Verifying…');
  const rows = h('tbody', { id: 'verify-rows' });
  const again = h('button', { type: 'button' }, 'Verify again');
  async function run() {
    summary.textContent = 'Verifying…';
    const report = await api('/api/verify');
    rows.replaceChildren(
      ...report.streams.map((r) => {
        const ok = r.valid && r.canContinue !== false;
        return h(
          'tr',
          { 'data-saga-id': r.sagaId, 'data-ok': ok ? 'true' : 'false' },
          h('td', { class: ok ? null : 'broken' }, ok ? 'ok' : 'BROKEN'),
          h('td', {}, sagaLink(r.sagaId)),
          h('td', {}, r.saga),
          h('td', {}, statusBadge(r.status, false)),
          h('td', { class: 'num' }, r.events),
          h('td', {}, r.canContinue === null ? 'unknown (start the console with --sagas)' : r.canContinue ? 'yes' : 'no'),
          h('td', {}, r.problems.length ? h('ul', {}, r.problems.map((p) => h('li', {}, p))) : ''),
        );
      }),
    );
    const rate = report.perSecond === null ? '' : ' (' + report.perSecond + ' streams/s)';
    summary.textContent = 'Verified ' + report.total + ' saga(s) in ' + report.ms + ' ms' + rate + ': ' + (report.total - report.broken) + ' ok, ' + report.broken + ' broken';
  }
  again.addEventListener('click', () => run().catch((e) => (summary.textContent = e.message)));
  main.replaceChildren(
    h('h1', {}, 'Verify'),
    h('p', {}, 'Folds every saga stream and checks valid() on every state along it, and canContinue() on the last.'),
    summary,
    again,
    h(
      'table',
      { id: 'verify' },
      h('caption', {}, 'Every stream'),
      h('thead', {}, h('tr', {}, ['Result', 'Saga id', 'Saga', 'Status', 'Events', 'Can continue', 'Problems'].map((c) => h('th', { scope: 'col' }, c)))),
      rows,
    ),
  );
  await run();
}

async function start() {
  takeTokenFromHash();
  showTokenState();
  document.getElementById('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = document.getElementById('token');
    if (input.value.trim()) sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    else sessionStorage.removeItem(TOKEN_KEY);
    input.value = '';
    showTokenState();
  });
  const info = await api('/api/info');
  document.getElementById('store').textContent = 'on ' + info.store;
  const path = location.pathname;
  const nav = path === '/' ? 'list' : path.slice(1).split('/')[0];
  for (const a of document.querySelectorAll('[data-nav]')) if (a.dataset.nav === nav) a.setAttribute('aria-current', 'page');
  follow();
  const saga = /^\/sagas\/([^/]+)$/.exec(path);
  if (saga) await sagaPage(decodeURIComponent(saga[1]));
  else if (path === '/attention') await attentionPage();
  else if (path === '/verify') await verifyPage();
  else await listPage(info);
  document.body.dataset.ready = 'true';
}

start().catch((error) => {
  main.replaceChildren(h('p', { class: 'error', role: 'alert' }, 'The console could not load: ' + error.message));
});
`;
