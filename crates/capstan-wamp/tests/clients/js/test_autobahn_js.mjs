// WAMP v2 Advanced Profile and authentication against a running router, with
// autobahn-js (a client nobody on this project wrote), 22.x or 26.x, once per
// serializer: the checks of ../test_autobahn_python_advanced.py that
// autobahn-js can make (not the raw bad-input ones).
//
//     node test_autobahn_js.mjs PORT 22|26 [json|msgpack|cbor ...]
//
// Needs `npm ci` in this folder. The router must serve what the Python suite's
// docstring says (realm1; authrealm with alice, eve, bob, carol, dave).
// autobahn-js 26 uses the global WebSocket of Node 22; on Node 20 this script
// runs itself again with --experimental-websocket, which gives Node 20 the
// same WebSocket. autobahn-js 22 brings the `ws` package.
//
// Prints "PASS name [serializer]" / "FAIL name [serializer]: why" per check
// and last "autobahn-js-VERSION: N passed, M failed"; exit status 1 if any
// failed.

import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';

const [portArg, version, ...serArgs] = process.argv.slice(2);
if (!portArg || !['22', '26'].includes(version)) {
   console.error('usage: node test_autobahn_js.mjs PORT 22|26 [json|msgpack|cbor ...]');
   process.exit(2);
}
if (version === '26' && typeof WebSocket === 'undefined') {
   const child = spawnSync(process.execPath, ['--experimental-websocket', '--no-warnings', ...process.argv.slice(1)],
      { stdio: 'inherit' });
   process.exit(child.status === null ? 1 : child.status);
}

const require = createRequire(import.meta.url);
const autobahn = require(`autobahn${version}`);
const nacl = require('tweetnacl');

const PORT = Number(portArg);
const WAIT = 10000;
const SHORT = 2000;
const SERIALIZERS = {
   json: () => new autobahn.serializer.JSONSerializer(),
   msgpack: () => new autobahn.serializer.MsgpackSerializer(),
   cbor: () => new autobahn.serializer.CBORSerializer(),
};
const DAVE_SEED = '4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const hex = (bytes) => Buffer.from(bytes).toString('hex');

class Failure extends Error {}
function expect(condition, why) {
   if (!condition) throw new Failure(why);
}
const show = (v) => JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? `${x}n` : x));
const same = (a, b) => show(a) === show(b);

function bounded(promise, ms, what) {
   let timer;
   return Promise.race([
      promise,
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Failure(`${what}: nothing within ${ms} ms`)), ms); }),
   ]).finally(() => clearTimeout(timer));
}

async function expectError(promise, uri, what) {
   let result;
   try {
      result = await bounded(Promise.resolve(promise), WAIT, what);
   } catch (e) {
      if (e instanceof Failure) throw e;
      expect(e && e.error === uri, `${what}: ${e && e.error ? `${e.error} ${show(e.args)}` : e}, not ${uri}`);
      return e;
   }
   throw new Failure(`${what}: succeeded (${show(result)}), not ${uri}`);
}

// -- joining --------------------------------------------------------------------

function ticket(secret) {
   return () => secret;
}

function wampcra(secret) {
   return (session, method, extra) => {
      const key = extra.salt ? autobahn.auth_cra.derive_key(secret, extra.salt, extra.iterations, extra.keylen) : secret;
      return autobahn.auth_cra.sign(key, extra.challenge);
   };
}

function cryptosignKey(seedHex) {
   return nacl.sign.keyPair.fromSeed(Uint8Array.from(Buffer.from(seedHex, 'hex')));
}

function cryptosign(key) {
   return (session, method, extra) => autobahn.auth_cryptosign.sign_challenge(key, extra);
}

const PRINCIPALS = {
   alice: () => ({ authmethods: ['ticket'], onchallenge: ticket('secret-ticket') }),
   eve: () => ({ authmethods: ['ticket'], onchallenge: ticket('eve-ticket') }),
   bob: () => ({ authmethods: ['wampcra'], onchallenge: wampcra('bob-secret') }),
   carol: () => ({ authmethods: ['wampcra'], onchallenge: wampcra('carol-secret') }),
   dave: () => {
      const key = cryptosignKey(DAVE_SEED);
      return { authmethods: ['cryptosign'], authextra: { pubkey: hex(key.publicKey) }, onchallenge: cryptosign(key) };
   },
};

// What autobahn-js does not show: every message the router sent, and every
// one the session sent. ERRORs for calls autobahn-js already gave up (it
// rejects a skip/killnowait cancel at once, then takes the router's ERROR for
// a protocol violation and drops the connection) and INTERRUPTs (it has no
// handler) are kept from it; everything else goes on as it came.
function tap(session) {
   session.wire = [];
   session.sent = [];
   session.gaveUp = new Set();
   session.waiters = [];
   const receive = session._socket.onmessage;
   session._socket.onmessage = (msg) => {
      session.wire.push(msg);
      for (const w of [...session.waiters]) {
         if (w.match(msg)) {
            session.waiters.splice(session.waiters.indexOf(w), 1);
            w.resolve(msg);
         }
      }
      if (msg[0] === 8 && msg[1] === 48 && session.gaveUp.has(msg[2])) return;
      if (msg[0] === 69) return;
      receive(msg);
   };
   const send = session._send_wamp;
   session._send_wamp = (msg) => {
      session.sent.push(msg);
      return send(msg);
   };
}

function received(session, match, ms, what) {
   const seen = session.wire.find(match);
   if (seen) return Promise.resolve(seen);
   return bounded(new Promise((resolve) => session.waiters.push({ match, resolve })), ms, what);
}

