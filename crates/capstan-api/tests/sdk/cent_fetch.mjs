// Capstan's server API from Node.js with nothing but its built-in fetch,
// as @centrifugal/cent does it (POST {api}/{method}, JSON body, X-API-Key):
// the same core calls as the Python SDK's test, and a WebSocket client
// (Node's built-in one, --experimental-websocket on Node 20) to see a
// publication arrive.
//
//   API_URL=http://HOST:PORT/api WS_URL=ws://HOST:PORT/ws API_KEY=KEY \
//     node --experimental-websocket cent_fetch.mjs
//
// Prints one line per check and "node: N passed, M failed" last.

const { API_URL, WS_URL, API_KEY } = process.env;
let passed = 0;
let failed = 0;

function check(name, condition, detail = "") {
  if (condition) {
    passed += 1;
    console.log(`ok   ${name}`);
  } else {
    failed += 1;
    console.log(`FAIL ${name} ${typeof detail === "string" ? detail : JSON.stringify(detail)}`);
  }
}

async function call(method, body, key = API_KEY) {
  const response = await fetch(`${API_URL}/${method}`, {
    method: "POST",
    headers: { "X-API-Key": key, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

function subscriber(user, channel) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${WS_URL}/${user}/${channel}`);
    const queue = [];
    const waiting = [];
    ws.onmessage = (event) => {
      if (waiting.length) waiting.shift()(event.data);
      else queue.push(event.data);
    };
    ws.onerror = reject;
    const next = () =>
      new Promise((got, timeout) => {
        if (queue.length) return got(queue.shift());
        waiting.push(got);
        setTimeout(() => timeout(new Error("no message within 10 s")), 10_000).unref();
      });
    ws.onopen = async () => {
      const welcome = await next();
      if (welcome !== "welcome") reject(new Error(`first message ${welcome}`));
      resolve({ ws, next });
    };
  });
}

async function main() {
  const carol = await subscriber("carol", "node-news");

  const published = await call("publish", { channel: "node-news", data: { from: "node" } });
  check("publish: 200 and an offset", published.status === 200 && published.body.result.offset === 1, published);
  check("publish: delivered", (await carol.next()) === '{"from":"node"}');

  const stats = await call("presence_stats", { channel: "node-news" });
  check("presence_stats", stats.body.result.num_clients === 1, stats);

  const history = await call("history", { channel: "node-news", limit: 10 });
  check("history", history.body.result.publications.length === 1, history);

  const info = await call("info", {});
  check("info", Array.isArray(info.body.result.nodes) && info.body.result.nodes.length === 1, info);

  const channels = await call("channels", {});
  check("channels", "node-news" in channels.body.result.channels, channels);

  const batch = await call("batch", {
    commands: [{ publish: { channel: "node-news", data: 2 } }, { nope: {} }],
    parallel: false,
  });
  check(
    "batch: replies without a result wrapper",
    batch.status === 200 && batch.body.replies[0].publish.offset === 2 && batch.body.replies[1].error.code === 104,
    batch,
  );
  check("batch: delivered", (await carol.next()) === "2");

  const unknown = await call("publish", { channel: "no way!", data: 1 });
  check("an unknown channel: 200 and error 102", unknown.status === 200 && unknown.body.error.code === 102, unknown);

  const wrongKey = await call("info", {}, "not-the-key");
  check("a wrong key: 401", wrongKey.status === 401 && wrongKey.body.error.code === 101, wrongKey);

  carol.ws.close();
}

try {
  await main();
} catch (error) {
  console.log(error);
  failed += 1;
}
console.log(`node: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
