// fluxd status page. Read-only; everything shown comes from
// GET /api/fluxd/v1/status.
//
// Safety: every value from the daemon is user input (manifests, commit
// messages, registry errors), so it only ever reaches the page through
// createElement / textContent / setAttribute on a fixed set of attributes;
// nothing here ever parses data as HTML, and links must be https.
//
// Live refresh polls the status JSON every few seconds instead of using
// server-sent events: EventSource cannot send an Authorization header (the
// token would have to go into the URL, and from there into logs), and each
// open event stream would hold one of the API's few worker threads.
'use strict';

(function () {
  const POLL_MS = 5000;
  const TOKEN_KEY = 'fluxd.api-token';
  const STATUS_URL = '/api/fluxd/v1/status';

  let timer = null;
  let last = null;

  // -- DOM helpers --------------------------------------------------------

  const ATTRS = new Set(['class', 'title', 'role', 'datetime', 'colspan',
    'aria-label']);

  /// el('td', {class: 'x', 'data-y': v}, child, 'text', …)
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false)
        continue;
      if (ATTRS.has(key) || key.startsWith('data-'))
        node.setAttribute(key, String(value));
      else
        throw new Error('attribute not allowed: ' + key);
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    for (const child of children) {
      if (child === undefined || child === null || child === false)
        continue;
      if (Array.isArray(child))
        append(node, child);
      else if (child instanceof Node)
        node.appendChild(child);
      else
        node.appendChild(document.createTextNode(String(child)));
    }
  }

  /// A link only for https URLs the daemon computed; otherwise plain text.
  function link(url, text) {
    let parsed = null;
    try {
      parsed = new URL(url);
    } catch (e) {
      parsed = null;
    }
    if (!parsed || parsed.protocol !== 'https:')
      return document.createTextNode(text);
    const a = document.createElement('a');
    a.href = parsed.href;
    a.rel = 'noopener noreferrer';
    a.target = '_blank';
    a.textContent = text;
    return a;
  }

  function badge(kind, text, title) {
    return el('span', {class: 'badge badge-' + kind, title: title}, text);
  }

  function time(iso) {
    if (!iso)
      return el('span', {class: 'muted'}, 'never');
    const d = new Date(iso);
    const shown = isNaN(d) ? iso : d.toLocaleString();
    return el('time', {datetime: iso, title: iso}, shown);
  }

  function shortRev(rev) {
    return rev ? rev.slice(0, 12) : '';
  }

  function $(id) {
    return document.getElementById(id);
  }

  function fill(tbody, rows, columns, emptyText) {
    if (rows.length === 0)
      rows = [el('tr', {class: 'empty'},
        el('td', {colspan: columns}, emptyText))];
    tbody.replaceChildren(...rows);
  }

  // -- sections -----------------------------------------------------------

  function renderSummary(s) {
    // A resource failing in a repository's sync and also listed as a
    // workload counts once.
    const failing = new Set(s.workloads.filter((w) => w.sync_error)
      .map((w) => w.id));
    for (const r of s.repositories)
      for (const e of r.sync_errors)
        failing.add(e.id || r.url + ' ' + e.file);
    const errors = failing.size
      + s.repositories.filter((r) => r.last_error).length;
    const pending = s.images.filter((i) => i.update_pending).length;
    const locked = s.workloads.filter((w) => w.policy.locked).length;
    const automated = s.workloads.filter((w) => w.policy.automated).length;
    const item = (label, value, kind) => el('div',
      {class: 'stat' + (kind ? ' stat-' + kind : ''), 'data-stat': label},
      el('span', {class: 'stat-value'}, value),
      el('span', {class: 'stat-label'}, label));
    $('summary').replaceChildren(
      item('repositories', s.repositories.length),
      item('workloads', s.workloads.length),
      item('sync errors', errors, errors ? 'bad' : 'good'),
      item('pending updates', pending, pending ? 'warn' : ''),
      item('automated', automated),
      item('locked', locked, locked ? 'warn' : ''));
  }

  function renderRepositories(s) {
    const rows = s.repositories.map((r) => {
      const failed = Boolean(r.last_error);
      return el('tr', {'data-repository': r.url,
        class: failed || r.sync_errors.length ? 'row-bad' : ''},
      el('td', {},
        el('div', {class: 'mono'}, r.url),
        el('div', {class: 'muted'}, 'branch ', el('span', {class: 'mono'},
          r.branch))),
      el('td', {class: 'mono'}, r.paths.length ? r.paths.join(', ') : '.'),
      el('td', {},
        r.revision ? link(r.revision_url, shortRev(r.revision)) : '—',
        el('div', {class: 'muted'}, time(r.last_fetch))),
      el('td', {class: 'mono'}, shortRev(r.sync_marker) || '—'),
      el('td', {},
        badge(failed ? 'bad' : 'good', r.status || (failed ? 'error' : 'ok')),
        r.syncing ? badge('warn', 'syncing ' + shortRev(r.syncing)) : null,
        failed ? el('p', {class: 'error'}, r.last_error) : null,
        syncErrors(r.sync_errors)));
    });
    fill($('repositories').tBodies[0], rows, 5, 'No repositories.');
  }

  /// The resources and files the last sync could not apply.
  function syncErrors(errors) {
    if (errors.length === 0)
      return null;
    return el('ul', {class: 'sync-errors', 'data-field': 'sync-errors'},
      errors.map((e) => el('li', {'data-resource': e.id || e.file},
        el('span', {class: 'mono strong'}, e.id || 'file'), ' ',
        e.file ? link(e.file_url, e.file) : null,
        el('p', {class: 'error'}, e.error))));
  }

  function policyCell(p) {
    const parts = [];
    if (p.automated)
      parts.push(badge('auto', 'automated'));
    if (p.locked) {
      parts.push(badge('lock', 'locked'));
      parts.push(el('p', {class: 'lock-note', 'data-field': 'lock'},
        'by ', el('strong', {}, p.locked_user || 'unknown'),
        p.locked_message ? ': ' : '',
        p.locked_message ? el('q', {'data-field': 'lock-message'},
          p.locked_message) : null));
    }
    if (p.ignored)
      parts.push(badge('muted', 'ignored'));
    for (const [container, pattern] of Object.entries(p.tag_filters))
      parts.push(el('div', {class: 'filter-rule mono'}, container, ': ',
        pattern));
    if (parts.length === 0)
      parts.push(el('span', {class: 'muted'}, 'manual'));
    return el('td', {}, parts);
  }

  function rolloutKind(status) {
    if (status === 'ready')
      return 'good';
    if (status === 'error' || status === 'failed')
      return 'bad';
    return 'warn';
  }

  function renderWorkloads(s) {
    const rows = s.workloads.map((w) => {
      const state = w.sync_error ? 'sync-error'
        : w.policy.locked ? 'locked'
          : w.policy.automated ? 'automated' : 'ok';
      const classes = ['workload', 'state-' + state];
      return el('tr', {class: classes.join(' '), 'data-workload': w.id,
        'data-state': state},
      el('td', {},
        el('div', {class: 'mono strong'}, w.id),
        w.file ? el('div', {class: 'muted'},
          link(w.file_url, w.file)) : null,
        w.revision ? el('div', {class: 'muted'}, 'commit ',
          link(w.commit_url, shortRev(w.revision))) : null),
      el('td', {}, w.containers.map((c) => el('div', {class: 'container'},
        el('span', {class: 'strong'}, c.name), ' ',
        el('span', {class: 'mono'}, c.image)))),
      el('td', {},
        badge(rolloutKind(w.rollout_status), w.rollout_status || 'unknown'),
        w.rollout_message ? el('div', {class: 'muted'}, w.rollout_message)
          : null),
      policyCell(w.policy),
      el('td', {},
        w.sync_error ? el('p', {class: 'error', 'data-field': 'sync-error'},
          w.sync_error) : badge('good', 'in sync'),
        w.drift_corrections ? el('div', {class: 'muted'},
          'drift corrected ' + w.drift_corrections + '×') : null));
    });
    fill($('workloads').tBodies[0], rows, 5, 'No workloads.');
    applyFilter();
  }

  function applyFilter() {
    const needle = $('workload-filter').value.trim().toLowerCase();
    let hidden = 0;
    for (const row of $('workloads').tBodies[0].rows) {
      const id = row.getAttribute('data-workload');
      if (id === null)
        continue;
      const hide = needle !== '' && !id.toLowerCase().includes(needle);
      row.hidden = hide;
      if (hide)
        hidden++;
    }
    const note = $('workloads-hidden');
    note.hidden = hidden === 0;
    note.textContent = hidden + ' workload(s) hidden by the filter.';
  }

  function renderImages(s) {
    // Pending updates first: those are what an operator looks for.
    const images = s.images.slice().sort((a, b) =>
      Number(b.update_pending) - Number(a.update_pending));
    const rows = images.map((i) => el('tr', {
      class: i.update_pending ? 'row-warn' : '',
      'data-image': i.repository,
      'data-pending': i.update_pending ? 'true' : 'false'},
    el('td', {class: 'mono'}, i.workload),
    el('td', {}, i.container),
    el('td', {class: 'mono'}, i.repository),
    el('td', {class: 'mono'}, i.current_tag),
    el('td', {class: 'mono'}, i.newest_tag || '—'),
    el('td', {}, i.update_pending
      ? badge('warn', 'update pending', i.current_tag + ' → ' + i.newest_tag)
      : badge('good', 'up to date'))));
    fill($('images').tBodies[0], rows, 6, 'No images.');
  }

  function renderEvents(s) {
    const items = s.events.map((e) => el('li', {class: 'event event-' + e.kind,
      'data-kind': e.kind},
    time(e.time), ' ',
    badge(e.kind === 'failure' ? 'bad' : 'muted', e.kind), ' ',
    el('span', {class: 'event-text'}, e.text)));
    if (items.length === 0)
      items.push(el('li', {class: 'muted'}, 'No events yet.'));
    $('events').replaceChildren(...items);
  }

  function hostState(h) {
    if (!h.answering)
      return 'not-answering';
    return h.backing_off ? 'backing-off' : 'ok';
  }

  function hostStateCell(h) {
    if (!h.answering)
      return el('td', {}, badge('bad', 'not answering'));
    if (!h.backing_off)
      return el('td', {}, badge('good', 'ok'));
    return el('td', {}, badge('warn', 'backing off'),
      h.backoff_until ? el('div', {class: 'muted'}, 'until ',
        time(h.backoff_until)) : null);
  }

  function renderHosts(s) {
    const rows = s.registry_hosts.map((h) => {
      const state = hostState(h);
      return el('tr', {'data-host': h.host, 'data-state': state,
        class: state === 'ok' ? '' : state === 'backing-off' ? 'row-warn'
          : 'row-bad'},
      el('td', {},
        el('div', {class: 'mono'}, h.host),
        el('div', {class: 'muted'}, h.repositories + ' repositor' +
          (h.repositories === 1 ? 'y' : 'ies'))),
      el('td', {}, h.answering ? [
        el('div', {'data-field': 'last-minute'},
          h.requests_last_minute + ' in the last minute'),
        el('div', {class: 'muted'}, 'allowed ' + h.request_rate.toFixed(1) +
          '/s'),
        h.ratelimit_remaining >= 0 ? el('div', {class: 'muted',
          'data-field': 'ratelimit-remaining'},
        h.ratelimit_remaining + ' left (registry limit)') : null] : '—'),
      el('td', {}, h.in_flight + ' / ' + h.queued),
      hostStateCell(h),
      el('td', {}, h.requests + (h.throttled ? ' (' + h.throttled +
        ' throttled)' : '')),
      el('td', {}, h.last_error ? [
        el('p', {class: 'error', 'data-field': 'host-error'}, h.last_error),
        h.last_error_at ? el('div', {class: 'muted'}, time(h.last_error_at))
          : null] : '—'));
    });
    fill($('registry-hosts').tBodies[0], rows, 6, 'No registry hosts.');
  }

  function renderUnavailable(s) {
    for (const note of document.querySelectorAll('[data-section]')) {
      const missing = s.unavailable.includes(note.dataset.section);
      note.hidden = !missing;
      note.textContent = missing
        ? 'Not reported by this fluxd yet.' : '';
      // The empty table or list after the note says nothing more.
      const content = note.nextElementSibling;
      if (content)
        content.hidden = missing;
    }
  }

  function renderDaemon(d) {
    $('version').textContent = d.version ? 'version ' + d.version : '';
    const waiting = Object.entries(d.not_ready)
      .map(([component, reason]) => component + (reason ? ' (' + reason +
        ')' : ''));
    const parts = [d.ready ? badge('good', 'ready')
      : badge('warn', 'starting', waiting.join(', '))];
    if (waiting.length)
      parts.push(el('span', {class: 'muted'}, ' waiting for ' +
        waiting.join(', ')));
    $('readiness').replaceChildren(...parts);
  }

  function render(s) {
    renderDaemon(s.daemon);
    renderSummary(s);
    renderRepositories(s);
    renderWorkloads(s);
    renderImages(s);
    renderEvents(s);
    renderHosts(s);
    renderUnavailable(s);
  }

  // -- polling and the token ----------------------------------------------

  function setLive(state, text) {
    document.body.setAttribute('data-state', state);
    $('live').textContent = text;
  }

  function askForToken(rejected) {
    const form = $('token-form');
    form.hidden = false;
    $('token-error').hidden = !rejected;
    $('token-error').textContent = rejected
      ? 'That token was not accepted.' : '';
    setLive('auth-required', 'Waiting for an API token.');
    $('token-input').focus();
  }

  async function poll() {
    clearTimeout(timer);
    const token = sessionStorage.getItem(TOKEN_KEY);
    const headers = {Accept: 'application/json'};
    if (token)
      headers.Authorization = 'Bearer ' + token;
    try {
      const res = await fetch(STATUS_URL, {headers: headers,
        cache: 'no-store', credentials: 'omit', redirect: 'error'});
      if (res.status === 401) {
        sessionStorage.removeItem(TOKEN_KEY);
        askForToken(Boolean(token));
        return; // no polling until a token is given
      }
      if (!res.ok)
        throw new Error('HTTP ' + res.status);
      const snapshot = await res.json();
      $('token-form').hidden = true;
      last = snapshot;
      render(snapshot);
      document.body.setAttribute('data-loaded', 'true');
      setLive('live', 'Updated ' + new Date().toLocaleTimeString() +
        '; refreshing every ' + POLL_MS / 1000 + ' s.');
    } catch (e) {
      setLive('stale', (last ? 'Showing the last status: ' : '') +
        'cannot reach fluxd (' + e.message + '); retrying.');
    }
    if (!document.hidden)
      timer = setTimeout(poll, POLL_MS);
  }

  /// The filter lives in the URL's fragment (#filter=prod), so a filtered
  /// view can be bookmarked or shared; it never reaches the server.
  function filterFromHash() {
    const params = new URLSearchParams(location.hash.slice(1));
    return params.get('filter') || '';
  }

  function filterToHash() {
    const value = $('workload-filter').value;
    const hash = value ? '#' + new URLSearchParams({filter: value}) : '';
    history.replaceState(null, '', location.pathname + location.search +
      hash);
  }

  function start() {
    $('workload-filter').value = filterFromHash();
    $('workload-filter').addEventListener('input', () => {
      applyFilter();
      filterToHash();
    });
    $('token-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const value = $('token-input').value.trim();
      if (!value)
        return;
      sessionStorage.setItem(TOKEN_KEY, value);
      $('token-input').value = '';
      poll();
    });
    // Hidden tabs stop polling; coming back refreshes at once.
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && $('token-form').hidden)
        poll();
    });
    poll();
  }

  if (document.readyState === 'loading')
    document.addEventListener('DOMContentLoaded', start);
  else
    start();
})();