function connect(ser, realm = 'realm1', auth = {}) {
   return new Promise((resolve, reject) => {
      let joined = false;
      let closed;
      const left = new Promise((r) => { closed = r; });
      const connection = new autobahn.Connection({
         url: `ws://127.0.0.1:${PORT}/ws`,
         realm,
         serializers: [SERIALIZERS[ser]()],
         max_retries: 0,
         retry_if_unreachable: false,
         ...auth,
      });
      const timer = setTimeout(() => reject(new Failure(`neither joined nor refused on ${realm}`)), WAIT);
      connection.onopen = (session, details) => {
         joined = true;
         clearTimeout(timer);
         tap(session);
         session.details = details;
         resolve({ session, connection, left });
      };
      connection.onclose = (reason, details) => {
         closed({ reason, details });
         if (!joined) {
            clearTimeout(timer);
            resolve({ refused: true, reason, details });
         }
         return true; // no retries
      };
      connection.open();
   });
}

class Pool {
   constructor(ser) {
      this.ser = ser;
      this.open = [];
   }

   async join(realm = 'realm1', auth = {}) {
      const c = await connect(this.ser, realm, auth);
      expect(!c.refused, `could not join ${realm}: ${c.details && c.details.reason}`);
      this.open.push(c);
      return c.session;
   }

   principal(name) {
      return this.join('authrealm', { authid: name, ...PRINCIPALS[name]() });
   }

   async leave(session) {
      const i = this.open.findIndex((c) => c.session === session);
      const [c] = this.open.splice(i, 1);
      await close(c);
   }

   async closeAll() {
      for (const c of this.open.splice(0)) await close(c).catch(() => {});
   }
}

async function close(c) {
   try {
      c.connection.close();
   } catch (e) {
      return; // closed already
   }
   await bounded(c.left, WAIT, 'leaving');
}

async function withPool(ser, fn) {
   const pool = new Pool(ser);
   try {
      return await fn(pool);
   } finally {
      await pool.closeAll();
   }
}

// Events for one handler: [args, kwargs, details].
class Inbox {
   constructor() {
      this.items = [];
      this.waiting = [];
      this.handler = (args, kwargs, details) => {
         const item = [args || [], kwargs || {}, details];
         const w = this.waiting.shift();
         if (w) w(item); else this.items.push(item);
      };
   }

   get(ms = WAIT) {
      if (this.items.length) return Promise.resolve(this.items.shift());
      return bounded(new Promise((resolve) => this.waiting.push(resolve)), ms, 'an event');
   }

   // First arguments of everything before the marker (taken): the router keeps
   // one peer's messages in order, so nothing sent before it is still coming.
   async until(marker) {
      const seen = [];
      for (;;) {
         const [args] = await this.get();
         if (same(args, [marker])) return seen;
         seen.push(args.length === 1 ? args[0] : args);
      }
   }
}

async function subscribe(session, topic, options) {
   const inbox = new Inbox();
   const subscription = await session.subscribe(topic, inbox.handler, options);
   return [inbox, subscription];
}

const ack = (options = {}) => ({ acknowledge: true, ...options });

const CHECKS = [];
const check = (name, fn) => CHECKS.push([name, fn]);

// -- publisher exclusion and black/white lists ------------------------------------

async function delivery(publisher, subscribers, topic, options = {}) {
   await publisher.publish(topic, ['x'], {}, ack(options));
   await publisher.publish(topic, ['end'], {}, ack({ exclude_me: false }));
   const got = [];
   for (const [name, inbox] of Object.entries(subscribers)) {
      const seen = await inbox.until('end');
      expect(same(seen, []) || same(seen, ['x']), `${name} got ${show(seen)}`);
      if (seen.length) got.push(name);
   }
   return got.sort();
}

check('exclude_me', (ser) => withPool(ser, async (pool) => {
   const pub = await pool.join();
   const sub = await pool.join();
   const topic = 'com.adv.exclude_me';
   const inboxes = { publisher: (await subscribe(pub, topic))[0], other: (await subscribe(sub, topic))[0] };
   let got = await delivery(pub, inboxes, topic);
   expect(same(got, ['other']), `default: delivered to ${show(got)}`);
   got = await delivery(pub, inboxes, topic, { exclude_me: true });
   expect(same(got, ['other']), `exclude_me=true: delivered to ${show(got)}`);
   got = await delivery(pub, inboxes, topic, { exclude_me: false });
   expect(same(got, ['other', 'publisher']), `exclude_me=false: delivered to ${show(got)}`);
}));

async function threeSubscribers(pool, topic) {
   const pub = await pool.join();
   const subs = {};
   const inboxes = {};
   for (const name of ['a', 'b', 'c']) {
      subs[name] = await pool.join();
      [inboxes[name]] = await subscribe(subs[name], topic);
   }
   return [pub, subs, inboxes];
}

check('exclude_sessions', (ser) => withPool(ser, async (pool) => {
   const topic = 'com.adv.exclude';
   const [pub, subs, inboxes] = await threeSubscribers(pool, topic);
   let got = await delivery(pub, inboxes, topic, { exclude: [subs.b.id] });
   expect(same(got, ['a', 'c']), `exclude=[b]: delivered to ${show(got)}`);
   got = await delivery(pub, inboxes, topic, { exclude: [subs.a.id, subs.c.id] });
   expect(same(got, ['b']), `exclude=[a, c]: delivered to ${show(got)}`);
}));

check('eligible_sessions', (ser) => withPool(ser, async (pool) => {
   const topic = 'com.adv.eligible';
   const [pub, subs, inboxes] = await threeSubscribers(pool, topic);
   let got = await delivery(pub, inboxes, topic, { eligible: [subs.a.id, subs.c.id] });
   expect(same(got, ['a', 'c']), `eligible=[a, c]: delivered to ${show(got)}`);
   got = await delivery(pub, inboxes, topic, { eligible: [subs.b.id], exclude_me: false });
   expect(same(got, ['b']), `eligible=[b]: delivered to ${show(got)}`);
   got = await delivery(pub, inboxes, topic, { eligible: [subs.a.id, subs.b.id], exclude: [subs.b.id] });
   expect(same(got, ['a']), `eligible=[a, b] exclude=[b]: delivered to ${show(got)}`);
}));

