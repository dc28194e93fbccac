// orderflow console: a few pages over orderflow's own API. Every value from the API is put into
// the page as text (textContent), never as markup, so a name like <script> shows as written.
'use strict';

const TOKEN_KEY = 'orderflowAdminToken';

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** An element with attributes and children; strings become text nodes. */
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'onclick' || k === 'onsubmit') {
      e.addEventListener(k.substring(2), v);
    } else if (v !== null && v !== undefined) {
      e.setAttribute(k, v);
    }
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined) {
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
  }
  return e;
}

async function api(path, options) {
  const init = Object.assign({headers: {}}, options || {});
  if (path.startsWith('/admin/')) {
    init.headers['Authorization'] = 'Bearer ' + token();
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let body;
  try {
    body = text ? JSON.parse(text) : null;
  } catch (e) {
    body = {error: text};
  }
  if (!response.ok) {
    throw new Error(response.status + ': ' + ((body && body.error) || response.statusText));
  }
  return body;
}

function show(...nodes) {
  const page = document.getElementById('page');
  page.replaceChildren(...nodes);
}

function time(iso) {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '';
}

function params() {
  const hash = location.hash || '#/orders';
  const q = hash.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : hash.substring(q + 1));
}

// ------------------------------------------------------------------ orders

async function ordersPage() {
  const p = params();
  const fields = [['orderId', 'Order id', 'text'], ['email', 'Customer email', 'email'],
    ['since', 'Placed since (ISO-8601)', 'text'], ['until', 'Placed until', 'text']];
  const inputs = {};
  const form = el('form', {class: 'search', id: 'order-search'},
    fields.map(([name, label, type]) => el('label', {}, label,
      inputs[name] = el('input', {name: name, type: type, value: p.get(name) || ''}))),
    el('label', {}, 'Status', inputs.status = el('select', {name: 'status'},
      ['', 'PLACED', 'CONFIRMED', 'REJECTED'].map(s => el('option', s === (p.get('status') || '') ? {value: s, selected: ''} : {value: s},
        s || 'any')))),
    el('button', {type: 'submit', id: 'search'}, 'Search'));
  form.addEventListener('submit', ev => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const [name, input] of Object.entries(inputs)) {
      if (input.value.trim()) {
        q.set(name, input.value.trim());
      }
    }
    location.hash = '#/orders?' + q.toString();
  });
  const result = el('div', {id: 'orders'}, el('p', {class: 'muted'}, 'Loading...'));
  show(el('h2', {}, 'Orders'), form, result);
  const query = new URLSearchParams(p);
  query.set('limit', p.get('limit') || '50');
  try {
    const page = await api('/api/orders?' + query.toString());
    const rows = page.orders.map(o => el('tr', {class: 'order-row'},
      el('td', {}, el('a', {href: '#/order/' + encodeURIComponent(o.orderId), class: 'order-link'}, o.orderId)),
      el('td', {}, o.customerName || ''), el('td', {}, o.customerEmail),
      el('td', {class: 'status-' + o.status}, o.status), el('td', {}, time(o.placedAt)),
      el('td', {}, o.notifiedAt ? time(o.notifiedAt) : (o.notificationFailure ? 'refused: ' + o.notificationFailure : ''))));
    const offset = page.offset;
    const pager = el('div', {class: 'pager'},
      offset > 0 ? el('a', {href: pageLink(p, Math.max(0, offset - page.limit))}, 'Newer') : null,
      page.hasMore ? el('a', {href: pageLink(p, offset + page.limit), id: 'older'}, 'Older') : null);
    result.replaceChildren(rows.length === 0 ? el('p', {}, 'No order matches.') :
      el('table', {}, el('thead', {}, el('tr', {}, ['Order', 'Customer', 'Email', 'Status', 'Placed', 'Notified']
        .map(h => el('th', {}, h)))), el('tbody', {}, rows)), pager);
  } catch (e) {
    result.replaceChildren(el('p', {class: 'error'}, e.message));
  }
}

