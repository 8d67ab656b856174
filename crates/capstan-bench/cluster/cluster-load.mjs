// node cluster-load.mjs --system capstan|socketio --url URL... [options]:
// the cross-node broadcast benchmark's driver (BENCHMARKS.md, "Across nodes
// (Redis)"). N subscribers spread over the nodes' URLs in turn, one
// publisher on the first node (or --publish-url); for each offered rate,
// a window of publishing at rate ÷ N messages/s, then a drain; deliveries/s,
// latency from the publisher's timestamp in the payload, and the CPU time of
// every server-side process (the nodes and Redis) and of the driver itself,
// from /proc/PID/stat.
//
// One code for both systems: only the connection differs (lib/clients.mjs:
// `ws` to a capstan node's /broadcast, `socket.io-client` to a Socket.IO
// node). The subscribers run in worker processes (this script again,
// `worker`, forked), each holding its share; the publisher runs in this
// process. Everything is bounded: connections by count and a connect
// timeout, windows by --duration and --max-messages, drains by 30 s, the
// whole run by --timeout (workers exit by themselves at that limit too).
//
// The payload is loadgen's: `pub:` + the sender's clock as 20 digits (ns
// since the Unix epoch; all zeros for a probe) + `:` + `x` up to --size.

import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { parseWsUrl } from './lib/args.mjs';
import { SYSTEMS, open } from './lib/clients.mjs';
import { MIN_SIZE, nowNs, parseStamp, stamp } from './lib/clock.mjs';
import { Histogram } from './lib/histogram.mjs';
import { busySeconds, cpuSeconds, rssKib } from './lib/procfs.mjs';

const USAGE = `node cluster-load.mjs --system capstan|socketio --url URL [--url URL…] [options]

  --system S            capstan (ws to /broadcast) or socketio (socket.io-client)
  --url URL             a node, ws://127.x.y.z:PORT[/PATH] (capstan: ws://…/broadcast;
                        socketio: ws://…:PORT); repeat for each node: subscriber i goes to
                        node i mod nodes
  --publish-url URL     where the publisher connects (default: the first --url)
  --node-pid PID        a node's process, read from /proc (repeat, one per node)
  --redis-pid PID       the Redis server's process, read from /proc
  --connections N       subscribers (10000)
  --rate LIST           offered deliveries/s, comma-separated (20000,100000)
  --duration S          seconds of publishing per rate (10)
  --max-messages M      most messages published per rate (100000)
  --size B              payload bytes, at least ${MIN_SIZE} (64)
  --procs K             worker processes holding the subscribers (4)
  --sources K           source addresses 127.0.0.1..K for the subscribers (1)
  --connect-concurrency C  connections being opened at once per worker (64)
  --label TEXT          the run's name in the results (default: the system)
  --json FILE           write every reading there
  --timeout S           limit for the whole run (600)

Prints a Markdown table on stdout, progress on stderr.`;

/** A drain ends when nothing arrives for this long… */
const DRAIN_STALL_MS = 3000;
/** …or after this long in all. */
const DRAIN_LIMIT_MS = 30000;
/** Longest wait for every subscriber to get a probe. */
const SUBSCRIBE_LIMIT_MS = 60000;
/** Longest a worker may take to answer. */
const REPLY_TIMEOUT_MS = 30000;

// -- worker -------------------------------------------------------------------

async function worker(plan) {
  const limit = setTimeout(() => {
    process.stderr.write(`cluster-load worker: the run's limit of ${plan.timeoutS} s passed\n`);
    process.exit(3);
  }, plan.timeoutS * 1000);
  limit.unref();
  let histogram = new Histogram();
  const counts = { opened: 0, ready: false, reached: 0, messages: 0, ended: 0, error: null };
  const reachedOnce = new Uint8Array(plan.count);
  const bad = (why) => {
    counts.error ??= why;
  };
  process.on('message', (command) => {
    if (command === 'reset') histogram = new Histogram();
    const reply = { ...counts };
    if (command === 'collect') reply.histogram = histogram.toJSON();
    if (command === 'stop') {
      process.send(reply, () => process.exit(0));
      return;
    }
    process.send(reply);
  });
  process.on('disconnect', () => process.exit(0));
  let next = 0;
  const openOne = async () => {
    while (next < plan.count) {
      const local = next++;
      const global = plan.first + local;
      const url = plan.urls[global % plan.urls.length];
      const localAddress =
        plan.sources > 1 ? `127.0.0.${1 + (global % plan.sources)}` : undefined;
      let conn;
      try {
        conn = await open(plan.system, url, { localAddress });
      } catch (e) {
        process.send({ fatal: `connection ${global} to ${url}: ${e.message}` }, () =>
          process.exit(1),
        );
        return;
      }
      conn.onMessage((data) => {
        const ts = parseStamp(data);
        if (ts < 0) return bad('a message without a timestamp');
        if (ts > 0) histogram.record(nowNs() - ts);
        counts.messages++;
        if (reachedOnce[local] === 0) {
          reachedOnce[local] = 1;
          counts.reached++;
        }
      });
      conn.onEnd((why) => {
        counts.ended++;
        bad(`connection ${global}: ${why}`);
      });
      counts.opened++;
    }
  };
  await Promise.all(Array.from({ length: plan.concurrency }, openOne));
  counts.ready = true;
}

