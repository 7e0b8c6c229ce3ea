// eligo demo page: the list of live orders (/demo/) and one order's two
// screens (/demo/?order=ID). It calls the public v1 API with a customer
// token, as a customer's app would; the token comes from the demo-only
// endpoint /demo/api/orders/{id}.
'use strict';

const MAP_POLL_MS = 30000;     // the article's tracking map: every 30 seconds
const FALLBACK_POLL_MS = 3000; // the chat while its live stream is down
const LIST_REFRESH_MS = 5000;

const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;

// What the policy's reasons mean to a customer. A policy file may name
// others; they are shown as they are.
const REASONS = {
  sla_breached: 'The promised time has passed: you may cancel for a full refund.',
  sla_breached_grace: 'The promised time has passed, and the grace after it too: you may cancel for a full refund.',
  outside_window: 'Cancel opens if the order is not with you by the promised time.',
  driver_at_doorstep: 'Your driver is at your door, so the order can no longer be cancelled.',
  delivered: 'The order was delivered: there is nothing left to cancel.',
  cancelled: 'This order is cancelled.',
  expired: 'This order expired before it was paid.',
  payment_expired: 'The payment did not arrive in time.',
};
const reasonText = (r) => REASONS[r] || `Cancel is not available now (${r}).`;

const DRIVER_STEPS = ['ASSIGNED', 'AT_STORE', 'PICKED_UP', 'ARRIVED_AT_DOORSTEP', 'DELIVERED'];
const DRIVER_WORDS = {
  ASSIGNED: 'assigned', AT_STORE: 'at the store', PICKED_UP: 'on the way',
  ARRIVED_AT_DOORSTEP: 'at the door', DELIVERED: 'delivered',
};

// ---- time: the server's clock, learned from each document's as_of ----