function pageLink(p, offset) {
  const q = new URLSearchParams(p);
  q.set('offset', String(offset));
  return '#/orders?' + q.toString();
}

async function orderPage(orderId) {
  show(el('h2', {}, 'Order ', orderId), el('p', {class: 'muted'}, 'Loading...'));
  let o;
  try {
    o = await api('/api/orders/' + encodeURIComponent(orderId));
  } catch (e) {
    show(el('h2', {}, 'Order ', orderId), el('p', {class: 'error'}, e.message));
    return;
  }
  const facts = el('dl', {class: 'facts'},
    el('dt', {}, 'Status'), el('dd', {class: 'status-' + o.status, id: 'order-status'}, o.status),
    el('dt', {}, 'Customer'), el('dd', {id: 'order-customer'}, (o.customer.name ? o.customer.name + ' ' : '') + '<' + o.customer.email + '>'),
    el('dt', {}, 'Placed'), el('dd', {}, time(o.placedAt), ' from ', o.source),
    o.rejectionReason ? [el('dt', {}, 'Rejected'), el('dd', {}, o.rejectionReason)] : null,
    el('dt', {}, 'Notified'), el('dd', {id: 'order-notified'}, o.notifiedAt ? [time(o.notifiedAt) + ', Message-ID ',
      // RFC 2392: a mid: address opens the message in a mail client that has it
      el('a', {href: 'mid:' + encodeURIComponent(o.notificationMessageId.replace(/^<|>$/g, ''))}, o.notificationMessageId)]
      : (o.notificationFailure ? 'refused by the mail server: ' + o.notificationFailure : 'not yet')),
    el('dt', {}, 'Trace id'), el('dd', {}, o.traceId || ''));
  const lines = el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'SKU'), el('th', {}, 'Quantity'))),
    el('tbody', {}, o.lines.map(l => el('tr', {}, el('td', {}, l.sku), el('td', {}, String(l.quantity))))));
  const timeline = el('ol', {class: 'timeline', id: 'timeline'}, (o.events || []).map(e => el('li', {class: 'event'},
    el('div', {class: 'type'}, e.type), el('div', {class: 'muted'}, 'emitted by ', e.emittedBy, ' at ', time(e.committedAt),
      e.publishedAt ? ', published ' + time(e.publishedAt) : ', not yet published'),
    el('div', {}, Object.keys(e.consumedBy).length === 0 ? 'not consumed yet'
      : Object.entries(e.consumedBy).map(([service, at]) => service + ' applied it at ' + time(at)).join('; ')),
    e.appliedAtDelivery ? el('div', {class: 'retries'}, Object.entries(e.appliedAtDelivery)
      .map(([service, n]) => service + ' applied it at delivery ' + n + ' (' + (n - 1) + ' retried)').join('; ')) : null,
    e.duplicatesSkipped ? el('div', {class: 'duplicates'}, Object.entries(e.duplicatesSkipped)
      .map(([service, n]) => service + ' received it again ' + n + ' time(s) and skipped it').join('; ')) : null)));
  const failures = el('div', {id: 'order-dead-letters'});
  show(el('h2', {}, 'Order ', o.orderId), facts, el('h3', {}, 'Lines'), lines, el('h3', {}, 'Timeline'), timeline,
    el('h3', {}, 'Dead letters'), failures,
    el('p', {}, el('a', {href: '#/dead-letters?orderId=' + encodeURIComponent(o.orderId)}, 'Dead letters of this order')));
  if (!token()) {
    failures.replaceChildren(el('p', {class: 'muted'}, 'Read-only: enter the admin token to see them here.'));
    return;
  }
  try {
    const page = await api('/admin/dead-letters?orderId=' + encodeURIComponent(o.orderId));
    failures.replaceChildren(page.total === 0 ? el('p', {}, 'None.') : el('ul', {}, page.deadLetters.map(d =>
      el('li', {}, d.source + (d.eventType ? ' ' + d.eventType : '') + ', ' + time(d.failedAt) + ': ' + (d.reason || '')))));
  } catch (e) {
    failures.replaceChildren(el('p', {class: 'error'}, e.message));
  }
}

