// node --test: the cross-node benchmark's Node.js parts. The pure parts
// (addresses, timestamps, histogram, the split, the table's figures and
// goals), then the Socket.IO node and the driver end to end, tiny: one
// Socket.IO node without Redis, 40 subscribers, one short window. No
// assertion depends on speed.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { split } from './cluster-load.mjs';
import { parseLoopbackAddr, parseRedisUrl, parseWsUrl } from './lib/args.mjs';
import { MIN_SIZE, nowNs, parseStamp, stamp } from './lib/clock.mjs';
import { Histogram } from './lib/histogram.mjs';
import { cpuSeconds, rssKib } from './lib/procfs.mjs';
import { figures, goals, render } from './table.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

test('addresses: loopback only', () => {
  assert.deepEqual(parseLoopbackAddr('127.0.0.2:80'), { host: '127.0.0.2', port: 80 });
  assert.equal(parseLoopbackAddr('10.0.0.1:80'), null);
  assert.equal(parseLoopbackAddr('localhost:80'), null);
  assert.equal(parseLoopbackAddr('127.0.0.1:70000'), null);
  assert.deepEqual(parseRedisUrl('redis://127.0.0.1:6379/2'), { host: '127.0.0.1', port: 6379 });
  assert.equal(parseRedisUrl('redis://10.1.1.1:6379'), null);
  assert.equal(parseRedisUrl('rediss://127.0.0.1:6379'), null);
  assert.deepEqual(parseWsUrl('ws://127.0.0.1:9/broadcast'), { host: '127.0.0.1', port: 9, path: '/broadcast' });
  assert.deepEqual(parseWsUrl('ws://127.0.0.1:9'), { host: '127.0.0.1', port: 9, path: '/' });
  assert.equal(parseWsUrl('wss://127.0.0.1:9'), null);
  assert.equal(parseWsUrl('ws://8.8.8.8:9'), null);
});

test('timestamps: loadgen\'s payload, from a Buffer or a string', () => {
  const now = nowNs();
  assert.ok(Math.abs(now - Date.now() * 1e6) < 50e6, 'the clock is the real-time one');
  const text = stamp(now, 64);
  assert.equal(text.length, 64);
  assert.match(text, /^pub:\d{20}:x+$/);
  assert.ok(Math.abs(parseStamp(text) - now) <= 512);
  assert.ok(Math.abs(parseStamp(Buffer.from(text)) - now) <= 512);
  assert.equal(parseStamp(stamp(0, MIN_SIZE)), 0);
  assert.equal(parseStamp('pub:hello'), -1);
  assert.equal(parseStamp('pub:0000000000000000000x:xxxxxx'), -1);
  assert.equal(parseStamp('bup:00000000000000000000:xxxxxx'), -1);
});

test('histogram: quantiles within a bucket, merged by adding', () => {
  const a = new Histogram();
  for (let i = 1; i <= 1000; i++) a.record(i * 1e6); // 1 ms … 1 s
  const p50 = a.quantile(0.5);
  assert.ok(Math.abs(p50 - 500e6) / 500e6 < 0.03, `p50 ${p50}`);
  assert.ok(Math.abs(a.quantile(0.99) - 990e6) / 990e6 < 0.03);
  assert.equal(a.quantile(1), 1000e6);
  const b = Histogram.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
  assert.equal(b.count(), 1000);
  b.merge(a);
  assert.equal(b.count(), 2000);
  assert.equal(new Histogram().quantile(0.5), null);
  const tiny = new Histogram();
  tiny.record(10);
  assert.equal(tiny.count(), 1);
});

test('split: shares as even as can be', () => {
  assert.deepEqual(split(10, 3), [[0, 4], [4, 3], [7, 3]]);
  assert.deepEqual(split(2, 1), [[0, 2]]);
});

test('procfs: this process', () => {
  assert.ok(cpuSeconds(process.pid) >= 0);
  assert.ok(rssKib(process.pid) > 0);
  assert.equal(cpuSeconds(0x7ffffff0), null);
});

/** A cluster-load window with the given figures. */
function window(offered, delivered, nodesCpu, redisCpu, seconds = 10) {
  return {
    offered_deliveries_per_second: offered,
    published: delivered / 100,
    delivered,
    missing: 0,
    window_seconds: seconds,
    deliveries_per_second: delivered / seconds,
    latency: { p50_ns: 1e6, p99_ns: 2e6 },
    nodes_cpu_ns_per_delivery: (nodesCpu * 1e9) / delivered,
    redis_cpu_ns_per_delivery: redisCpu === null ? null : (redisCpu * 1e9) / delivered,
    server_side_cpu_ns_per_delivery: ((nodesCpu + (redisCpu ?? 0)) * 1e9) / delivered,
    deliveries_per_server_cpu_second: delivered / (nodesCpu + (redisCpu ?? 0)),
    server_side_cores: (nodesCpu + (redisCpu ?? 0)) / seconds,
    driver_cores: 0.5,
    driver_busiest_process_core: 0.2,
    other_cores: 0.1,
    connections_lost: 0,
  };
}