let skewMs = 0; // server clock minus this browser's clock
const serverNow = () => Date.now() + skewMs;
const learnClock = (asOf) => { const t = Date.parse(asOf); if (!Number.isNaN(t)) skewMs = t - Date.now(); };
const clockText = (t) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
function durationText(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const m = Math.floor(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m}:${String(s % 60).padStart(2, '0')}`;
}

// newer reports whether eligibility document a is newer than b: documents
// are ordered by (version, as_of), as the live stream orders them.
function newer(a, b) {
  if (!b) return true;
  if (a.version !== b.version) return a.version > b.version;
  return Date.parse(a.as_of) > Date.parse(b.as_of);
}

// ---- the list of live orders ----

async function showList() {
  $('list-view').hidden = false;
  document.title = 'Live orders · eligo demo';
  const load = listLoader = async () => {
    try {
      const r = await fetch('api/orders', { cache: 'no-store' });
      if (!r.ok) throw new Error(`the order list answered ${r.status}`);
      renderList(await r.json());
    } catch (e) {
      $('list-status').textContent = `Could not load the orders: ${e.message}. Retrying…`;
    }
  };
  $('list-refresh').addEventListener('click', load);
  await load();
  setInterval(load, LIST_REFRESH_MS);
}

let listLoader = null; // reloads the list, on the list view

// segmentText says which rules decide the order: its segment and the
// attributes that put it there, or the default rules.
function segmentText(o) {
  const attrs = Object.entries(o.attributes || {}).map(([k, v]) => `${k}=${v}`).join(', ');
  if (o.segment) return `${o.segment}${attrs ? ` (${attrs})` : ''}`;
  return attrs ? `default (${attrs})` : 'default';
}

// cancelBadge shows eligo's own answer for the order, as the list carries
// it (the same as GET /v1/orders/{id}/eligibility): its reason, and until
// when the answer changes by the clock alone. The page works nothing out
// from promised_at: a late order whose driver is at the door, or whose
// payment expired, is not open for cancel.
function cancelBadge(o) {
  const badge = document.createElement('span');
  const c = o.actions && o.actions.cancel;
  if (!c) {
    badge.className = 'badge';
    badge.textContent = 'no cancel rule';
    return badge;
  }
  badge.className = c.allowed ? 'badge open' : 'badge closed';
  badge.dataset.reason = c.reason;
  let text = `${c.allowed ? 'cancel open' : 'cancel closed'}: ${c.reason}`;
  if (c.until) {
    const until = Date.parse(c.until);
    text += ` · until ${clockText(until)} (in ${durationText(until - serverNow())})`;
  }
  badge.textContent = text;
  badge.title = reasonText(c.reason);
  return badge;
}

function renderList(list) {
  learnClock(list.as_of);
  const table = $('orders');
  const body = table.tBodies[0];
  const focused = document.activeElement && document.activeElement.dataset.order;
  body.replaceChildren(...list.orders.map((o) => {
    const tr = document.createElement('tr');
    const link = document.createElement('a');
    link.href = `?order=${enc(o.id)}`;
    link.textContent = o.id;
    link.dataset.order = o.id;
    const promised = Date.parse(o.promised_at);
    const cells = [link, o.customer_id, segmentText(o), clockText(promised), o.driver_status ? DRIVER_WORDS[o.driver_status] || o.driver_status : 'waiting', cancelBadge(o)];
    for (const c of cells) {
      const td = document.createElement('td');
      td.append(c);
      tr.append(td);
    }
    return tr;
  }));
  table.hidden = list.orders.length === 0;
  if (focused) body.querySelector(`a[data-order="${CSS.escape(focused)}"]`)?.focus();
  $('list-status').textContent = list.orders.length === 0
    ? 'No live orders right now. eligo demo places its orders in its first seconds: run it with a longer --ramp (say --ramp 5m) to have time to pick one, or place an order with POST /v1/orders.'
    : `${list.live} live order${list.live === 1 ? '' : 's'}${list.live > list.orders.length ? `, the ${list.orders.length} due soonest shown` : ''}.`;
}

// ---- one order ----

const state = {
  id: '',
  session: null,      // {order, token, token_expires_at} from the demo endpoint
  order: null,        // the newest order document (GET /v1/orders/{id})
  mapDoc: null,       // the map's answer (polled)
  mapEtag: '',
  mapStatus: '',
  liveDoc: null,      // the chat's answer (pushed)
  shown: null,        // the chat's last announced {allowed, reason}
  hideUntilNewer: null, // after a refusal, hide Cancel until a newer document
  busy: false,        // a cancel is in flight
  closed: false,      // the order reached a final status: nothing more will change
};

async function getSession() {
  const r = await fetch(`api/orders/${enc(state.id)}`, { cache: 'no-store' });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.detail || `the demo endpoint answered ${r.status}`);
  state.session = body;
  return body;
}

// api calls the v1 API with the customer's token, getting a new token
// once when the old one has expired.
async function api(path, init = {}) {
  for (let attempt = 0; ; attempt++) {
    const headers = { ...(init.headers || {}), Authorization: `Bearer ${state.session.token}` };
    const r = await fetch(path, { ...init, headers, cache: 'no-store' });
    if (r.status !== 401 || attempt > 0) return r;
    await getSession();
  }
}

async function showOrder(id) {
  state.id = id;
  $('order-view').hidden = false;
  $('order-id').textContent = id;
  document.title = `Order ${id} · eligo demo`;
  try {
    await getSession();
  } catch (e) {
    return showError(`Could not open order ${id}: ${e.message}`);
  }
  const o = state.session.order;
  const attrs = Object.entries(o.attributes || {}).map(([k, v]) => ` · ${k} ${v}`).join('');
  $('order-sub').textContent = `customer ${o.customer_id} · placed at ${clockText(Date.parse(o.placed_at))}${attrs}`;
  $('promised').textContent = clockText(Date.parse(o.promised_at));
  say('support', `Hi! I'm following order ${id} for you. It is promised for ${clockText(Date.parse(o.promised_at))}.`);
  $('cancel').addEventListener('click', pressCancel);
  $('check-now').addEventListener('click', () => pollMap());
  await fetchOrder();
  pollMap();
  openStream();
  setInterval(tick, 250);
}

function showError(text) {
  for (const v of ['list-view', 'order-view']) $(v).hidden = true;
  $('error-text').textContent = text;
  $('error-view').hidden = false;
}

// fetchOrder reads the order document: the driver's progress and status.
let fetching = null;
function fetchOrder() {
  fetching ??= (async () => {
    try {
      const r = await api(`/v1/orders/${enc(state.id)}`);
      if (r.ok) {
        const o = await r.json();
        if (!state.order || o.version > state.order.version) state.order = o;
        renderProgress();
        if (o.status !== 'PLACED') finish();
      }
    } catch { /* the next document asks again */ }
    fetching = null;
  })();
  return fetching;
}

// sawVersion is told the version of every document: a newer one means the
// order changed, so the driver's progress is read again.
function sawVersion(v) {
  if (!state.order || v > state.order.version) fetchOrder();
}