check('exclude_authid_anonymous', (ser) => withPool(ser, async (pool) => {
   const topic = 'com.adv.exclude_authid';
   const [pub, subs, inboxes] = await threeSubscribers(pool, topic);
   const authid = (name) => subs[name].details.authid;
   expect(new Set(['a', 'b', 'c'].map(authid)).size === 3, 'anonymous authids not distinct');
   let got = await delivery(pub, inboxes, topic, { exclude_authid: [authid('a')] });
   expect(same(got, ['b', 'c']), `exclude_authid=[a's]: delivered to ${show(got)}`);
   got = await delivery(pub, inboxes, topic, { eligible_authid: [authid('c')] });
   expect(same(got, ['c']), `eligible_authid=[c's]: delivered to ${show(got)}`);
}));

async function principalsOnNews(pool) {
   const pub = await pool.principal('alice');
   const inboxes = {};
   for (const name of ['bob', 'carol', 'dave', 'eve']) {
      [inboxes[name]] = await subscribe(await pool.principal(name), 'com.example.news');
   }
   return [pub, inboxes];
}

for (const [name, cases] of [
   ['exclude_authid', [[{ exclude_authid: ['bob'] }, ['carol', 'dave', 'eve']],
      [{ exclude_authid: ['bob', 'eve'] }, ['carol', 'dave']]]],
   ['eligible_authid', [[{ eligible_authid: ['bob', 'eve'] }, ['bob', 'eve']]]],
   ['exclude_authrole', [[{ exclude_authrole: ['restricted'] }, ['bob', 'carol', 'dave']],
      [{ exclude_authrole: ['user'] }, ['eve']]]],
   ['eligible_authrole', [[{ eligible_authrole: ['restricted'] }, ['eve']],
      [{ eligible_authrole: ['user'], exclude_authid: ['carol'] }, ['bob', 'dave']]]],
]) {
   check(name, (ser) => withPool(ser, async (pool) => {
      const [pub, inboxes] = await principalsOnNews(pool);
      for (const [options, want] of cases) {
         const got = await delivery(pub, inboxes, 'com.example.news', options);
         expect(same(got, want), `${show(options)}: delivered to ${show(got)}, not ${show(want)}`);
      }
   }));
}

// -- publisher identification ------------------------------------------------------

async function disclosedPublisher(pub, sub, topic) {
   const [inbox] = await subscribe(sub, topic);
   pub.publish(topic, ['hello'], {}, { disclose_me: true });
   const [args, , details] = await inbox.get();
   expect(same(args, ['hello']), `event ${show(args)}`);
   expect(details.publisher === pub.id, `details.publisher ${details.publisher}, not ${pub.id}`);
   for (const [field, want] of [['publisher_authid', pub.details.authid], ['publisher_authrole', pub.details.authrole]]) {
      expect(details[field] === undefined || details[field] === want, `details.${field} ${details[field]}, not ${want}`);
   }
}

check('publisher_disclosed', (ser) => withPool(ser, async (pool) => {
   await disclosedPublisher(await pool.join(), await pool.join(), 'com.adv.disclose');
}));

check('publisher_disclosed_authrealm', (ser) => withPool(ser, async (pool) => {
   await disclosedPublisher(await pool.principal('alice'), await pool.principal('bob'), 'com.example.disclose');
}));

// -- pattern-based subscriptions ------------------------------------------------------

async function topicsUntil(inbox) {
   const seen = [];
   for (;;) {
      const [args, , details] = await inbox.get();
      if (same(args, ['end'])) return seen;
      seen.push([args[0], details.topic]);
   }
}

check('subscribe_prefix', (ser) => withPool(ser, async (pool) => {
   const pub = await pool.join();
   const sub = await pool.join();
   const [inbox] = await subscribe(sub, 'com.adv.pfx', { match: 'prefix' });
   for (const t of ['com.adv.pfx', 'com.adv.pfx.a', 'com.adv.pfx.a.b', 'com.adv.other']) await pub.publish(t, [t], {}, ack());
   await pub.publish('com.adv.pfx.end', ['end'], {}, ack());
   const want = ['com.adv.pfx', 'com.adv.pfx.a', 'com.adv.pfx.a.b'].map((t) => [t, t]);
   const seen = await topicsUntil(inbox);
   expect(same(seen, want), `(payload, details.topic) ${show(seen)}, not ${show(want)}`);
}));

check('subscribe_wildcard', (ser) => withPool(ser, async (pool) => {
   const pub = await pool.join();
   const sub = await pool.join();
   const [inbox] = await subscribe(sub, 'com.adv..update', { match: 'wildcard' });
   for (const t of ['com.adv.a.update', 'com.adv.b.update', 'com.adv.a.b.update', 'com.adv.a.delete', 'com.adv.update']) {
      await pub.publish(t, [t], {}, ack());
   }
   await pub.publish('com.adv.end.update', ['end'], {}, ack());
   const want = ['com.adv.a.update', 'com.adv.b.update'].map((t) => [t, t]);
   const seen = await topicsUntil(inbox);
   expect(same(seen, want), `(payload, details.topic) ${show(seen)}, not ${show(want)}`);
}));

