// node table.mjs DIR: the cross-node benchmark's tables, goals and the
// estimate for 1,000,000 connections, from the files scripts/cluster-bench.sh
// writes into DIR (every figure read from them, none typed in):
//
//   broadcast-capstan-3.json, broadcast-capstan-1.json, broadcast-socketio-3.json
//       cluster-load.mjs's results: one driver for all three
//   capacity-capstan-3.json, capacity-capstan-1.json
//       loadgen broadcast's results (the Rust load generator, capstan only)
//   idle.json   loadgen idle's results: the idle connections over the nodes
//
// A missing file leaves its table out (and its goal "not evaluated").

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The goals, as issue #15 states them. */
export const GOALS = {
  /** Cross-node deliveries per server-side CPU-second, capstan ÷ Socket.IO, at least. */
  fanoutVsSocketIo: 5,
  /** capstan 3-node ÷ 1-node server-side CPU ns per delivery, at most. */
  brokerOverhead: 1.25,
};

const thousands = (n) => (n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en-US'));
const ms = (ns) => (ns === null || ns === undefined ? '–' : ns < 1e5 ? `${(ns / 1e6).toFixed(3)} ms` : `${(ns / 1e6).toFixed(1)} ms`);
const fixed = (v, d = 2) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));
const times = (v) => (v === null || !Number.isFinite(v) ? '–' : `${v.toFixed(2)}×`);
const sum = (values) => values.reduce((a, b) => a + (b ?? 0), 0);

function read(dir, name) {
  const file = path.join(dir, name);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
}

/**
 * One window of either tool, as the same figures: deliveries/s, latency,
 * CPU per delivery (nodes, Redis, both), deliveries per server-side
 * CPU-second, CPU use in cores, what was missing or lost.
 */
export function figures(window, tool) {
  if (tool === 'cluster-load') {
    return {
      offered: window.offered_deliveries_per_second,
      deliveriesPerSecond: window.deliveries_per_second,
      p50: window.latency.p50_ns,
      p99: window.latency.p99_ns,
      nodesNs: window.nodes_cpu_ns_per_delivery,
      redisNs: window.redis_cpu_ns_per_delivery,
      serverNs: window.server_side_cpu_ns_per_delivery,
      perCpuSecond: window.deliveries_per_server_cpu_second,
      serverCores: window.server_side_cores,
      driverCores: window.driver_cores,
      driverBusiest: window.driver_busiest_process_core,
      otherCores: window.other_cores,
      missing: window.missing,
      lost: window.connections_lost,
      published: window.published,
      delivered: window.delivered,
      seconds: window.window_seconds,
    };
  }
  // loadgen: schedstat CPU time of the nodes (added up) and of the watched Redis.
  const delivered = Math.max(1, window.delivered);
  const nodesNs = window.server_cpu_ns / delivered;
  const redisCpu = window.watched_cpu_ns?.redis ?? null;
  const redisNs = redisCpu === null ? null : redisCpu / delivered;
  const serverNs = nodesNs + (redisNs ?? 0);
  return {
    offered: window.offered_deliveries_per_second,
    deliveriesPerSecond: window.deliveries_per_second,
    p50: window.latency.p50_ns,
    p99: window.latency.p99_ns,
    nodesNs,
    redisNs,
    serverNs,
    perCpuSecond: 1e9 / serverNs,
    serverCores: (window.server_cpu_ns + (redisCpu ?? 0)) / 1e9 / window.window_seconds,
    driverCores: window.loadgen_cpu_share,
    driverBusiest: null,
    otherCores: window.other_cpu_share,
    missing: window.missing,
    lost: window.connections_lost,
    published: window.published,
    delivered: window.delivered,
    seconds: window.window_seconds,
  };
}