function renderProgress() {
  const o = state.order;
  const driver = (o && o.driver_status) || 'NONE';
  $('route').dataset.driver = o && o.status === 'CANCELLED' ? 'CANCELLED' : driver;
  const at = DRIVER_STEPS.indexOf(driver);
  for (const li of $('steps').children) {
    const i = DRIVER_STEPS.indexOf(li.dataset.step);
    li.classList.toggle('done', i <= at);
    if (i === at) li.setAttribute('aria-current', 'step'); else li.removeAttribute('aria-current');
  }
  tick();
}

// ---- the map: polled every 30 s (and at until) with If-None-Match ----

let mapTimer = 0;
async function pollMap() {
  clearTimeout(mapTimer);
  let next = MAP_POLL_MS;
  try {
    const headers = state.mapEtag ? { 'If-None-Match': state.mapEtag } : {};
    const r = await api(`/v1/orders/${enc(state.id)}/eligibility?action=cancel`, { headers });
    if (r.status === 304) {
      state.mapStatus = '304 not modified';
    } else if (r.ok) {
      state.mapEtag = r.headers.get('ETag') || '';
      state.mapDoc = await r.json();
      state.mapStatus = `200, version ${state.mapDoc.version}`;
      learnClock(state.mapDoc.as_of);
      sawVersion(state.mapDoc.version);
    } else {
      state.mapStatus = `error ${r.status}`;
      next = FALLBACK_POLL_MS;
    }
  } catch {
    state.mapStatus = 'eligo unreachable';
    next = FALLBACK_POLL_MS;
  }
  state.mapAskedAt = serverNow();
  // The answer changes by the clock alone at until: ask again then.
  const until = state.mapDoc && state.mapDoc.actions.cancel.until;
  if (until) next = Math.min(next, Math.max(50, Date.parse(until) - serverNow() + 50));
  // Once the order is over, the map stops after it has seen the end.
  const seenEnd = state.closed && state.mapDoc && state.order && state.mapDoc.version >= state.order.version;
  state.mapNextAt = seenEnd ? 0 : Date.now() + next;
  if (!seenEnd) mapTimer = setTimeout(pollMap, next);
  renderMap();
}

function renderMap() {
  const d = state.mapDoc && state.mapDoc.actions.cancel;
  if (d) {
    $('map-answer').textContent = d.allowed ? 'allowed' : 'not allowed';
    $('map-answer').className = d.allowed ? 'yes' : 'no';
    $('map-reason').textContent = d.reason;
  }
  if (state.mapAskedAt) $('map-checked').textContent = `${clockText(state.mapAskedAt)} · ${state.mapStatus}`;
  tick();
}

// tick redraws the countdown to until, and says when the map's answer is
// older than what the chat knows.
function tick() {
  const d = state.mapDoc && state.mapDoc.actions.cancel;
  if (!d) return;
  $('countdown').textContent = d.until
    ? `in ${durationText(Date.parse(d.until) - serverNow())} (at ${clockText(Date.parse(d.until))})`
    : 'not by the clock alone';
  const known = Math.max(state.order ? state.order.version : 0, state.liveDoc ? state.liveDoc.version : 0);
  const stale = known > state.mapDoc.version;
  $('map-stale').hidden = !stale;
  if (stale) {
    $('map-stale').textContent = `The order changed since the map asked (version ${state.mapDoc.version}, now ${known}).`
      + (state.mapNextAt ? ` The map asks again in ${durationText(state.mapNextAt - Date.now())}; the chat already knows.` : '');
  }
}

// ---- the chat: the live stream (Server-Sent Events) ----

let stream = null;
let retryMs = 500;
let retryTimer = 0;
let fallbackTimer = 0;
let fallbackEtag = '';

function setLive(mode, text) {
  document.body.dataset.live = mode;
  $('live-status').textContent = text;
  $('live-status').className = `hint live ${mode}`;
}