check('subscribe_exact_and_prefix', (ser) => withPool(ser, async (pool) => {
   const pub = await pool.join();
   const sub = await pool.join();
   const [exact, exactSub] = await subscribe(sub, 'com.adv.both.x');
   const [prefix, prefixSub] = await subscribe(sub, 'com.adv.both', { match: 'prefix' });
   expect(exactSub.id !== prefixSub.id, 'one subscription ID for an exact and a prefix subscription');
   await pub.publish('com.adv.both.x', ['x'], {}, ack());
   await pub.publish('com.adv.both.x', ['end'], {}, ack());
   const gotExact = await exact.until('end');
   const gotPrefix = await prefix.until('end');
   expect(same(gotExact, ['x']) && same(gotPrefix, ['x']), `exact got ${show(gotExact)}, prefix got ${show(gotPrefix)}`);
}));

// -- pattern-based registrations --------------------------------------------------------

const reporting = (name) => (args, kwargs, details) => [name, details.procedure];

check('register_prefix', (ser) => withPool(ser, async (pool) => {
   const callee = await pool.join();
   const caller = await pool.join();
   await callee.register('com.adv.rpfx', reporting('prefix'), { match: 'prefix' });
   for (const uri of ['com.adv.rpfx.a', 'com.adv.rpfx.a.b']) {
      const got = await caller.call(uri);
      expect(same(got, ['prefix', uri]), `call ${uri}: ${show(got)}`);
   }
   await expectError(caller.call('com.adv.rother'), 'wamp.error.no_such_procedure', 'call com.adv.rother');
}));

check('register_wildcard', (ser) => withPool(ser, async (pool) => {
   const callee = await pool.join();
   const caller = await pool.join();
   await callee.register('com.adv.rwild..get', reporting('wildcard'), { match: 'wildcard' });
   const got = await caller.call('com.adv.rwild.x.get');
   expect(same(got, ['wildcard', 'com.adv.rwild.x.get']), `call com.adv.rwild.x.get: ${show(got)}`);
   for (const uri of ['com.adv.rwild.x.y.get', 'com.adv.rwild.x.put']) {
      await expectError(caller.call(uri), 'wamp.error.no_such_procedure', `call ${uri}`);
   }
}));

check('register_precedence', (ser) => withPool(ser, async (pool) => {
   const callee = await pool.join();
   const caller = await pool.join();
   const exact = await callee.register('com.adv.prec.a.b', reporting('exact'));
   await callee.register('com.adv.prec.a', reporting('prefix'), { match: 'prefix' });
   await callee.register('com.adv.prec', reporting('short prefix'), { match: 'prefix' });
   await callee.register('com.adv.prec..b', reporting('wildcard'), { match: 'wildcard' });
   for (const [uri, want] of [['com.adv.prec.a.b', 'exact'], ['com.adv.prec.a.c', 'prefix'], ['com.adv.prec.z.c', 'short prefix']]) {
      const got = await caller.call(uri);
      expect(same(got, [want, uri]), `call ${uri}: ${show(got)}, not ${show([want, uri])}`);
   }
   await callee.unregister(exact);
   let got = await caller.call('com.adv.prec.a.b');
   expect(same(got, ['prefix', 'com.adv.prec.a.b']), `without the exact registration: ${show(got)}`);
   got = await caller.call('com.adv.prec.z.b');
   expect(same(got, ['short prefix', 'com.adv.prec.z.b']), `prefix and wildcard both match: ${show(got)}`);
}));

// -- shared registrations -----------------------------------------------------------------

async function shared(pool, procedure, invoke) {
   const callees = {};
   for (const name of ['c1', 'c2', 'c3']) {
      callees[name] = await pool.join();
      await callees[name].register(procedure, () => name, { invoke });
   }
   return callees;
}

async function calls(caller, procedure, n) {
   const got = [];
   for (let i = 0; i < n; i += 1) got.push(await caller.call(procedure));
   return got;
}

check('shared_single', (ser) => withPool(ser, async (pool) => {
   const first = await pool.join();
   const second = await pool.join();
   const caller = await pool.join();
   await first.register('com.adv.single', () => 'first', { invoke: 'single' });
   await expectError(second.register('com.adv.single', () => 'second', { invoke: 'single' }),
      'wamp.error.procedure_already_exists', 'second single REGISTER');
   const got = await caller.call('com.adv.single');
   expect(got === 'first', `call: ${show(got)}`);
}));

check('shared_roundrobin', (ser) => withPool(ser, async (pool) => {
   await shared(pool, 'com.adv.rr', 'roundrobin');
   const got = await calls(await pool.join(), 'com.adv.rr', 6);
   expect(same(got, ['c1', 'c2', 'c3', 'c1', 'c2', 'c3']), `six calls answered by ${show(got)}`);
}));

check('shared_random', (ser) => withPool(ser, async (pool) => {
   await shared(pool, 'com.adv.random', 'random');
   const got = await calls(await pool.join(), 'com.adv.random', 12);
   expect(got.every((c) => ['c1', 'c2', 'c3'].includes(c)), `answered by ${show(got)}`);
   expect(new Set(got).size > 1, `twelve random calls all answered by ${got[0]}`);
}));

check('shared_first', (ser) => withPool(ser, async (pool) => {
   const callees = await shared(pool, 'com.adv.first', 'first');
   const caller = await pool.join();
   let got = await calls(caller, 'com.adv.first', 3);
   expect(same(got, ['c1', 'c1', 'c1']), `answered by ${show(got)}`);
   await pool.leave(callees.c1);
   got = await calls(caller, 'com.adv.first', 2);
   expect(same(got, ['c2', 'c2']), `after c1 left: answered by ${show(got)}`);
}));

check('shared_last', (ser) => withPool(ser, async (pool) => {
   const callees = await shared(pool, 'com.adv.last', 'last');
   const caller = await pool.join();
   let got = await calls(caller, 'com.adv.last', 3);
   expect(same(got, ['c3', 'c3', 'c3']), `answered by ${show(got)}`);
   await pool.leave(callees.c3);
   got = await calls(caller, 'com.adv.last', 2);
   expect(same(got, ['c2', 'c2']), `after c3 left: answered by ${show(got)}`);
}));