test('table: figures from both tools, goals MET and MISSED', () => {
  const run = (windows, label) => ({ label, tool: 'cluster-load', windows: windows.map((w) => figures(w, 'cluster-load')) });
  const loadgen = figures(
    {
      offered_deliveries_per_second: 1e6,
      published: 1000,
      delivered: 1e7,
      missing: 0,
      window_seconds: 10,
      deliveries_per_second: 1e6,
      latency: { p50_ns: 1e8, p99_ns: 3e8 },
      server_cpu_ns: 7e9,
      watched_cpu_ns: { redis: 1e8 },
      server_cpu_share: 0.7,
      loadgen_cpu_share: 0.3,
      other_cpu_share: 0.1,
      connections_lost: 0,
    },
    'loadgen',
  );
  assert.equal(loadgen.nodesNs, 700);
  assert.equal(loadgen.redisNs, 10);
  assert.equal(loadgen.serverNs, 710);
  assert.ok(Math.abs(loadgen.serverCores - 0.71) < 1e-9);
  const runs = {
    'capstan-3': run([window(1e5, 1e6, 1.0, 0.1)], 'capstan, 3 nodes'),
    'capstan-1': run([window(1e5, 1e6, 1.0, null)], 'capstan, 1 node'),
    'socketio-3': run([window(1e5, 1e6, 10.0, 0.1)], 'Socket.IO, 3 nodes'),
  };
  const lines = goals(runs);
  assert.match(lines[0], /^- \*\*MET\*\* cross-node fan-out/);
  assert.match(lines[0], /9\.18×/);
  assert.match(lines[2], /^- \*\*MET\*\* the broker/);
  runs['capstan-1'] = run([window(1e5, 1e6, 0.8, null)], 'capstan, 1 node');
  runs['socketio-3'] = run([window(1e5, 1e6, 4.0, 0.1)], 'Socket.IO, 3 nodes');
  const missed = goals(runs);
  assert.match(missed[0], /^- \*\*MISSED\*\*/);
  assert.match(missed[2], /^- \*\*MISSED\*\* the broker .* 1\.38×/);
  assert.match(goals({})[0], /not evaluated/);
});

/** Starts `node script args…`; resolves with the child and its LISTENING line's fields. */
function startNode(script, args) {
  const child = spawn(process.execPath, [path.join(here, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (chunk) => {
      text += chunk;
      const match = /LISTENING port=(\d+) pid=(\d+) url=(\S+)/.exec(text);
      if (match) resolve({ child, port: Number(match[1]), pid: Number(match[2]), url: match[3] });
    });
    child.on('exit', (code) => reject(new Error(`${script} exited (${code}) before listening`)));
  });
}

/** Runs cluster-load with `args`; resolves with its exit code and stdout. */
function runDriver(args) {
  const child = spawn(process.execPath, [path.join(here, 'cluster-load.mjs'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
}

test('socketio-server: refuses what is not loopback', async () => {
  for (const args of [['10.0.0.1:80'], ['--redis', 'redis://10.0.0.1:6379'], ['--bogus']]) {
    const child = spawn(process.execPath, [path.join(here, 'socketio-server.mjs'), ...args], { stdio: 'ignore' });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 2, args.join(' '));
  }
});

test('cluster-load drives a Socket.IO node: every delivery counted, the table written', { timeout: 120000 }, async () => {
  const node = await startNode('socketio-server.mjs', []);
  try {
    const dir = mkdtempSync(path.join(tmpdir(), 'cluster-load-test-'));
    const json = path.join(dir, 'broadcast-socketio-3.json');
    const { code, out, err } = await runDriver([
      '--system', 'socketio', '--url', node.url, '--node-pid', String(node.pid),
      '--connections', '40', '--rate', '400', '--duration', '1', '--procs', '2',
      '--json', json, '--timeout', '100',
    ]);
    assert.equal(code, 0, err);
    assert.match(out, /cluster-load: socketio/);
    const result = JSON.parse((await import('node:fs')).readFileSync(json, 'utf8'));
    const [w] = result.windows;
    assert.equal(w.published, 10);
    assert.equal(w.delivered, 400);
    assert.equal(w.missing, 0);
    assert.equal(w.connections_lost, 0);
    assert.equal(w.latency.count, 400);
    assert.ok(w.cpu_seconds.nodes[0] !== null);
    writeFileSync(path.join(dir, 'machine.md'), '| | |\n|:---|:---|\n');
    assert.match(render(dir), /Socket\.IO, 3 nodes \+ Redis/);
  } finally {
    node.child.kill();
  }
});

test('cluster-load refuses a URL that is not loopback, and bad flags', async () => {
  for (const args of [
    ['--system', 'capstan', '--url', 'ws://10.0.0.1:9/broadcast'],
    ['--system', 'nope', '--url', 'ws://127.0.0.1:9'],
    ['--system', 'capstan'],
    ['--system', 'capstan', '--url', 'ws://127.0.0.1:9', '--node-pid', '1', '--node-pid', '2'],
    ['--system', 'capstan', '--url', 'ws://127.0.0.1:9', '--size', '10'],
  ]) {
    const { code } = await runDriver(args);
    assert.equal(code, 2, args.join(' '));
  }
});