// ------------------------------------------------------------------ dead letters

async function deadLettersPage() {
  const p = params();
  const head = el('h2', {}, 'Dead letters');
  if (!token()) {
    show(head, el('p', {id: 'read-only'}, 'Read-only: the dead letters need the admin token (orderflow.admin.token). '
      + 'Enter it above; it is kept for this browser session only.'));
    return;
  }
  const inputs = {};
  const filters = el('form', {class: 'search', id: 'dead-letter-filters'},
    el('label', {}, 'Source', inputs.source = el('select', {name: 'source'},
      ['', 'orderflow.dead-letter', 'orders.in.rejected', 'notifications'].map(v => el('option',
        v === (p.get('source') || '') ? {value: v, selected: ''} : {value: v}, v || 'any')))),
    [['eventType', 'Event type'], ['orderId', 'Order id'], ['reason', 'Reason contains'], ['olderThan', 'Older than (e.g. PT1H)']]
      .map(([name, label]) => el('label', {}, label, inputs[name] = el('input', {name: name, value: p.get(name) || ''}))),
    el('button', {type: 'submit', id: 'filter'}, 'Filter'));
  filters.addEventListener('submit', ev => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const [name, input] of Object.entries(inputs)) {
      if (input.value.trim()) {
        q.set(name, input.value.trim());
      }
    }
    location.hash = '#/dead-letters?' + q.toString();
  });
  const result = el('div', {}, el('p', {class: 'muted'}, 'Loading...'));
  show(head, filters, result);
  const query = new URLSearchParams(p);
  try {
    const page = await api('/admin/dead-letters?' + query.toString());
    const boxes = [];
    const rows = page.deadLetters.map(d => {
      const box = el('input', {type: 'checkbox', value: d.id, class: 'pick'});
      boxes.push(box);
      return el('tr', {class: 'dead-letter'}, el('td', {}, box), el('td', {}, d.source), el('td', {}, d.eventType || ''),
        el('td', {}, d.orderId ? el('a', {href: '#/order/' + encodeURIComponent(d.orderId)}, d.orderId) : ''),
        el('td', {}, time(d.failedAt)), el('td', {class: 'reason'}, d.reason || ''));
    });
    const act = async (action) => {
      const ids = boxes.filter(b => b.checked).map(b => b.value);
      if (ids.length === 0) {
        return;
      }
      const body = {ids: ids};
      if (action === 'discard') {
        const reason = prompt('Discard ' + ids.length + ' dead letter(s): why? (kept in the audit record)');
        if (!reason) {
          return;
        }
        body.reason = reason;
      } else if (!confirm('Retry ' + ids.length + ' dead letter(s), back to where each failed?')) {
        return;
      }
      try {
        const outcome = await api('/admin/dead-letters/' + action, {method: 'POST', body: JSON.stringify(body),
          headers: {'Content-Type': 'application/json'}});
        result.prepend(el('p', {id: 'outcome'}, action + ': ' + outcome.count + ' dead letter(s)'));
        setTimeout(route, 800);
      } catch (e) {
        result.prepend(el('p', {class: 'error'}, e.message));
      }
    };
    result.replaceChildren(el('p', {}, page.total + ' dead letter(s)'),
      el('div', {class: 'actions'}, el('button', {id: 'retry', onclick: () => act('retry')}, 'Retry selected'),
        el('button', {id: 'discard', onclick: () => act('discard')}, 'Discard selected')),
      rows.length === 0 ? el('p', {}, 'None.') : el('table', {}, el('thead', {}, el('tr', {},
        ['', 'Source', 'Event', 'Order', 'Failed at', 'Reason'].map(h => el('th', {}, h)))), el('tbody', {}, rows)));
  } catch (e) {
    result.replaceChildren(el('p', {class: 'error'}, e.message));
  }
}