check('shared_mixed_policies', (ser) => withPool(ser, async (pool) => {
   const a = await pool.join();
   const b = await pool.join();
   await a.register('com.adv.mixed', () => 1, { invoke: 'roundrobin' });
   for (const invoke of ['random', 'single', 'first', 'last']) {
      await expectError(b.register('com.adv.mixed', () => 2, { invoke }),
         'wamp.error.procedure_exists_with_different_invocation_policy', `REGISTER ${invoke} over roundrobin`);
   }
}));

// -- progressive call results -----------------------------------------------------------------

async function progressive(args, kwargs, details) {
   if (!details.progress) return 'no progress asked';
   for (let i = 0; i < 3; i += 1) {
      details.progress([i], { step: i });
      await sleep(20);
   }
   return 'done';
}

check('progressive_results', (ser) => withPool(ser, async (pool) => {
   const callee = await pool.join();
   const caller = await pool.join();
   await callee.register('com.adv.progress', progressive);
   const seen = [];
   const call = caller.call('com.adv.progress', [], {}, { receive_progress: true });
   expect(typeof call.progress === 'function', 'the call promise takes no progress handler (no when.js?)');
   call.progress((r) => seen.push(r instanceof autobahn.Result ? [r.args, r.kwargs] : r));
   const result = await bounded(call, WAIT, 'the final result');
   const want = [[[0], { step: 0 }], [[1], { step: 1 }], [[2], { step: 2 }]];
   expect(same(seen, want), `progress ${show(seen)}, not ${show(want)}`);
   expect(result === 'done', `final result ${show(result)}`);
}));

check('no_progress_unasked', (ser) => withPool(ser, async (pool) => {
   const callee = await pool.join();
   const caller = await pool.join();
   await callee.register('com.adv.progress', progressive);
   const result = await caller.call('com.adv.progress');
   expect(result === 'no progress asked', `result ${show(result)}`);
}));

// -- call canceling and timeouts -----------------------------------------------------------------
// autobahn-js callees announce no call_canceling and have no INTERRUPT
// handler: for them a router must treat every mode as skip (ERROR to the
// caller at once, no INTERRUPT, the callee's late YIELD dropped).

function slowCallee(ms) {
   const state = { started: null, finished: false, done: null };
   let finish;
   state.done = new Promise((resolve) => { finish = resolve; });
   state.started = new Promise((resolve) => {
      state.fn = async () => {
         resolve();
         await sleep(ms);
         state.finished = true;
         finish();
         return 'finished';
      };
   });
   return state;
}

const callsTo = (session, procedure) => session.sent.filter((m) => m[0] === 48 && m[3] === procedure).map((m) => m[1]);

for (const mode of ['skip', 'kill', 'killnowait']) {
   check(`cancel_${mode}`, (ser) => withPool(ser, async (pool) => {
      const callee = await pool.join();
      const caller = await pool.join();
      const slow = slowCallee(1500);
      await callee.register('com.adv.slow', slow.fn);
      const call = caller.call('com.adv.slow');
      call.then(() => {}, () => {});
      const [request] = callsTo(caller, 'com.adv.slow');
      await bounded(slow.started, WAIT, 'the invocation');
      if (mode !== 'kill') caller.gaveUp.add(request);
      call.cancel({ mode });
      const isAnswer = (m) => (m[0] === 8 && m[1] === 48 && m[2] === request) || (m[0] === 50 && m[1] === request);
      let answer;
      try {
         answer = await received(caller, isAnswer, 1000, 'an answer');
      } catch (e) {
         await sleep(1000);
         const later = caller.wire.find(isAnswer);
         throw new Failure(`within 1 s of CANCEL ${mode}: nothing, not ERROR wamp.error.canceled `
            + `(after the callee finished: ${later ? show(later) : 'nothing'})`);
      }
      expect(answer[0] === 8 && answer[4] === 'wamp.error.canceled', `after CANCEL ${mode}: ${show(answer)}`);
      expect(!slow.finished, `the ERROR came only after the callee finished (${mode} is skip for this callee)`);
      // The callee (not interrupted: it announced no call_canceling) runs
      // to its end; its late answer must not reach the caller.
      await bounded(slow.done, WAIT, 'the callee finishing');
      await sleep(200);
      expect(!callee.wire.some((m) => m[0] === 69), 'an INTERRUPT to a callee that announced no call_canceling');
      expect(caller.wire.filter(isAnswer).length === 1, `more than one answer: ${show(caller.wire.filter(isAnswer))}`);
      await callee.register('com.adv.after', () => 'still here');
      expect(await caller.call('com.adv.after') === 'still here', 'the caller\'s session is not usable after the cancel');
   }));
}

check('call_timeout', (ser) => withPool(ser, async (pool) => {
   const callee = await pool.join();
   const caller = await pool.join();
   const slow = slowCallee(12000);
   await callee.register('com.adv.slow', slow.fn);
   const t0 = Date.now();
   let got;
   try {
      got = ['result', await bounded(caller.call('com.adv.slow', [], {}, { timeout: 1000 }), 4000, 'timeout 1000 ms')];
   } catch (e) {
      got = e instanceof Failure ? ['none', e.message] : ['error', e.error];
   }
   const elapsed = (Date.now() - t0) / 1000;
   expect(same(got, ['error', 'wamp.error.canceled']) || same(got, ['error', 'wamp.error.timeout']),
      `timeout 1000 ms: ${show(got)} after ${elapsed.toFixed(1)} s`);
   expect(elapsed >= 0.9 && elapsed <= 3, `timeout 1000 ms answered after ${elapsed.toFixed(1)} s`);
   expect(!callee.wire.some((m) => m[0] === 69), 'an INTERRUPT to a callee that announced no call_canceling');
}));