/** The runs found in DIR, by key. */
export function load(dir) {
  const runs = {};
  const add = (key, file, tool, label) => {
    const data = read(dir, file);
    if (data !== null) runs[key] = { key, tool, label, data, windows: data.windows.map((w) => figures(w, tool)) };
  };
  add('capstan-3', 'broadcast-capstan-3.json', 'cluster-load', 'capstan, 3 nodes + Redis');
  add('capstan-1', 'broadcast-capstan-1.json', 'cluster-load', 'capstan, 1 node');
  add('socketio-3', 'broadcast-socketio-3.json', 'cluster-load', 'Socket.IO, 3 nodes + Redis');
  add('capstan-3-loadgen', 'capacity-capstan-3.json', 'loadgen', 'capstan, 3 nodes + Redis');
  add('capstan-1-loadgen', 'capacity-capstan-1.json', 'loadgen', 'capstan, 1 node');
  add('capstan-3-rooms', 'capacity-capstan-3-rooms.json', 'loadgen', 'capstan, 3 nodes + Redis');
  return { runs, idle: read(dir, 'idle.json') };
}

const lostCell = (f) => (f.lost === 0 ? '0' : thousands(f.lost));

function sameDriverTable(runs) {
  const order = ['capstan-3', 'capstan-1', 'socketio-3'].filter((k) => runs[k]);
  if (order.length === 0) return [];
  const reference = runs['capstan-3'];
  return [
    '| offered deliveries/s | system | deliveries/s | p50 | p99 | nodes CPU ns/delivery | Redis CPU ns/delivery | server side CPU ns/delivery | deliveries per server CPU-second | capstan 3 nodes ÷ this | server side, cores | driver, cores (busiest process) | other load, cores | missing | connections lost |',
    '|---:|:---|' + '---:|'.repeat(13),
    ...windowRows(runs, order, (rate, f) => {
      const ref = reference?.windows.find((w) => w.offered === rate);
      return [
        ref ? times(ref.perCpuSecond / f.perCpuSecond) : '–',
        fixed(f.serverCores),
        `${fixed(f.driverCores)} (${fixed(f.driverBusiest)})`,
      ];
    }),
  ];
}

function loadgenTable(runs) {
  const order = ['capstan-3-loadgen', 'capstan-1-loadgen'].filter((k) => runs[k]);
  if (order.length === 0) return [];
  return [
    '| offered deliveries/s | system | deliveries/s | p50 | p99 | nodes CPU ns/delivery | Redis CPU ns/delivery | server side CPU ns/delivery | deliveries per server CPU-second | server side, cores | loadgen, cores | other load, cores | missing | connections lost |',
    '|---:|:---|' + '---:|'.repeat(12),
    ...windowRows(runs, order, (_rate, f) => [fixed(f.serverCores), fixed(f.driverCores)]),
  ];
}

/**
 * One row per offered rate and run of `order` (rates ascending): the
 * columns both broadcast tables share, with `middle(rate, window)`'s cells
 * between the CPU per delivery and the other load.
 */
function windowRows(runs, order, middle) {
  const rates = [...new Set(order.flatMap((k) => runs[k].windows.map((w) => w.offered)))].sort((a, b) => a - b);
  const rows = [];
  for (const rate of rates) {
    for (const key of order) {
      const f = runs[key].windows.find((w) => w.offered === rate);
      if (!f) continue;
      const cells = [
        thousands(rate),
        runs[key].label,
        thousands(f.deliveriesPerSecond),
        ms(f.p50),
        ms(f.p99),
        thousands(f.nodesNs),
        thousands(f.redisNs),
        thousands(f.serverNs),
        thousands(f.perCpuSecond),
        ...middle(rate, f),
        fixed(f.otherCores),
        thousands(f.missing),
        lostCell(f),
      ];
      rows.push('| ' + cells.join(' | ') + ' |');
    }
  }
  return rows;
}

function roomsTable(run) {
  if (!run) return [];
  const subscribers = run.data.subscribers;
  const lines = [
    '| offered deliveries/s | publications/s | deliveries/s | p50 | p99 | nodes CPU µs per publication | Redis CPU µs per publication | Redis, cores | nodes, cores | missing | connections lost |',
    '|' + '---:|'.repeat(11),
  ];
  for (const f of run.windows) {
    const perPublication = (ns) => (ns === null ? '–' : fixed((ns * f.delivered) / Math.max(1, f.published) / 1e3, 1));
    lines.push(
      '| ' +
        [
          thousands(f.offered),
          thousands(f.published / f.seconds),
          thousands(f.deliveriesPerSecond),
          ms(f.p50),
          ms(f.p99),
          perPublication(f.nodesNs),
          perPublication(f.redisNs),
          fixed(f.redisNs === null ? null : (f.redisNs * f.delivered) / 1e9 / f.seconds),
          fixed((f.nodesNs * f.delivered) / 1e9 / f.seconds),
          thousands(f.missing),
          lostCell(f),
        ].join(' | ') +
        ' |',
    );
  }
  lines.push('', `${subscribers} subscribers over the 3 nodes (${subscribers / 3} on each), every publication sent through Redis to all 3.`);
  return lines;
}

