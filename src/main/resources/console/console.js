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
    el('dt', {}, 'Notified'), el('dd', {id: 'order-notified'}, o.notifiedAt ? time(o.notifiedAt) + ', Message-ID ' + o.notificationMessageId
      : (o.notificationFailure ? 'refused by the mail server: ' + o.notificationFailure : 'not yet')),
    el('dt', {}, 'Trace id'), el('dd', {}, o.traceId || ''));
  const lines = el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'SKU'), el('th', {}, 'Quantity'))),
    el('tbody', {}, o.lines.map(l => el('tr', {}, el('td', {}, l.sku), el('td', {}, String(l.quantity))))));
  const timeline = el('ol', {class: 'timeline', id: 'timeline'}, (o.events || []).map(e => el('li', {class: 'event'},
    el('div', {class: 'type'}, e.type), el('div', {class: 'muted'}, 'emitted by ', e.emittedBy, ' at ', time(e.committedAt),
      e.publishedAt ? ', published ' + time(e.publishedAt) : ', not yet published'),
    el('div', {}, Object.keys(e.consumedBy).length === 0 ? 'not consumed yet'
      : Object.entries(e.consumedBy).map(([service, at]) => service + ' applied it at ' + time(at)).join('; ')))));
  show(el('h2', {}, 'Order ', o.orderId), facts, el('h3', {}, 'Lines'), lines, el('h3', {}, 'Timeline'), timeline,
    el('p', {}, el('a', {href: '#/dead-letters?orderId=' + encodeURIComponent(o.orderId)}, 'Dead letters of this order')));
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
  const result = el('div', {}, el('p', {class: 'muted'}, 'Loading...'));
  show(head, result);
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
