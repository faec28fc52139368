/* global document, window, fetch, sessionStorage, setTimeout, clearTimeout, AbortController */
// The dashboard page: reads the stream (snapshot, then deltas), keeps every strategy's digest
// and history, and renders the tiles in view, the summary, the cluster panel and the event log.
// The admin token is asked once, kept in sessionStorage and sent only as a header.
import { readEventStream } from './sse.js';
import { History, TileGrid, severity } from './tiles.js';

const BASE = document.body.dataset.base;
const TOKEN_KEY = 'dw-dashboard-token';
const $ = (id) => document.getElementById(id);

const state = {
  subsystem: 'resilience',
  digests: new Map(),
  histories: new Map(),
  events: [],
  lastSeq: 0,
  order: [],
};
let token = sessionStorage.getItem(TOKEN_KEY) ?? '';
let connection;
let retryTimer;

const grid = new TileGrid($('tiles'), (action, id) => void confirmAction(action, id));
grid.onVisible = (id) => grid.renderOne(id, state.digests.get(id), state.histories.get(id));

function authHeaders(extra = {}) {
  return token ? { ...extra, authorization: `Bearer ${token}` } : extra;
}

function say(text, kind = 'info') {
  const m = $('message');
  m.textContent = text;
  m.dataset.kind = kind;
}

function setConnection(text, kind) {
  const c = $('connection');
  c.textContent = text;
  c.dataset.kind = kind;
}

async function connect() {
  clearTimeout(retryTimer);
  connection?.abort();
  const controller = new AbortController();
  connection = controller;
  setConnection('connecting', 'wait');
  try {
    const res = await fetch(`${BASE}/events`, { headers: authHeaders(), cache: 'no-store', signal: controller.signal });
    if (res.status === 401) {
      setConnection('token needed', 'bad');
      say('The admin API needs a token: enter it above (it stays in this tab only).', 'error');
      $('token').focus();
      return;
    }
    if (!res.ok) throw new Error(`stream answered ${res.status}`);
    setConnection('live', 'ok');
    await readEventStream(res, (event, data) => onEvent(event, JSON.parse(data)));
    if (!controller.signal.aborted) throw new Error('stream ended');
  } catch (error) {
    if (controller.signal.aborted) return;
    setConnection('reconnecting', 'wait');
    say(`Stream interrupted (${error.message}); reconnecting…`, 'warn');
    retryTimer = setTimeout(connect, 2000);
  }
}

function onEvent(event, msg) {
  if (event === 'snapshot') {
    state.subsystem = msg.subsystem;
    $('node').textContent = `· ${msg.nodeId}`;
    for (const id of state.digests.keys()) grid.remove(id);
    state.digests.clear();
    state.histories.clear();
    applyStrategies(msg.strategies, msg.t);
    renderSummary(msg.summary, msg.available);
    renderCluster(msg.cluster, msg.nodes);
    addEvents(msg.events);
    if (!$('message').dataset.kind || $('message').dataset.kind === 'warn') say('');
  } else if (event === 'delta') {
    for (const id of msg.removed ?? []) {
      state.digests.delete(id);
      state.histories.delete(id);
      grid.remove(id);
    }
    applyStrategies(msg.changed ?? [], msg.t);
    if (msg.summary !== undefined || msg.available !== undefined)
      renderSummary(msg.summary ?? state.summary, msg.available ?? state.available);
    if (msg.cluster !== undefined || msg.nodes !== undefined)
      renderCluster(msg.cluster ?? state.cluster, msg.nodes ?? state.nodes);
    if (msg.events !== undefined) addEvents(msg.events);
  }
  $('updated').textContent = `updated ${new Date(msg.at).toLocaleTimeString()}`;
  document.body.dataset.updates = String(Number(document.body.dataset.updates ?? 0) + 1);
  relayout();
  grid.render(state.digests, state.histories);
}

/** Folds changed digests in; every strategy gets a history point per update (unchanged = same values). */
function applyStrategies(changed, tMs) {
  for (const d of changed) state.digests.set(d.id, d);
  const t = tMs / 1000;
  for (const [id, d] of state.digests) {
    let h = state.histories.get(id);
    if (h === undefined) state.histories.set(id, (h = new History()));
    h.push(t, d);
  }
}

function relayout() {
  const filter = $('filter').value.trim().toLowerCase();
  const ids = [...state.digests.keys()].filter((id) => id.toLowerCase().includes(filter));
  if ($('sort').value === 'name') ids.sort();
  else {
    const score = new Map(ids.map((id) => [id, severity(state.digests.get(id), state.histories.get(id))]));
    ids.sort((a, b) => score.get(b) - score.get(a) || (a < b ? -1 : 1));
  }
  $('count').textContent = `${ids.length} of ${state.digests.size} strategies`;
  grid.layout(ids);
}