/** The window with the most deliveries per server CPU-second among `runs`. */
function best(runs, keys) {
  let top = null;
  for (const key of keys) {
    for (const f of runs[key]?.windows ?? []) {
      if (top === null || f.perCpuSecond > top.f.perCpuSecond) top = { key, f };
    }
  }
  return top;
}

/** The goals' lines: MET / MISSED with the figures, or not evaluated. */
export function goals(runs) {
  const out = [];
  // 1. Cross-node fan-out ≥ 5× Socket.IO's at equal CPU: each system's
  // best deliveries per server-side CPU-second, with the one driver.
  const capstan = best(runs, ['capstan-3']);
  const socketio = best(runs, ['socketio-3']);
  if (capstan && socketio) {
    const ratio = capstan.f.perCpuSecond / socketio.f.perCpuSecond;
    const verdict = ratio >= GOALS.fanoutVsSocketIo ? 'MET' : 'MISSED';
    out.push(
      `- **${verdict}** cross-node fan-out ≥ ${GOALS.fanoutVsSocketIo}× Socket.IO's deliveries/s at equal CPU ` +
        `(deliveries per CPU-second of all server-side processes, nodes + Redis; each system's best window, one driver for both): ` +
        `capstan 3 nodes ${thousands(capstan.f.perCpuSecond)} (at ${thousands(capstan.f.offered)}/s offered) ` +
        `vs Socket.IO 3 nodes ${thousands(socketio.f.perCpuSecond)} (at ${thousands(socketio.f.offered)}/s offered): ${times(ratio)}`,
    );
    const lg = best(runs, ['capstan-3-loadgen']);
    if (lg) {
      out.push(
        `  - through the Rust load generator, past the Node.js driver's limit: capstan 3 nodes ${thousands(lg.f.perCpuSecond)} ` +
          `(at ${thousands(lg.f.offered)}/s offered): ${times(lg.f.perCpuSecond / socketio.f.perCpuSecond)} Socket.IO's best`,
      );
    }
    const same = (runs['capstan-3']?.windows ?? [])
      .map((c) => [c, runs['socketio-3'].windows.find((s) => s.offered === c.offered)])
      .filter(([, s]) => s);
    if (same.length > 0) {
      const parts = same.map(([c, s]) => `${thousands(c.offered)}/s ${times(c.perCpuSecond / s.perCpuSecond)}`);
      out.push(`  - at the same offered rates, capstan ÷ Socket.IO per server CPU-second: ${parts.join(', ')}`);
    }
  } else {
    out.push(`- **not evaluated** cross-node fan-out ≥ ${GOALS.fanoutVsSocketIo}× Socket.IO's: a run is missing`);
  }
  // 2. The broker costs ≤ 25 % of single-node CPU per delivery.
  const pairs = [];
  for (const [three, one, driver] of [
    ['capstan-3', 'capstan-1', 'cluster-load'],
    ['capstan-3-loadgen', 'capstan-1-loadgen', 'loadgen'],
  ]) {
    for (const a of runs[three]?.windows ?? []) {
      const b = runs[one]?.windows.find((w) => w.offered === a.offered);
      if (b) pairs.push({ driver, offered: a.offered, three: a.serverNs, one: b.serverNs, ratio: a.serverNs / b.serverNs });
    }
  }
  if (pairs.length > 0) {
    const met = pairs.filter((p) => p.ratio <= GOALS.brokerOverhead).length;
    const verdict = met === pairs.length ? 'MET' : 'MISSED';
    out.push(
      `- **${verdict}** the broker costs ≤ ${Math.round((GOALS.brokerOverhead - 1) * 100)} % of single-node CPU per delivery ` +
        `(capstan 3 nodes + Redis ÷ 1 node, server side CPU ns per delivery, ≤ ${GOALS.brokerOverhead}× at every offered rate): ` +
        `${met} of ${pairs.length} windows within: ` +
        pairs
          .map((p) => `${thousands(p.offered)}/s (${p.driver}) ${thousands(p.three)} vs ${thousands(p.one)} ns = ${times(p.ratio)}`)
          .join('; '),
    );
  } else {
    out.push('- **not evaluated** the broker costs ≤ 25 % of single-node CPU per delivery: a run is missing');
  }
  return out;
}