// -- coordinator ----------------------------------------------------------------

function parseArgs(args) {
  const o = {
    system: null,
    urls: [],
    publishUrl: null,
    nodePids: [],
    redisPid: null,
    connections: 10000,
    rates: [20000, 100000],
    duration: 10,
    maxMessages: 100000,
    size: 64,
    procs: 4,
    sources: 1,
    connectConcurrency: 64,
    label: null,
    json: null,
    timeout: 600,
  };
  const positive = (flag, v) => {
    const n = Number(v);
    if (!(n > 0) || !Number.isFinite(n)) throw new Error(`${flag} takes a positive number, not ${v}`);
    return n;
  };
  const whole = (flag, v) => {
    const n = positive(flag, v);
    if (!Number.isInteger(n)) throw new Error(`${flag} takes a whole number, not ${v}`);
    return n;
  };
  const url = (flag, v) => {
    if (v === undefined || parseWsUrl(v) === null) {
      throw new Error(`${flag} takes ws://127.x.y.z:PORT[/PATH] (loopback only), not ${v}`);
    }
    return v;
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = () => {
      if (i + 1 >= args.length) throw new Error(`${flag} needs a value`);
      return args[++i];
    };
    switch (flag) {
      case '--help':
      case '-h':
        return null;
      case '--system':
        o.system = value();
        if (!SYSTEMS.includes(o.system)) throw new Error(`--system: ${SYSTEMS.join(' or ')}`);
        break;
      case '--url':
        o.urls.push(url(flag, value()));
        break;
      case '--publish-url':
        o.publishUrl = url(flag, value());
        break;
      case '--node-pid':
        o.nodePids.push(whole(flag, value()));
        break;
      case '--redis-pid':
        o.redisPid = whole(flag, value());
        break;
      case '--connections':
        o.connections = whole(flag, value());
        break;
      case '--rate':
        o.rates = value().split(',').map((r) => positive(flag, r));
        break;
      case '--duration':
        o.duration = positive(flag, value());
        break;
      case '--max-messages':
        o.maxMessages = whole(flag, value());
        break;
      case '--size':
        o.size = whole(flag, value());
        break;
      case '--procs':
        o.procs = whole(flag, value());
        break;
      case '--sources':
        o.sources = whole(flag, value());
        if (o.sources > 254) throw new Error('--sources: at most 254');
        break;
      case '--connect-concurrency':
        o.connectConcurrency = whole(flag, value());
        break;
      case '--label':
        o.label = value();
        break;
      case '--json':
        o.json = value();
        break;
      case '--timeout':
        o.timeout = positive(flag, value());
        break;
      default:
        throw new Error(`unknown argument ${JSON.stringify(flag)}`);
    }
  }
  if (o.system === null) throw new Error('give --system');
  if (o.urls.length === 0) throw new Error('give the nodes: --url URL (once per node)');
  if (o.nodePids.length !== 0 && o.nodePids.length !== o.urls.length) {
    throw new Error('give one --node-pid per --url, or none');
  }
  if (o.size < MIN_SIZE) throw new Error(`--size: at least ${MIN_SIZE}`);
  o.publishUrl ??= o.urls[0];
  o.label ??= o.system;
  return o;
}

/** `(total, parts)` → `[first, count]` per part, as even as can be. */
export function split(total, parts) {
  const out = [];
  let first = 0;
  for (let i = 0; i < parts; i++) {
    const count = Math.floor(total / parts) + (i < total % parts ? 1 : 0);
    out.push([first, count]);
    first += count;
  }
  return out;
}