// -- caller identification ---------------------------------------------------------------------------

async function disclosedCaller(callee, caller, procedure) {
   let seen;
   await callee.register(procedure, (args, kwargs, details) => { seen = details; return 'ok'; });
   expect(await caller.call(procedure, [], {}, { disclose_me: true }) === 'ok', 'call failed');
   expect(seen.caller === caller.id, `details.caller ${seen.caller}, not ${caller.id}`);
   for (const [field, want] of [['caller_authid', caller.details.authid], ['caller_authrole', caller.details.authrole]]) {
      expect(seen[field] === undefined || seen[field] === want, `details.${field} ${seen[field]}, not ${want}`);
   }
}

check('caller_disclosed', (ser) => withPool(ser, async (pool) => {
   await disclosedCaller(await pool.join(), await pool.join(), 'com.adv.who');
}));

check('caller_disclosed_authrealm', (ser) => withPool(ser, async (pool) => {
   await disclosedCaller(await pool.principal('bob'), await pool.principal('alice'), 'com.example.who');
}));

// -- revocation through the meta API ---------------------------------------------------------------------

check('revoke_subscriber', (ser) => withPool(ser, async (pool) => {
   const sub = await pool.join();
   const admin = await pool.join();
   const [inbox, subscription] = await subscribe(sub, 'com.adv.revoke');
   const [sync] = await subscribe(sub, 'com.adv.revoke.sync');
   const got = await admin.call('wamp.subscription.remove_subscriber', [subscription.id, sub.id], { reason: 'com.adv.revoked' });
   expect(got === null || got === undefined, `remove_subscriber returned ${show(got)}`);
   const reason = await bounded(subscription.on_unsubscribe, WAIT, 'on_unsubscribe');
   expect(reason === 'com.adv.revoked', `on_unsubscribe reason ${show(reason)}`);
   expect(!subscription.active, 'the subscription is still active');
   await admin.publish('com.adv.revoke', ['after'], {}, ack());
   await admin.publish('com.adv.revoke.sync', ['end'], {}, ack());
   await sync.until('end');
   expect(inbox.items.length === 0, 'an event after the subscriber was removed');
}));

check('revoke_callee', (ser) => withPool(ser, async (pool) => {
   const callee = await pool.join();
   const admin = await pool.join();
   const registration = await callee.register('com.adv.revoke', () => 'here');
   const got = await admin.call('wamp.registration.remove_callee', [registration.id, callee.id], { reason: 'com.adv.revoked' });
   expect(got === null || got === undefined, `remove_callee returned ${show(got)}`);
   const reason = await bounded(registration.on_unregister, WAIT, 'on_unregister');
   expect(reason === 'com.adv.revoked', `on_unregister reason ${show(reason)}`);
   await expectError(admin.call('com.adv.revoke'), 'wamp.error.no_such_procedure', 'call after remove_callee');
}));

// -- session meta API -----------------------------------------------------------------------------------------

check('session_count_and_list', (ser) => withPool(ser, async (pool) => {
   const admin = await pool.join();
   const before = await admin.call('wamp.session.count');
   const listedBefore = await admin.call('wamp.session.list');
   expect(Number.isInteger(before) && before >= 1, `count ${show(before)}`);
   expect(listedBefore.includes(admin.id) && listedBefore.length === before, `list ${show(listedBefore)} (count ${before})`);
   const other = await pool.join();
   const otherId = other.id;
   const after = await admin.call('wamp.session.count');
   const listed = await admin.call('wamp.session.list');
   expect(after === before + 1, `count ${before} then ${after} after one more joined`);
   expect(same([...listed].sort(), [...listedBefore, otherId].sort()), `list ${show(listedBefore)} then ${show(listed)}`);
   await pool.leave(other);
   expect(await admin.call('wamp.session.count') === before, 'count after one left');
   const alice = await pool.principal('alice');
   expect(!(await admin.call('wamp.session.list')).includes(alice.id), 'another realm\'s session listed');
}));

check('session_get', (ser) => withPool(ser, async (pool) => {
   const admin = await pool.join();
   const other = await pool.join();
   const got = await admin.call('wamp.session.get', [other.id]);
   const want = { session: other.id, authid: other.details.authid, authrole: other.details.authrole, authmethod: 'anonymous' };
   const seen = Object.fromEntries(Object.keys(want).map((k) => [k, got[k]]));
   expect(same(seen, want), `get ${show(seen)}, not ${show(want)}`);
   await expectError(admin.call('wamp.session.get', [1]), 'wamp.error.no_such_session', 'get of no session');
}));

check('session_on_join_and_leave', (ser) => withPool(ser, async (pool) => {
   const admin = await pool.join();
   const joins = new Inbox();
   const leaves = new Inbox();
   await admin.subscribe('wamp.session.on_join', joins.handler);
   await admin.subscribe('wamp.session.on_leave', leaves.handler);
   const other = await pool.join();
   const wantLeave = [other.id, other.details.authid, other.details.authrole];
   const [args] = await joins.get();
   expect(args.length === 1 && typeof args[0] === 'object', `on_join arguments ${show(args)}`);
   const info = args[0];
   const want = { session: other.id, authid: other.details.authid, authrole: other.details.authrole };
   const seen = Object.fromEntries(Object.keys(want).map((k) => [k, info[k]]));
   expect(same(seen, want), `on_join ${show(seen)}, not ${show(want)}`);
   await pool.leave(other);
   const [leftArgs] = await leaves.get();
   expect(same(leftArgs, wantLeave) || same(leftArgs, wantLeave.slice(0, 1)),
      `on_leave arguments ${show(leftArgs)}, not ${show(wantLeave)} (or its first)`);
}));