// ------------------------------------------------------------------ stock

async function stockPage() {
  const p = params();
  const input = el('input', {name: 'sku', value: p.get('sku') || '', placeholder: 'SKU or its beginning'});
  const form = el('form', {class: 'search', id: 'stock-search'}, el('label', {}, 'SKU', input),
    el('button', {type: 'submit', id: 'stock-go'}, 'Search'));
  form.addEventListener('submit', ev => {
    ev.preventDefault();
    location.hash = '#/stock?sku=' + encodeURIComponent(input.value.trim());
  });
  const result = el('div', {id: 'stock'});
  const reservations = el('div', {id: 'reservations'});
  show(el('h2', {}, 'Stock'), form, result, reservations);
  try {
    const q = new URLSearchParams();
    q.set('sku', p.get('sku') || '');
    if (p.get('after')) {
      q.set('after', p.get('after'));
    }
    const page = await api('/api/stock?' + q.toString());
    const rows = page.skus.map(s => el('tr', {class: 'sku-row'},
      el('td', {}, el('a', {href: '#/stock?sku=' + encodeURIComponent(p.get('sku') || '') + '&show=' + encodeURIComponent(s.sku)}, s.sku)),
      el('td', {}, String(s.onHand)), el('td', {}, String(s.reserved)), el('td', {}, String(s.available))));
    const last = page.skus.length ? page.skus[page.skus.length - 1].sku : '';
    result.replaceChildren(rows.length === 0 ? el('p', {}, 'No SKU matches.') : el('table', {},
      el('thead', {}, el('tr', {}, ['SKU', 'On hand', 'Reserved', 'Available'].map(h => el('th', {}, h)))), el('tbody', {}, rows)),
      page.hasMore ? el('div', {class: 'pager'}, el('a', {href: '#/stock?sku=' + encodeURIComponent(p.get('sku') || '')
        + '&after=' + encodeURIComponent(last)}, 'More')) : null);
    if (p.get('show')) {
      const r = await api('/api/stock/' + encodeURIComponent(p.get('show')) + '/reservations');
      reservations.replaceChildren(el('h3', {}, 'Reservations of ', r.sku), r.reservations.length === 0 ? el('p', {}, 'None.') :
        el('table', {id: 'reservation-table'}, el('thead', {}, el('tr', {}, el('th', {}, 'Order'), el('th', {}, 'Quantity'))),
          el('tbody', {}, r.reservations.map(x => el('tr', {}, el('td', {}, el('a', {href: '#/order/' + encodeURIComponent(x.orderId)},
            x.orderId)), el('td', {}, String(x.quantity)))))),
        r.hasMore ? el('p', {class: 'muted'}, 'The first 200 by order id.') : null);
    }
  } catch (e) {
    result.replaceChildren(el('p', {class: 'error'}, e.message));
  }
}

// ------------------------------------------------------------------ flow

const SVG = 'http://www.w3.org/2000/svg';
const samples = [];
let flowTimer = null;

function svg(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) {
    e.setAttribute(k, v);
  }
  return e;
}

/** A small line chart of the last samples: one line per series, the largest value written at the top. */
function chart(title, series) {
  const w = 360, h = 110;
  const box = svg('svg', {viewBox: '0 0 ' + w + ' ' + h, width: w, height: h, class: 'chart'});
  const max = Math.max(1, ...series.flatMap(s => s.values.filter(v => v !== null)));
  series.forEach((s, i) => {
    const points = s.values.map((v, x) => (x * (w - 4) / Math.max(1, s.values.length - 1) + 2) + ','
      + (h - 4 - (v === null ? 0 : v) * (h - 24) / max)).join(' ');
    box.append(svg('polyline', {points: points, class: 'line line-' + i}));
  });
  const top = svg('text', {x: 4, y: 12, class: 'chart-max'});
  top.textContent = 'max ' + (Math.round(max * 10) / 10);
  box.append(top);
  const legend = el('div', {class: 'legend'}, series.map((s, i) => el('span', {class: 'key key-' + i},
    s.name + ' ' + (s.values.length ? (s.values[s.values.length - 1] ?? '-') : ''))));
  return el('figure', {class: 'chart-box'}, el('figcaption', {}, title), box, legend);
}