/** Per node and in all: the idle connections' memory. */
export function idleFigures(idle) {
  const nodes = idle.servers_connections.length;
  const before = idle.before.servers.map((s) => s.rss_kib);
  const held = idle.held.servers.map((s) => s.rss_kib);
  const perConn = idle.servers_rss_kib_per_conn_held;
  const redis = idle.watched_rss_kib?.redis ?? null;
  return {
    connections: idle.connections,
    nodes,
    perNode: idle.servers_connections,
    before,
    held,
    perConn,
    meanPerConn: sum(perConn) / nodes,
    maxPerConn: Math.max(...perConn),
    redisBefore: redis?.before ?? null,
    redisHeld: redis?.held ?? null,
    slabPerConn: idle.kernel_slab_kib_per_conn,
    tcpMemPerConn: idle.kernel_tcp_mem_kib_per_conn,
    lost: idle.connections_lost,
    heldSeconds: idle.held_seconds,
  };
}

function idleTable(idle) {
  const f = idleFigures(idle);
  const mib = (kib) => (kib === null ? '–' : `${(kib / 1024).toFixed(1)} MiB`);
  const lines = [
    '| node | connections | RSS before | RSS held | RSS per connection |',
    '|:---|---:|---:|---:|---:|',
  ];
  for (let i = 0; i < f.nodes; i++) {
    lines.push(`| node ${i + 1} | ${thousands(f.perNode[i])} | ${mib(f.before[i])} | ${mib(f.held[i])} | ${fixed(f.perConn[i])} KiB |`);
  }
  lines.push(
    `| all ${f.nodes} nodes | ${thousands(f.connections)} | ${mib(sum(f.before))} | ${mib(sum(f.held))} | ${fixed(f.meanPerConn)} KiB (mean of the nodes) |`,
    `| Redis | – | ${mib(f.redisBefore)} | ${mib(f.redisHeld)} | ${f.redisBefore === null ? '–' : `${fixed(((f.redisHeld - f.redisBefore) * 1024) / f.connections, 3)} B`} |`,
  );
  lines.push(
    '',
    `Kernel, system-wide (both ends of each loopback connection): slab ${fixed(f.slabPerConn)} KiB and TCP buffers ` +
      `${fixed(f.tcpMemPerConn)} KiB per connection; ${thousands(f.lost)} connections lost while held ${fixed(f.heldSeconds, 1)} s.`,
  );
  return lines;
}

/**
 * The paper estimate for 1,000,000 connections, from the idle run's
 * memory and the broadcast runs' CPU per delivery; the arithmetic shown.
 */
