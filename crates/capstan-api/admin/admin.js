// The Capstan admin page: logs in with the admin token, then shows what
// the server pushes over /admin/ws — a snapshot (the last minutes) when it
// connects, an update every second after. Nothing is polled; nothing is
// sent on the socket. Charts are drawn on canvases here, no library.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);

  // ------------------------------------------------------------ state

  /** The feed's points, oldest first (at most `capacity`). */
  let points = [];
  let capacity = 300;
  let intervalMs = 1000;
  /** The latest totals, topics and nodes. */
  let latest = null;
  let socket = null;
  let retryMs = 1000;
  let retryTimer = null;
  /** Set by a logout: no reconnect. */
  let loggedOut = false;

  // ------------------------------------------------------------ formatting

  const number = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });
  const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });

  function bytes(n) {
    const units = ['B', 'KiB', 'MiB', 'GiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i += 1;
    }
    return `${(n >= 100 ? integer : number).format(n)} ${units[i]}`;
  }

  function duration(seconds) {
    const d = Math.floor(seconds / 86400);
    const h = Math.floor((seconds % 86400) / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    if (d > 0) return `${d}d ${h}h`;
    if (h > 0) return `${h}h ${m}m`;
    if (m > 0) return `${m}m ${seconds % 60}s`;
    return `${seconds}s`;
  }

  // ------------------------------------------------------------ views

  function setState(state, text) {
    const badge = $('feed-state');
    badge.dataset.state = state;
    badge.textContent = text;
  }

  function showLogin(message) {
    $('dashboard').hidden = true;
    $('logout').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = message || '';
    setState('idle', 'not connected');
    $('token').focus();
  }

  function showDashboard() {
    $('login').hidden = true;
    $('dashboard').hidden = false;
    $('logout').hidden = false;
  }

  /** A table row of text cells (textContent only: names are data, not markup). */
  function row(cells, numeric) {
    const tr = document.createElement('tr');
    cells.forEach((text, i) => {
      const td = document.createElement('td');
      td.textContent = text;
      if (numeric.includes(i)) td.className = 'num';
      tr.appendChild(td);
    });
    return tr;
  }

  function fill(tbody, rows, empty, columns) {
    if (rows.length === 0) {
      const tr = document.createElement('tr');
      const td = document.createElement('td');
      td.colSpan = columns;
      td.className = 'empty';
      td.textContent = empty;
      tr.appendChild(td);
      rows = [tr];
    }
    tbody.replaceChildren(...rows);
  }

  function renderNumbers() {
    const point = points[points.length - 1];
    const totals = latest.totals;
    $('connections').textContent = integer.format(totals.connections_open);
    $('accepted').textContent = `${integer.format(totals.connections_accepted_total)} accepted in all`;
    $('messages-in').textContent = point ? number.format(point.messages_in_per_s) : '–';
    $('messages-out').textContent = point ? number.format(point.messages_out_per_s) : '–';
    $('bytes').textContent = point ? `${bytes(point.bytes_in_per_s)} / ${bytes(point.bytes_out_per_s)}` : '–';
    const minutes = Math.round((capacity * intervalMs) / 60000);
    $('window').textContent = `(last ${minutes} min)`;
  }

  function renderTopics() {
    const topics = latest.topics;
    $('topics-total').textContent = `${integer.format(topics.total)} active`;
    const rows = topics.rows.map((t) => row([t.name, integer.format(t.subscribers)], [1]));
    fill($('topics'), rows, 'no topic has subscribers', 2);
  }

  function renderCloses() {
    const recent = {};
    for (const p of points) {
      for (const [cause, n] of Object.entries(p.closes)) recent[cause] = (recent[cause] || 0) + n;
    }
    const causes = Object.keys(latest.totals.closes).sort(
      (a, b) => (recent[b] || 0) - (recent[a] || 0) || latest.totals.closes[b] - latest.totals.closes[a],
    );
    const rows = causes.map((cause) => {
      const tr = row([cause, integer.format(recent[cause] || 0), integer.format(latest.totals.closes[cause])], [1, 2]);
      tr.dataset.cause = cause;
      return tr;
    });
    fill($('closes'), rows, 'no connection closed yet', 3);
  }

  function renderNodes() {
    const rows = latest.nodes.map((n) =>
      row(
        [
          n.name || n.uid,
          integer.format(n.num_clients),
          integer.format(n.num_users),
          integer.format(n.num_channels),
          integer.format(n.num_subs),
          duration(n.uptime),
          n.version,
        ],
        [1, 2, 3, 4, 5],
      ),
    );
    fill($('nodes'), rows, 'no node information', 7);
  }

  // ------------------------------------------------------------ charts

  const COLORS = { one: '#2f6fdf', in: '#1f9d6b', out: '#d9661f', grid: '#d8dde6', text: '#5b6473' };

  /**
   * The step between the chart's four grid lines: the smallest "round"
   * number (1, 2 or 5 × 10^k) that reaches `max` in four steps; at least
   * `least` (1 for counts: no fractional grid lines).
   */
  function gridStep(max, least) {
    const raw = Math.max(max / 4, least, 1e-9);
    const power = 10 ** Math.floor(Math.log10(raw));
    for (const step of [1, 2, 5, 10]) if (step * power >= raw) return step * power;
    return 10 * power;
  }

  /**
   * Draws `series` (each {values, color}) over the chart's window: the
   * newest point at the right edge, `capacity` points across.
   */
  function draw(canvas, series, format, least) {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const left = 56;
    const right = 8;
    const top = 8;
    const bottom = 18;
    const plotW = width - left - right;
    const plotH = height - top - bottom;
    const step = gridStep(Math.max(0, ...series.flatMap((s) => s.values)), least);
    const max = step * 4;

    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = COLORS.text;
    ctx.strokeStyle = COLORS.grid;
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let i = 0; i <= 4; i++) {
      const y = top + plotH - (plotH * i) / 4;
      ctx.beginPath();
      ctx.moveTo(left, Math.round(y) + 0.5);
      ctx.lineTo(left + plotW, Math.round(y) + 0.5);
      ctx.stroke();
      ctx.fillText(format(step * i), left - 6, y);
    }
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    const minutes = Math.round((capacity * intervalMs) / 60000);
    ctx.fillText(`−${minutes} min`, left, height - 4);
    ctx.textAlign = 'right';
    ctx.fillText('now', left + plotW, height - 4);

    const dx = plotW / Math.max(1, capacity - 1);
    for (const s of series) {
      const n = s.values.length;
      if (n === 0) continue;
      ctx.strokeStyle = s.color;
      ctx.lineWidth = 1.5;
      ctx.lineJoin = 'round';
      ctx.beginPath();
      s.values.forEach((v, i) => {
        const x = left + plotW - (n - 1 - i) * dx;
        const y = top + plotH - (plotH * v) / max;
        if (i === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      });
      ctx.stroke();
    }
  }

  function renderCharts() {
    const pick = (key) => points.map((p) => p[key]);
    draw($('chart-connections'), [{ values: pick('connections'), color: COLORS.one }], (v) => integer.format(v), 1);
    draw(
      $('chart-messages'),
      [
        { values: pick('messages_in_per_s'), color: COLORS.in },
        { values: pick('messages_out_per_s'), color: COLORS.out },
      ],
      (v) => number.format(v),
      0.5,
    );
    draw(
      $('chart-bytes'),
      [
        { values: pick('bytes_in_per_s'), color: COLORS.in },
        { values: pick('bytes_out_per_s'), color: COLORS.out },
      ],
      bytes,
      1,
    );
  }

  function render() {
    if (!latest) return;
    renderNumbers();
    renderTopics();
    renderCloses();
    renderNodes();
    renderCharts();
  }

  // ------------------------------------------------------------ the feed

  function onFrame(event) {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (message.type === 'snapshot') {
      capacity = message.capacity;
      intervalMs = message.interval_ms;
      points = message.history;
    } else if (message.type === 'update') {
      points.push(message.point);
      if (points.length > capacity) points.splice(0, points.length - capacity);
    } else {
      return;
    }
    latest = { totals: message.totals, topics: message.topics, nodes: message.nodes };
    retryMs = 1000;
    setState('live', 'live');
    render();
  }

  function connect() {
    clearTimeout(retryTimer);
    showDashboard();
    setState('connecting', 'connecting…');
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${location.host}/admin/ws`);
    socket = ws;
    ws.onmessage = onFrame;
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      if (loggedOut) return;
      setState('closed', 'disconnected');
      // A refused handshake and a dropped feed look the same from here:
      // the session says which.
      checkSession().then((live) => {
        if (!live) return showLogin('Your session ended; log in again.');
        retryTimer = setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, 15000);
      });
    };
  }

  async function checkSession() {
    try {
      const response = await fetch('/admin/session', { credentials: 'same-origin', cache: 'no-store' });
      return response.status === 204;
    } catch {
      return true; // the server is away: retry the feed
    }
  }

  async function login(event) {
    event.preventDefault();
    const input = $('token');
    $('login-error').textContent = '';
    const response = await fetch('/admin/login', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: input.value }),
    });
    if (response.status === 204) {
      input.value = '';
      loggedOut = false;
      connect();
    } else if (response.status === 429) {
      const wait = response.headers.get('Retry-After') || 'a few';
      $('login-error').textContent = `Too many wrong tokens; retry in ${wait} s.`;
    } else if (response.status === 401) {
      $('login-error').textContent = 'Wrong token.';
    } else {
      $('login-error').textContent = `Login failed (HTTP ${response.status}).`;
    }
  }

  async function logout() {
    loggedOut = true;
    clearTimeout(retryTimer);
    if (socket) socket.close(1000);
    socket = null;
    await fetch('/admin/logout', { method: 'POST', credentials: 'same-origin' });
    showLogin('Logged out.');
  }

  // ------------------------------------------------------------ start

  $('login-form').addEventListener('submit', login);
  $('logout').addEventListener('click', logout);
  window.addEventListener('resize', () => renderCharts());
  checkSession().then((live) => (live ? connect() : showLogin()));
})();