async function openStream() {
  clearTimeout(retryTimer);
  if (state.closed) return;
  // A token that expires within the minute is renewed first: the stream
  // would be closed at its expiry.
  if (Date.parse(state.session.token_expires_at) - Date.now() < 60000) {
    try { await getSession(); } catch { return retryStream(); }
  }
  setLive('connecting', 'live: connecting…');
  const es = new EventSource(`/v1/orders/${enc(state.id)}/live?access_token=${enc(state.session.token)}`);
  stream = es;
  es.onopen = () => {
    retryMs = 500;
    stopFallback();
    setLive('open', 'live: connected');
  };
  es.onmessage = (e) => {
    try { onLiveDoc(JSON.parse(e.data)); } catch { /* not a document */ }
  };
  // The server says goodbye: 1001 when it shuts down, 1008 when the token
  // expired. Either way: a new stream, whose first document is the state.
  es.addEventListener('close', (e) => {
    es.close();
    let code = 0;
    try { code = JSON.parse(e.data).code; } catch { /* no reason given */ }
    if (code === 1008) state.session.token_expires_at = new Date(0).toISOString();
    retryStream();
  });
  es.onerror = () => {
    if (es.readyState === EventSource.CLOSED) {
      // Refused (401, 404, 429…): the browser will not retry; we do, with a
      // new token in case the old one is the reason (a restarted server).
      state.session.token_expires_at = new Date(0).toISOString();
      retryStream();
    } else {
      setLive('connecting', 'live: reconnecting…');
    }
  };
}

function retryStream() {
  if (stream) stream.close();
  stream = null;
  if (state.closed) return;
  setLive('down', `live: unavailable, retrying in ${Math.round(retryMs / 1000)} s; checking every ${FALLBACK_POLL_MS / 1000} s meanwhile`);
  startFallback();
  retryTimer = setTimeout(openStream, retryMs);
  retryMs = Math.min(retryMs * 2, 30000);
}

// While the stream is down the chat asks for the document instead.
function startFallback() {
  if (fallbackTimer) return;
  const poll = async () => {
    try {
      const headers = fallbackEtag ? { 'If-None-Match': fallbackEtag } : {};
      const r = await api(`/v1/orders/${enc(state.id)}/eligibility?action=cancel`, { headers });
      if (r.status === 200) {
        fallbackEtag = r.headers.get('ETag') || '';
        onLiveDoc(await r.json());
      }
    } catch { /* try again */ }
    if (fallbackTimer) fallbackTimer = setTimeout(poll, FALLBACK_POLL_MS);
  };
  fallbackTimer = setTimeout(poll, 0);
}

function stopFallback() {
  clearTimeout(fallbackTimer);
  fallbackTimer = 0;
}

// onLiveDoc takes one eligibility document: the whole state, never a delta.
// An older one than the chat has is dropped.
function onLiveDoc(doc) {
  if (!doc.actions || !doc.actions.cancel || !newer(doc, state.liveDoc)) return;
  state.liveDoc = doc;
  state.hideUntilNewer = null;
  learnClock(doc.as_of);
  sawVersion(doc.version);
  renderChat();
  tick();
}

// FINAL are the reasons an order in a final status gives.
const FINAL = { CANCELLED: 'cancelled', DELIVERED: 'delivered', EXPIRED: 'expired' };

function renderChat() {
  const d = state.liveDoc && state.liveDoc.actions.cancel;
  const final = state.closed && state.order ? FINAL[state.order.status] : undefined;
  if (!d && !final) return;
  const allowed = !final && d.allowed && !state.hideUntilNewer;
  const reason = final || state.hideUntilNewer || d.reason;
  const before = state.shown;
  if (!before || before.allowed !== allowed || before.reason !== reason) {
    state.shown = { allowed, reason };
    announce(before, allowed, reason);
  }
  const btn = $('cancel');
  const hide = !allowed;
  if (hide && !btn.hidden && document.activeElement === btn) $('cancel-help').focus();
  btn.hidden = hide;
  // Until says when cancel opens: the promise, or later where the policy
  // gives the order's segment a grace after it.
  $('cancel-help').textContent = reason === 'outside_window' && d && d.until
    ? `Cancel opens at ${clockText(Date.parse(d.until))} if the order is not with you by then.`
    : reasonText(reason);
}

// announce tells the customer (and a screen reader, through the chat's
// live log) what changed.
function announce(before, allowed, reason) {
  if (state.busy) return; // the cancel's own answer says it
  if (allowed) {
    say('support', before
      ? 'Your order is late: the promised time has passed. You can cancel it for a full refund with the button below.'
      : 'Your order is late. You can cancel it for a full refund with the button below.');
  } else if (reason === 'outside_window') {
    if (!before) say('support', 'It is on time so far. If it is not with you by the promised time, you can cancel it here.');
  } else if (!before || before.allowed || before.reason !== reason) {
    if (!(reason === 'cancelled' && state.cancelledHere)) say('support', reasonText(reason));
  }
}