export function estimate(runs, idle) {
  if (!idle) return [];
  const f = idleFigures(idle);
  const N = 1_000_000;
  const perProcess = 19_000;
  const lines = [];
  const gib = (kib) => `${(kib / 1048576).toFixed(1)} GiB`;
  // Memory.
  const userKib = f.maxPerConn;
  const kernelKib = f.slabPerConn / 2 + Math.max(0, f.tcpMemPerConn) / 2;
  const connKib = userKib + kernelKib;
  const baseKib = Math.max(...f.before);
  const totalKib = N * connKib;
  lines.push(
    `- **Memory per connection**: ${fixed(userKib)} KiB of a node's RSS (the largest of the ${f.nodes} nodes, at ` +
      `${thousands(f.perNode[0])} connections each) + about ${fixed(kernelKib)} KiB in the kernel for the server's socket ` +
      `(half the ${fixed(f.slabPerConn)} KiB of slab measured per loopback connection, both of whose ends were on this machine) ` +
      `= ${fixed(connKib)} KiB. For ${thousands(N)}: ${thousands(N)} × ${fixed(connKib)} KiB = **${gib(totalKib)}** ` +
      `(${gib(N * userKib)} of it in the nodes' processes), plus ${(baseKib / 1024).toFixed(1)} MiB per node process at rest.`,
  );
  // CPU on the nodes: one delivery per connection per second.
  const c3 = runs['capstan-3-loadgen'] ?? runs['capstan-3'];
  let coresLow = null;
  let coresHigh = null;
  if (c3) {
    const windows = [...c3.windows].sort((a, b) => a.offered - b.offered);
    const [low, high] = [windows[0], windows[windows.length - 1]];
    coresHigh = (N * high.nodesNs) / 1e9;
    coresLow = (N * low.nodesNs) / 1e9;
    lines.push(
      `- **CPU on the nodes** for one delivery per connection per second (${thousands(N)} deliveries/s): ` +
        `${thousands(N)} × ${thousands(high.nodesNs)} ns = **${fixed(coresHigh, 1)} cores** when publications come often enough for ` +
        `writes to batch (the nodes' CPU per delivery at ${thousands(high.offered)}/s offered, ${thousands(high.offered / c3.data.subscribers)} publications/s), ` +
        `up to ${thousands(N)} × ${thousands(low.nodesNs)} ns = **${fixed(coresLow, 1)} cores** when they are sparse ` +
        `(at ${thousands(low.offered)}/s: about one write(2) per delivery, most of it the kernel's loopback TCP).`,
    );
    const rooms = runs['capstan-3-rooms'];
    if (rooms) {
      const top = [...rooms.windows].sort((a, b) => b.offered - a.offered)[0];
      const cores = (N * top.nodesNs) / 1e9;
      coresLow = Math.max(coresLow, cores);
      lines.push(
        `  In small rooms (${thousands(rooms.data.subscribers / 3)} subscribers per node and publication, measured at ` +
          `${thousands(top.published / top.seconds)} publications/s): ${thousands(N)} × ${thousands(top.nodesNs)} ns = **${fixed(cores, 1)} cores**.`,
      );
    }
  }
  // Redis: its CPU per publication, as measured with many small ones (at
  // the lowest and the highest rate: Redis too reads and writes in bigger
  // batches as publications come closer), else from the 10,000-subscriber
  // windows (few publications: rougher).
  let shardsA = null;
  let shardsB = null;
  const costRun = runs['capstan-3-rooms'] ?? c3;
  const costWindows = (costRun?.windows ?? []).filter((w) => w.redisNs !== null && w.published > 0);
  if (costWindows.length > 0) {
    const nodes = costRun.tool === 'loadgen' ? costRun.data.server_pids.length : costRun.data.nodes;
    const perPublication = (w) => (w.redisNs * w.delivered) / w.published;
    const sorted = [...costWindows].sort((x, y) => x.published / x.seconds - y.published / y.seconds);
    const [slow, fast] = [sorted[0], sorted[sorted.length - 1]];
    const rate = (w) => thousands(w.published / w.seconds);
    const perNodeSlow = perPublication(slow) / nodes;
    const perNodeFast = perPublication(fast) / nodes;
    const pubsA = N / 1000;
    const nodesA = 10;
    const coresA = (pubsA * nodesA * perNodeSlow) / 1e9;
    const pubsB = N / 10;
    const coresB = (pubsB * 2 * perNodeFast) / 1e9;
    shardsA = Math.max(1, Math.ceil(coresA / 0.5));
    shardsB = Math.max(1, Math.ceil(coresB / 0.5));
    lines.push(
      `- **Redis CPU** per publication sent to ${nodes} nodes (${thousands(costRun.data.subscribers)} subscribers): ` +
        `${fixed(perPublication(slow) / 1e3, 1)} µs at ${rate(slow)} publications/s, ${fixed(perPublication(fast) / 1e3, 1)} µs at ${rate(fast)}/s ` +
        `(Redis batches its reads and writes as publications come closer); charged to the subscribed nodes, ` +
        `${fixed(perNodeSlow / 1e3, 1)} and ${fixed(perNodeFast / 1e3, 1)} µs per publication and node. ` +
        `Topics of 1,000 subscribers, each on ${nodesA} nodes and published to once a second (${thousands(pubsA)} publications/s): ` +
        `${thousands(pubsA)} × ${nodesA} × ${fixed(perNodeSlow / 1e3, 1)} µs = ${fixed(coresA, 2)} of a core. ` +
        `Rooms of 10, each on about 2 nodes, one delivery per connection per second (${thousands(pubsB)} publications/s): ` +
        `${thousands(pubsB)} × 2 × ${fixed(perNodeFast / 1e3, 1)} µs = ${fixed(coresB, 2)} cores (measured at ${rate(fast)}/s; at ${thousands(pubsB)}/s Redis batches more, so this is high).`,
      `- **Redis shards**: Redis runs commands on one core; at most half a core each, **${shardsA}** for the large topics ` +
        `and **${shardsB}** for the small rooms (a Redis Cluster; sharded pub/sub sends a topic's publications to its slot's shard only). ` +
        `Memory is not what bounds Redis: it held ${f.redisHeld === null ? '–' : `${(f.redisHeld / 1024).toFixed(1)} MiB`} with ` +
        `${thousands(f.connections)} connections on ${f.nodes} nodes (a subscription per node and topic, none per connection).`,
    );
  }
  // Nodes.
  const fdProcesses = Math.ceil(N / perProcess);
  const machineGiB = 4;
  const machineCores = 2;
  const byMemory = Math.ceil(totalKib / 1048576 / (machineGiB * 0.75));
  const byCpu = coresLow === null ? null : Math.ceil(coresLow / (machineCores * 0.75));
  const nodes = Math.max(3, byMemory, byCpu ?? 0);
  lines.push(
    `- **Nodes**: with 20,000 descriptors per process as here, ${thousands(N)} ÷ ${thousands(perProcess)} = **${fdProcesses} node processes**. ` +
      `With the limit raised, on machines of ${machineCores} cores and ${machineGiB} GiB used to three quarters: ` +
      `memory ${gib(totalKib)} ÷ ${fixed(machineGiB * 0.75, 1)} GiB = ${byMemory}; ` +
      (byCpu === null ? '' : `CPU at worst ${fixed(coresLow, 1)} ÷ ${fixed(machineCores * 0.75, 1)} cores = ${byCpu}; `) +
      `so **${nodes} nodes** (at least 3, to lose one), ${thousands(Math.ceil(N / nodes))} connections each` +
      (shardsA === null
        ? '.'
        : `, and ${shardsA === shardsB ? shardsA : `${shardsA}–${shardsB}`} Redis shard(s), each with a replica.`),
  );
  return lines;
}