check('subscription_meta', (ser) => withPool(ser, async (pool) => {
   const a = await pool.join();
   const b = await pool.join();
   const admin = await pool.join();
   const [, exact] = await subscribe(a, 'com.adv.meta.t');
   const [, prefix] = await subscribe(a, 'com.adv.meta', { match: 'prefix' });
   const [, exactB] = await subscribe(b, 'com.adv.meta.t');
   expect(exactB.id === exact.id, `two subscriptions to one topic: ${exact.id} and ${exactB.id}`);
   const call = (p, args) => admin.call(p, args);
   let got = await call('wamp.subscription.lookup', ['com.adv.meta.t']);
   expect(got === exact.id, `lookup exact ${got}, not ${exact.id}`);
   got = await call('wamp.subscription.lookup', ['com.adv.meta', { match: 'prefix' }]);
   expect(got === prefix.id, `lookup prefix ${got}, not ${prefix.id}`);
   got = await call('wamp.subscription.lookup', ['com.adv.meta.none']);
   expect(got === null, `lookup of nothing ${show(got)}`);
   got = await call('wamp.subscription.match', ['com.adv.meta.t']);
   expect(same([...(got || [])].sort(), [exact.id, prefix.id].sort()), `match ${show(got)}`);
   got = await call('wamp.subscription.match', ['com.adv.nothing']);
   expect(got === null || same(got, []), `match of nothing ${show(got)}`);
   got = await call('wamp.subscription.get', [exact.id]);
   expect(same({ id: got.id, uri: got.uri, match: got.match }, { id: exact.id, uri: 'com.adv.meta.t', match: 'exact' })
      && 'created' in got, `get ${show(got)}`);
   got = await call('wamp.subscription.list');
   expect((got.exact || []).includes(exact.id) && (got.prefix || []).includes(prefix.id), `list ${show(got)}`);
   got = await call('wamp.subscription.list_subscribers', [exact.id]);
   expect(same([...got].sort(), [a.id, b.id].sort()), `list_subscribers ${show(got)}`);
   got = await call('wamp.subscription.count_subscribers', [exact.id]);
   expect(got === 2, `count_subscribers ${show(got)}`);
   await expectError(call('wamp.subscription.get', [1]), 'wamp.error.no_such_subscription', 'get of nothing');
}));

check('subscription_list_wildcard', (ser) => withPool(ser, async (pool) => {
   const a = await pool.join();
   const admin = await pool.join();
   const [, wild] = await subscribe(a, 'com.adv.wsmeta..x', { match: 'wildcard' });
   const got = await admin.call('wamp.subscription.list');
   expect((got.wildcard || []).includes(wild.id), `list ${show(got)} without the wildcard subscription ${wild.id}`);
}));

check('registration_meta', (ser) => withPool(ser, async (pool) => {
   const a = await pool.join();
   const b = await pool.join();
   const admin = await pool.join();
   const exact = await a.register('com.adv.rmeta.p', () => 1, { invoke: 'roundrobin' });
   const exactB = await b.register('com.adv.rmeta.p', () => 2, { invoke: 'roundrobin' });
   expect(exactB.id === exact.id, `two registrations of one shared procedure: ${exact.id} and ${exactB.id}`);
   const prefix = await a.register('com.adv.rmeta', () => 3, { match: 'prefix' });
   const wild = await a.register('com.adv.wmeta..p', () => 4, { match: 'wildcard' });
   const call = (p, args) => admin.call(p, args);
   let got = await call('wamp.registration.lookup', ['com.adv.rmeta.p']);
   expect(got === exact.id, `lookup exact ${got}`);
   got = await call('wamp.registration.lookup', ['com.adv.rmeta', { match: 'prefix' }]);
   expect(got === prefix.id, `lookup prefix ${got}`);
   got = await call('wamp.registration.lookup', ['com.adv.wmeta..p', { match: 'wildcard' }]);
   expect(got === wild.id, `lookup wildcard ${got}`);
   for (const [uri, want] of [['com.adv.rmeta.p', exact.id], ['com.adv.rmeta.q', prefix.id], ['com.adv.wmeta.z.p', wild.id]]) {
      got = await call('wamp.registration.match', [uri]);
      expect(got === want, `match ${uri}: ${got}, not ${want}`);
   }
   got = await call('wamp.registration.get', [exact.id]);
   const want = { id: exact.id, uri: 'com.adv.rmeta.p', match: 'exact', invoke: 'roundrobin' };
   expect(same({ id: got.id, uri: got.uri, match: got.match, invoke: got.invoke }, want) && 'created' in got, `get ${show(got)}`);
   got = await call('wamp.registration.list');
   expect((got.exact || []).includes(exact.id) && (got.prefix || []).includes(prefix.id)
      && (got.wildcard || []).includes(wild.id), `list ${show(got)}`);
   got = await call('wamp.registration.list_callees', [exact.id]);
   expect(same([...got].sort(), [a.id, b.id].sort()), `list_callees ${show(got)}`);
   got = await call('wamp.registration.count_callees', [exact.id]);
   expect(got === 2, `count_callees ${show(got)}`);
   await expectError(call('wamp.registration.get', [1]), 'wamp.error.no_such_registration', 'get of nothing');
}));

// -- authentication ------------------------------------------------------------------------------------------

async function welcomed(ser, name, authmethod, authrole) {
   await withPool(ser, async (pool) => {
      const session = await pool.principal(name);
      const d = session.details;
      const got = [d.authid, d.authrole, d.authmethod];
      expect(same(got, [name, authrole, authmethod]), `WELCOME (authid, authrole, authmethod) ${show(got)}`);
   });
}

async function refused(ser, why, auth, reasons = ['wamp.error.not_authorized']) {
   const c = await connect(ser, 'authrealm', auth);
   if (!c.refused) {
      await close(c);
      throw new Failure(`${why}: joined as ${c.session.details.authid}/${c.session.details.authrole}`);
   }
   const reason = c.details && c.details.reason;
   expect(reasons.includes(reason), `${why}: ABORT ${reason} (${c.details && c.details.message}), not ${reasons.join(' or ')}`);
}