async function pressCancel() {
  const btn = $('cancel');
  if (state.busy || btn.hidden) return;
  state.busy = true;
  btn.setAttribute('aria-disabled', 'true');
  btn.textContent = 'Cancelling…';
  say('you', 'Please cancel my order.');
  try {
    const r = await api(`/v1/orders/${enc(state.id)}/cancel`, { method: 'POST' });
    const body = await r.json().catch(() => ({}));
    if (r.ok) {
      state.cancelledHere = true;
      say('support', 'Done: your order is cancelled and you will not be charged.', 'ok');
      if (!state.order || body.version > state.order.version) state.order = body;
      renderProgress();
      finish();
    } else if (r.status === 409) {
      say('support', `Sorry, I could not cancel it. ${reasonText(body.reason)}`, 'refused');
      state.hideUntilNewer = body.reason || 'refused';
    } else {
      say('support', `Sorry, that did not work (${r.status}${body.detail ? `: ${body.detail}` : ''}). Please try again.`, 'refused');
    }
  } catch {
    say('support', 'Sorry, I could not reach eligo. Please try again.', 'refused');
  }
  state.busy = false;
  btn.removeAttribute('aria-disabled');
  btn.textContent = 'Cancel order';
  // The answer above said what happened: take the state as shown.
  const d = state.liveDoc && state.liveDoc.actions.cancel;
  const final = state.closed && state.order ? FINAL[state.order.status] : undefined;
  if (d || final) state.shown = { allowed: !final && d.allowed && !state.hideUntilNewer, reason: final || state.hideUntilNewer || d.reason };
  renderChat();
}

// finish stops watching an order that reached a final status.
function finish() {
  if (state.closed) return;
  state.closed = true;
  clearTimeout(retryTimer);
  stopFallback();
  if (stream) stream.close();
  stream = null;
  const status = state.order ? state.order.status.toLowerCase() : 'closed';
  setLive('closed', `live: closed, the order is ${status}`);
  renderChat();
}

function say(who, text, tone) {
  const li = document.createElement('li');
  li.className = `msg ${who}${tone ? ` ${tone}` : ''}`;
  const name = document.createElement('span');
  name.className = 'who';
  name.textContent = who === 'you' ? 'You' : 'Support';
  const p = document.createElement('p');
  p.textContent = text;
  const time = document.createElement('time');
  time.textContent = clockText(serverNow());
  li.append(name, p, time);
  const chat = $('chat');
  chat.append(li);
  chat.scrollTop = chat.scrollHeight;
}

// ---- the policy: the demo's buttons that change it, for everyone ----

// The demo offers a policy change or two (GET api/policy): applying one
// stores a new version of the policy, and every page watching an order
// whose answer it changes gets the new answer pushed, this one included,
// with no reload. Only the map, which polls, is asked again at once here.
async function showPolicy() {
  let s;
  try {
    const r = await fetch('api/policy', { cache: 'no-store' });
    if (!r.ok) return;
    s = await r.json();
  } catch { return; }
  renderPolicy(s);
}

function renderPolicy(s) {
  if (!s.changes || s.changes.length === 0) return;
  $('policy-box').hidden = false;
  $('policy-version').textContent = s.policy_version;
  $('policy-changes').replaceChildren(...s.changes.map((c) => {
    const btn = document.createElement('button');
    btn.type = 'button';
    btn.className = 'quiet';
    btn.dataset.change = c.name;
    btn.textContent = c.title;
    if (c.in_force) {
      btn.setAttribute('aria-disabled', 'true');
      btn.title = 'These are the rules in force.';
    }
    btn.addEventListener('click', () => applyPolicy(c));
    return btn;
  }));
}

let applying = false;
async function applyPolicy(c) {
  if (applying || c.in_force) return;
  applying = true;
  $('policy-status').textContent = `Applying “${c.title}”…`;
  try {
    const r = await fetch(`api/policy/${enc(c.name)}`, { method: 'POST', cache: 'no-store' });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(body.detail || `the demo endpoint answered ${r.status}`);
    renderPolicy(body);
    $('policy-status').textContent = `Policy ${body.policy_version} is in force: the pages that watch an order whose answer changed have it now.`;
    if (listLoader) listLoader();
    if (state.id) pollMap();
  } catch (e) {
    $('policy-status').textContent = `Could not apply it: ${e.message}`;
  }
  applying = false;
}

// ---- start ----

const orderId = new URLSearchParams(location.search).get('order');
if (orderId) showOrder(orderId); else showList();
showPolicy();