/** The whole section body, as Markdown. */
export function render(dir) {
  const { runs, idle } = load(dir);
  const out = [];
  const machine = path.join(dir, 'machine.md');
  if (existsSync(machine)) out.push(readFileSync(machine, 'utf8').trimEnd(), '');
  const same = sameDriverTable(runs);
  if (same.length > 0) {
    out.push(
      `#### Broadcast to ${thousands(runs['capstan-3']?.data.subscribers ?? runs['socketio-3']?.data.subscribers)} subscribers, one driver for all (cluster-load: \`ws\` for capstan, \`socket.io-client\` for Socket.IO)`,
      '',
      ...same,
      '',
    );
  }
  const lg = loadgenTable(runs);
  if (lg.length > 0) {
    out.push('#### capstan through the Rust load generator (loadgen broadcast), past the Node.js driver\'s limit', '', ...lg, '');
  }
  const rooms = roomsTable(runs['capstan-3-rooms']);
  if (rooms.length > 0) {
    out.push('#### Many small publications through Redis (loadgen, capstan on 3 nodes): what a publication costs', '', ...rooms, '');
  }
  out.push('#### Goals', '', ...goals(runs), '');
  if (idle) {
    out.push(`#### ${thousands(idle.connections)} idle connections over ${idle.servers_connections.length} capstan nodes`, '', ...idleTable(idle), '');
    out.push('#### Estimate for 1,000,000 connections (from the figures above)', '', ...estimate(runs, idle), '');
  }
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir || dir === '--help' || dir === '-h') {
    process.stdout.write('node table.mjs DIR: the cross-node benchmark\'s tables from DIR (see scripts/cluster-bench.sh)\n');
    process.exit(dir ? 0 : 2);
  }
  process.stdout.write(render(dir));
}