function renderSummary(summary, available) {
  state.summary = summary;
  state.available = available;
  if (available === false) {
    $('summary').textContent = `subsystem '${state.subsystem}' not found`;
    return;
  }
  const c = summary.circuits;
  const t = summary.totals;
  $('summary').textContent =
    `${summary.activeStrategies}/${summary.registeredStrategies} strategies active · ` +
    `circuits open ${c.open ?? 0}, half-open ${c.halfOpen ?? 0}, isolated ${c.isolated ?? 0} · ` +
    `calls ${t.calls ?? 0}, failures ${t.failures ?? 0} · backpressure ${summary.backpressure}`;
}

function renderCluster(cluster, nodes) {
  state.cluster = cluster;
  state.nodes = nodes;
  const root = $('cluster');
  const rows = [
    ['replication', cluster.enabled ? `on (${cluster.connectionState ?? '?'})` : 'off'],
    ['published / received / applied', `${cluster.published} / ${cluster.received} / ${cluster.applied}`],
    [
      'lag p50 / p99 / max',
      `${cluster.lagMs.p50 ?? '–'} / ${cluster.lagMs.p99 ?? '–'} / ${cluster.lagMs.max ?? '–'} ms (${cluster.lagMs.count})`,
    ],
    [
      'rejected messages',
      `${cluster.rejectedTotal}${
        cluster.rejectedTotal
          ? ` (${Object.entries(cluster.rejected)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')})`
          : ''
      }`,
    ],
    ['nodes seen', String(nodes.length)],
  ];
  const table = document.createElement('table');
  for (const [k, v] of rows) table.insertRow().append(cell('th', k), cell('td', v));
  for (const n of nodes)
    table
      .insertRow()
      .append(
        cell('th', n.node),
        cell('td', `${n.strategyId} → ${n.to} at ${new Date(n.lastAt).toLocaleTimeString()} (${n.transitions})`),
      );
  root.replaceChildren(table);
}

function cell(tag, text) {
  const c = document.createElement(tag);
  c.textContent = text;
  return c;
}

function addEvents(events) {
  const list = $('events');
  for (const e of events) {
    if (e.seq <= state.lastSeq) continue;
    state.lastSeq = e.seq;
    const li = document.createElement('li');
    li.dataset.origin = e.origin;
    const who = e.origin === 'remote' && e.remoteNode ? `remote ${e.remoteNode}` : e.origin;
    li.textContent = `${new Date(e.at).toLocaleTimeString()} ${e.strategyId}: ${e.from} → ${e.to} (${who}) ${e.reason}`;
    list.prepend(li);
  }
  while (list.children.length > 200) list.lastElementChild.remove();
}

/** Asks for confirmation, then runs the action through the admin API's own routes. */
async function confirmAction(action, id) {
  const dialog = $('confirm');
  const limit = action === 'limit';
  $('confirm-limit-label').hidden = !limit;
  if (limit) $('confirm-limit').value = String(state.digests.get(id)?.maxConcurrency ?? 1);
  $('confirm-text').textContent = limit ? `Change the bulkhead limit of '${id}'?` : `${action} the circuit of '${id}'?`;
  dialog.returnValue = '';
  dialog.showModal();
  await new Promise((resolve) => dialog.addEventListener('close', resolve, { once: true }));
  if (dialog.returnValue !== 'ok') return;
  const sub = encodeURIComponent(state.subsystem);
  let url;
  let body;
  let method = 'POST';
  if (limit) {
    const n = Number($('confirm-limit').value);
    url = `/subsystems/${sub}/limits`;
    method = 'PATCH';
    body = { strategies: { [id]: { bulkhead: { maxConcurrency: n } } } };
  } else {
    url = `/subsystems/${sub}/actions/${action}`;
    body = { strategyId: id, reason: 'dashboard operator' };
  }
  try {
    const res = await fetch(url, {
      method,
      headers: authHeaders({ 'content-type': 'application/json' }),
      body: JSON.stringify(body),
    });
    const answer = await res.json().catch(() => ({}));
    if (!res.ok) {
      const e = answer.error ?? {};
      say(`${action} '${id}' failed: ${res.status} ${e.code ?? ''} ${e.message ?? ''}`, 'error');
      return;
    }
    say(`${action} '${id}': done`, 'ok');
  } catch (error) {
    say(`${action} '${id}' failed: ${error.message}`, 'error');
  }
}

$('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  token = $('token').value.trim();
  $('token').value = '';
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  say(token ? 'Token set for this tab.' : 'Token cleared.', 'ok');
  void connect();
});
$('token-forget').addEventListener('click', () => {
  token = '';
  sessionStorage.removeItem(TOKEN_KEY);
  say('Token forgotten: actions now go without it.', 'ok');
});
$('filter').addEventListener('input', () => {
  relayout();
  grid.render(state.digests, state.histories);
});
$('sort').addEventListener('change', () => relayout());
window.addEventListener('pagehide', () => connection?.abort());

void connect();