check('auth_ticket', async (ser) => {
   await welcomed(ser, 'alice', 'ticket', 'user');
   await welcomed(ser, 'eve', 'ticket', 'restricted');
});

check('auth_ticket_wrong', async (ser) => {
   await refused(ser, 'alice with a wrong ticket', { authid: 'alice', authmethods: ['ticket'], onchallenge: ticket('nope') });
   await refused(ser, 'an unknown ticket principal', { authid: 'mallory', authmethods: ['ticket'], onchallenge: ticket('secret-ticket') });
});

check('auth_wampcra', (ser) => welcomed(ser, 'bob', 'wampcra', 'user'));

check('auth_wampcra_wrong', (ser) => refused(ser, 'bob with a wrong secret',
   { authid: 'bob', authmethods: ['wampcra'], onchallenge: wampcra('nope') }));

check('auth_wampcra_salted', async (ser) => {
   let extra;
   const answer = wampcra('carol-secret');
   await withPool(ser, async (pool) => {
      const session = await pool.join('authrealm', {
         authid: 'carol',
         authmethods: ['wampcra'],
         onchallenge: (s, method, e) => { extra = e; return answer(s, method, e); },
      });
      const d = session.details;
      expect(same([d.authid, d.authrole, d.authmethod], ['carol', 'user', 'wampcra']), `WELCOME ${show([d.authid, d.authrole, d.authmethod])}`);
   });
   expect(same([extra.salt, extra.iterations, extra.keylen], ['salt123', 1000, 32]), `CHALLENGE extra ${show(extra)}`);
});

check('auth_wampcra_salted_wrong', (ser) => refused(ser, 'carol with a wrong secret',
   { authid: 'carol', authmethods: ['wampcra'], onchallenge: wampcra('nope') }));

check('auth_cryptosign', (ser) => welcomed(ser, 'dave', 'cryptosign', 'user'));

check('auth_cryptosign_wrong_key', async (ser) => {
   const stranger = cryptosignKey(randomBytes(32).toString('hex'));
   const dave = cryptosignKey(DAVE_SEED);
   await refused(ser, 'dave with a key not his', {
      authid: 'dave', authmethods: ['cryptosign'], authextra: { pubkey: hex(stranger.publicKey) }, onchallenge: cryptosign(stranger),
   });
   await refused(ser, 'dave\'s public key, signed with another', {
      authid: 'dave', authmethods: ['cryptosign'], authextra: { pubkey: hex(dave.publicKey) }, onchallenge: cryptosign(stranger),
   });
});

check('auth_anonymous_refused', (ser) => refused(ser, 'anonymous on authrealm', {},
   ['wamp.error.no_auth_method', 'wamp.error.not_authorized', 'wamp.error.authentication_failed', 'wamp.error.no_such_role']));

// -- authorization -------------------------------------------------------------------------------------------

check('authz_user', (ser) => withPool(ser, async (pool) => {
   const alice = await pool.principal('alice');
   const bob = await pool.principal('bob');
   await bob.register('com.example.authz.proc', () => 'bob\'s');
   expect(await alice.call('com.example.authz.proc') === 'bob\'s', 'call on com.example.');
   const [inbox] = await subscribe(bob, 'com.example.authz.topic');
   await alice.publish('com.example.authz.topic', ['hi'], {}, ack());
   expect(same((await inbox.get())[0], ['hi']), 'event on com.example.');
   const denied = 'wamp.error.not_authorized';
   await expectError(alice.register('com.other.proc', () => 1), denied, 'register com.other.proc');
   await expectError(alice.call('com.other.proc'), denied, 'call com.other.proc');
   await expectError(alice.subscribe('com.other.topic', () => 1), denied, 'subscribe com.other.topic');
   await expectError(alice.publish('com.other.topic', [1], {}, ack()), denied, 'publish com.other.topic');
}));

check('authz_restricted', (ser) => withPool(ser, async (pool) => {
   const eve = await pool.principal('eve');
   const alice = await pool.principal('alice');
   const [inbox] = await subscribe(eve, 'com.example.news');
   await alice.publish('com.example.news', ['news'], {}, ack());
   expect(same((await inbox.get())[0], ['news']), 'eve\'s event');
   const denied = 'wamp.error.not_authorized';
   await expectError(eve.subscribe('com.example.other', () => 1), denied, 'eve subscribes com.example.other');
   await expectError(eve.publish('com.example.news', [1], {}, ack()), denied, 'eve publishes com.example.news');
   await alice.register('com.example.proc', () => 1);
   await expectError(eve.call('com.example.proc'), denied, 'eve calls com.example.proc');
   await expectError(eve.register('com.example.news', () => 1), denied, 'eve registers com.example.news');
}));

// -- main ---------------------------------------------------------------------------------------------------

async function main() {
   const names = serArgs.length ? serArgs : Object.keys(SERIALIZERS);
   let passed = 0;
   let failed = 0;
   for (const ser of names) {
      for (const [name, fn] of CHECKS) {
         const label = `${name} [${ser}]`;
         try {
            await bounded(fn(ser), 4 * WAIT, 'the check');
            passed += 1;
            console.log(`PASS ${label}`);
         } catch (e) {
            failed += 1;
            const why = e instanceof Failure ? e.message
               : e && e.error ? `${e.error} ${show(e.args)}` : `${e && e.name}: ${e && e.message ? e.message : e}`;
            console.log(`FAIL ${label}: ${why}`);
         }
      }
   }
   console.log(`autobahn-js-${version}: ${passed} passed, ${failed} failed`);
   return failed ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => { console.error(e); process.exit(2); });