class Workers {
  constructor(plans) {
    this.children = plans.map((plan) =>
      fork(fileURLToPath(import.meta.url), ['worker', JSON.stringify(plan)], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    this.waiting = this.children.map(() => []);
    this.children.forEach((child, i) => {
      child.on('message', (reply) => {
        if (reply.fatal) {
          this.fatal ??= `worker ${i}: ${reply.fatal}`;
          return;
        }
        this.waiting[i].shift()?.(reply);
      });
      child.on('exit', (code) => {
        this.fatal ??= `worker ${i} exited (${code})`;
        for (const resolve of this.waiting[i].splice(0)) resolve(null);
      });
    });
  }

  pids() {
    return this.children.map((c) => c.pid);
  }

  /** Sends `command` to every worker; their answers, in order. */
  async ask(command) {
    const replies = this.children.map(
      (child, i) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`worker ${i}: no answer to ${command}`)),
            REPLY_TIMEOUT_MS,
          );
          this.waiting[i].push((reply) => {
            clearTimeout(timer);
            if (reply === null) reject(new Error(this.fatal ?? `worker ${i} ended`));
            else resolve(reply);
          });
          child.send(command);
        }),
    );
    const answers = await Promise.all(replies);
    if (this.fatal) throw new Error(this.fatal);
    return answers;
  }

  /** The workers' counters, added up (and their histograms, for `collect`). */
  async totals(command = 'report') {
    const answers = await this.ask(command);
    const t = { opened: 0, ready: 0, reached: 0, messages: 0, ended: 0, error: null };
    let histogram = command === 'collect' ? new Histogram() : null;
    for (const a of answers) {
      t.opened += a.opened;
      t.ready += a.ready ? 1 : 0;
      t.reached += a.reached;
      t.messages += a.messages;
      t.ended += a.ended;
      t.error ??= a.error;
      if (histogram) histogram.merge(Histogram.fromJSON(a.histogram));
    }
    return { ...t, histogram };
  }

  async stop() {
    await this.ask('stop').catch(() => {});
    for (const child of this.children) if (child.exitCode === null) child.kill();
  }

  kill() {
    for (const child of this.children) if (child.exitCode === null) child.kill();
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const thousands = (n) => Math.round(n).toLocaleString('en-US');
const say = (line) => process.stderr.write(line + '\n');

/** CPU seconds of the processes, the machine's busy time, and the clock. */
function readProcesses(o, workers) {
  return {
    at: performance.now(),
    busy: busySeconds(),
    nodes: o.nodePids.map(cpuSeconds),
    redis: o.redisPid === null ? null : cpuSeconds(o.redisPid),
    driver: [...workers.pids(), process.pid].map(cpuSeconds),
  };
}

const sum = (values) => values.reduce((a, b) => a + (b ?? 0), 0);

/** What was used from `a` to `b`, in seconds of CPU, and the wall time. */
function usage(a, b) {
  const seconds = (b.at - a.at) / 1000;
  const nodes = b.nodes.map((v, i) => (v === null || a.nodes[i] === null ? null : v - a.nodes[i]));
  const redis = b.redis === null || a.redis === null ? null : b.redis - a.redis;
  const driver = b.driver.map((v, i) => (v === null || a.driver[i] === null ? null : v - a.driver[i]));
  const busy = b.busy - a.busy;
  const known = sum(nodes) + (redis ?? 0) + sum(driver);
  return { seconds, nodes, redis, driver, other: Math.max(0, busy - known) };
}

class Publisher {
  constructor(conn, size) {
    this.conn = conn;
    this.size = size;
    this.received = 0;
    this.probeText = stamp(0, size);
    conn.onMessage(() => this.received++);
    this.ended = null;
    conn.onEnd((why) => {
      this.ended = why;
    });
  }

  probe() {
    this.conn.send(this.probeText);
  }

  /** `perSecond` messages a second, for `seconds` or `max` messages. */
  async publish(perSecond, seconds, max) {
    const start = performance.now();
    let sent = 0;
    let maxLagMs = 0;
    while (sent < max) {
      const dueMs = (sent / perSecond) * 1000;
      if (dueMs >= seconds * 1000) break;
      const wait = start + dueMs - performance.now();
      if (wait > 0) await sleep(wait);
      maxLagMs = Math.max(maxLagMs, performance.now() - start - dueMs);
      if (this.ended) throw new Error(`the publisher's connection ended: ${this.ended}`);
      this.conn.send(stamp(nowNs(), this.size));
      sent++;
    }
    return { messages: sent, elapsedS: (performance.now() - start) / 1000, maxLagMs };
  }
}

async function coordinate(o) {
  const limit = setTimeout(() => {
    say(`cluster-load: the run's limit of ${o.timeout} s passed`);
    process.exit(3);
  }, o.timeout * 1000);
  limit.unref();
  const n = o.connections;
  const procs = Math.min(o.procs, n);
  const plans = split(n, procs).map(([first, count]) => ({
    system: o.system,
    urls: o.urls,
    first,
    count,
    sources: o.sources,
    concurrency: o.connectConcurrency,
    timeoutS: o.timeout,
  }));
  const workers = new Workers(plans);
  const label = `[${o.label}]`;
  try {
    const opening = performance.now();
    for (;;) {
      const t = await workers.totals();
      if (t.ready === procs) break;
      if (performance.now() - opening > 120000) throw new Error(`only ${t.opened}/${n} open after 120 s`);
      say(`${label} opening: ${thousands(t.opened)}/${thousands(n)}`);
      await sleep(1000);
    }
    say(`${label} ${thousands(n)} subscribers open in ${((performance.now() - opening) / 1000).toFixed(1)} s`);
    const publisher = new Publisher(await open(o.system, o.publishUrl), o.size);
    // Probes until every subscriber has one: all are in the topic.
    const probing = performance.now();
    for (;;) {
      publisher.probe();
      await sleep(200);
      const t = await workers.totals();
      if (t.reached >= n) break;
      if (t.ended > 0) throw new Error(`subscribers lost: ${t.ended} (${t.error})`);
      if (performance.now() - probing > SUBSCRIBE_LIMIT_MS) {
        throw new Error(`only ${t.reached}/${n} subscribers got a probe within 60 s`);
      }
    }
    await quiet(workers);
    say(`${label} every subscriber got a probe`);
    await sleep(2000);

    const windows = [];
    for (const offered of o.rates) {
      const perSecond = offered / n;
      const startTotals = await workers.totals('reset');
      const start = readProcesses(o, workers);
      const publishing = publisher.publish(perSecond, o.duration, o.maxMessages);
      let previous = { totals: startTotals, procs: start };
      let done = null;
      publishing.then((p) => (done = p), (e) => (done = e));
      while (done === null) {
        await sleep(1000);
        const totals = await workers.totals();
        const procs = readProcesses(o, workers);
        const u = usage(previous.procs, procs);
        say(
          `${label} ${thousands(offered)}/s offered, ${((procs.at - start.at) / 1000).toFixed(0)} s: ` +
            `${thousands((totals.messages - previous.totals.messages) / u.seconds)} deliveries/s, ` +
            `nodes CPU ${pct(sum(u.nodes) / u.seconds)}, Redis ${pct((u.redis ?? 0) / u.seconds)}, ` +
            `driver ${pct(sum(u.driver) / u.seconds)}, ${totals.ended} lost`,
        );
        previous = { totals, procs };
      }
      if (done instanceof Error) throw done;
      const published = done;
      const expected = startTotals.messages + published.messages * n;
      const end = await drain(workers, o, expected, label);
      const collected = await workers.totals('collect');
      const u = usage(start, end.procs);
      const delivered = end.totals.messages - startTotals.messages;
      const serverSide = sum(u.nodes) + (u.redis ?? 0);
      windows.push({
        offered_deliveries_per_second: offered,
        publish_rate_per_second: perSecond,
        published: published.messages,
        publisher_max_lag_ms: published.maxLagMs,
        delivered,
        missing: Math.max(0, published.messages * n - delivered),
        window_seconds: u.seconds,
        deliveries_per_second: delivered / u.seconds,
        latency: collected.histogram.summary(),
        cpu_seconds: { nodes: u.nodes, redis: u.redis, driver: u.driver, other: u.other },
        server_side_cpu_seconds: serverSide,
        server_side_cores: serverSide / u.seconds,
        driver_cores: sum(u.driver) / u.seconds,
        driver_busiest_process_core: Math.max(...u.driver.map((v) => v ?? 0)) / u.seconds,
        other_cores: u.other / u.seconds,
        nodes_cpu_ns_per_delivery: (sum(u.nodes) * 1e9) / Math.max(1, delivered),
        redis_cpu_ns_per_delivery: u.redis === null ? null : (u.redis * 1e9) / Math.max(1, delivered),
        server_side_cpu_ns_per_delivery: (serverSide * 1e9) / Math.max(1, delivered),
        deliveries_per_server_cpu_second: serverSide > 0 ? delivered / serverSide : null,
        rss_kib: { nodes: o.nodePids.map(rssKib), redis: o.redisPid === null ? null : rssKib(o.redisPid) },
        connections_lost: end.totals.ended,
        first_error: end.totals.error,
      });
      await sleep(2000);
    }
    await workers.stop();
    const result = {
      tool: 'cluster-load',
      label: o.label,
      system: o.system,
      nodes: o.urls.length,
      urls: o.urls,
      publish_url: o.publishUrl,
      node_pids: o.nodePids,
      redis_pid: o.redisPid,
      subscribers: n,
      payload_bytes: o.size,
      publishing_seconds: o.duration,
      max_messages: o.maxMessages,
      driver_processes: procs + 1,
      source_addresses: o.sources,
      publisher_received: publisher.received,
      windows,
    };
    if (o.json) writeFileSync(o.json, JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(markdown(result));
    publisher.conn.close();
  } finally {
    workers.kill();
  }
}

const pct = (share) => `${Math.round(share * 100)} %`;

/** Waits until the message count stops moving. */
async function quiet(workers) {
  let last = (await workers.totals()).messages;
  const start = performance.now();
  for (;;) {
    await sleep(300);
    const now = (await workers.totals()).messages;
    if (now === last || performance.now() - start > DRAIN_LIMIT_MS) return;
    last = now;
  }
}

/**
 * Samples until `expected` messages have arrived, or none for a while;
 * returns the sample at which the count last moved (a stall is not time
 * spent delivering).
 */
async function drain(workers, o, expected, label) {
  const start = performance.now();
  let last = { totals: await workers.totals(), procs: readProcesses(o, workers) };
  while (
    last.totals.messages < expected &&
    performance.now() - last.procs.at < DRAIN_STALL_MS &&
    performance.now() - start < DRAIN_LIMIT_MS
  ) {
    await sleep(50);
    const totals = await workers.totals();
    if (totals.messages !== last.totals.messages) {
      last = { totals, procs: readProcesses(o, workers) };
    }
  }
  if (last.totals.messages < expected) {
    say(`${label} drain ended with ${thousands(expected - last.totals.messages)} deliveries missing`);
  }
  return last;
}

/** One run's table. */
export function markdown(r) {
  const ms = (ns) => (ns === null || ns === undefined ? '–' : `${(ns / 1e6).toFixed(2)} ms`);
  const lines = [
    `## cluster-load: ${r.label} (${r.system}, ${r.nodes} node(s)), ${thousands(r.subscribers)} subscribers, ${r.payload_bytes} B`,
    '',
    '| offered/s | published | delivered/s | p50 | p99 | p99.9 | nodes CPU ns/delivery | Redis CPU ns/delivery | server side ns/delivery | deliveries per server CPU-s | server side cores | driver cores (busiest process) | other | missing | lost |',
    '|' + '---:|'.repeat(15),
  ];
  for (const w of r.windows) {
    lines.push(
      '| ' +
        [
          thousands(w.offered_deliveries_per_second),
          thousands(w.published),
          thousands(w.deliveries_per_second),
          ms(w.latency.p50_ns),
          ms(w.latency.p99_ns),
          ms(w.latency.p999_ns),
          thousands(w.nodes_cpu_ns_per_delivery),
          w.redis_cpu_ns_per_delivery === null ? '–' : thousands(w.redis_cpu_ns_per_delivery),
          thousands(w.server_side_cpu_ns_per_delivery),
          w.deliveries_per_server_cpu_second === null ? '–' : thousands(w.deliveries_per_server_cpu_second),
          w.server_side_cores.toFixed(2),
          `${w.driver_cores.toFixed(2)} (${w.driver_busiest_process_core.toFixed(2)})`,
          w.other_cores.toFixed(2),
          thousands(w.missing),
          w.connections_lost === 0 ? '0' : `${w.connections_lost} (${w.first_error})`,
        ].join(' | ') +
        ' |',
    );
  }
  return lines.join('\n') + '\n';
}

// -- main -------------------------------------------------------------------------

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args[0] === 'worker') {
    worker(JSON.parse(args[1])).catch((e) => {
      process.send?.({ fatal: e.message });
      process.exit(1);
    });
  } else {
    let options;
    try {
      options = parseArgs(args);
    } catch (e) {
      process.stderr.write(`cluster-load: ${e.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    if (options === null) {
      process.stdout.write(USAGE + '\n');
      process.exit(0);
    }
    coordinate(options).then(
      () => process.exit(0),
      (e) => {
        say(`cluster-load: ${e.message}`);
        process.exit(1);
      },
    );
  }
}