async function flowSample() {
  const f = await api('/api/flow');
  const previous = samples[samples.length - 1];
  const seconds = previous ? (Date.parse(f.at) - Date.parse(previous.at)) / 1000 : 0;
  f.ordersPerSecond = previous && seconds > 0 ? Math.max(0, (f.ordersAccepted - previous.ordersAccepted) / seconds) : null;
  samples.push(f);
  if (samples.length > 90) {
    samples.shift();
  }
}

async function flowPage() {
  show(el('h2', {}, 'Flow'), el('div', {id: 'flow'}, el('p', {class: 'muted'}, 'Loading...')));
  const draw = async () => {
    if (!location.hash.startsWith('#/flow')) {
      clearInterval(flowTimer);
      flowTimer = null;
      return;
    }
    const target = document.getElementById('flow');
    try {
      await flowSample();
    } catch (e) {
      target.replaceChildren(el('p', {class: 'error'}, e.message));
      return;
    }
    const now = samples[samples.length - 1];
    const services = Object.keys(now.services);
    const health = el('ul', {class: 'health', id: 'health'}, Object.entries(now.health).map(([name, state]) =>
      el('li', {class: state === 'UP' ? 'up' : 'down'}, name + ': ' + state)));
    target.replaceChildren(health,
      el('div', {class: 'charts'},
        chart('Orders per second', [{name: 'accepted', values: samples.map(s => s.ordersPerSecond === null ? null
          : Math.round(s.ordersPerSecond * 10) / 10)}]),
        chart('Backlog (events not yet published)', services.map(name => ({name: name,
          values: samples.map(s => s.services[name] ? s.services[name].backlog : null)}))),
        chart('Oldest unpublished event (s)', services.map(name => ({name: name,
          values: samples.map(s => s.services[name] ? s.services[name].oldestUnpublishedSeconds : null)}))),
        chart('Dead letters', Object.keys(now.deadLetters).map(source => ({name: source,
          values: samples.map(s => s.deadLetters[source])})))),
      el('p', {class: 'muted'}, 'Polled every 2 s; the last ' + samples.length + ' samples (up to 3 minutes).'));
  };
  await draw();
  if (!flowTimer) {
    flowTimer = setInterval(draw, 2000);
  }
}

// ------------------------------------------------------------------ frame

function showMode() {
  const mode = document.getElementById('mode');
  mode.textContent = token() ? 'admin' : 'read-only';
  mode.className = token() ? 'admin' : '';
}

function route() {
  showMode();
  const hash = location.hash || '#/orders';
  const path = hash.substring(1).split('?')[0];
  for (const a of document.querySelectorAll('nav a')) {
    a.classList.toggle('current', path.startsWith(a.getAttribute('href').substring(1)));
  }
  if (path.startsWith('/order/')) {
    orderPage(decodeURIComponent(path.substring('/order/'.length)));
  } else if (path.startsWith('/dead-letters')) {
    deadLettersPage();
  } else if (path.startsWith('/stock')) {
    stockPage();
  } else if (path.startsWith('/flow')) {
    flowPage();
  } else {
    ordersPage();
  }
}

document.getElementById('token-form').addEventListener('submit', ev => {
  ev.preventDefault();
  const value = document.getElementById('token').value.trim();
  if (value) {
    sessionStorage.setItem(TOKEN_KEY, value);
  }
  document.getElementById('token').value = '';
  route();
});
document.getElementById('token-forget').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  route();
});
window.addEventListener('hashchange', route);
route();
