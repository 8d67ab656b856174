// node api-peer.mjs [ADDR] [KEY]: the peer of api-load (scripts/api-bench.sh),
// what a Node.js team writes when its backend must push to browsers without
// a real-time server: the `ws` library (npm `ws`, 8.x, default settings,
// clientTracking on) on a node:http server, and one HTTP endpoint,
// POST /api/publish, that checks the X-API-Key header, reads the JSON body
// and sends its `data` to every connected client (the ws README's "Server
// broadcast" loop), then answers {"result":{}}. It keeps no history: the
// comparison with Capstan's skip_history publishes is the like-for-like one.
//
// WebSocket at /ws (any path upgrades); 404 for other HTTP requests.

import http from 'node:http';
import { WebSocketServer } from 'ws';

const [addr = '127.0.0.1:0', key = 'bench-key'] = process.argv.slice(2);
const [host, port] = addr.split(':');
const MAX_BODY = 65536;

const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });

// Every answer with its Content-Length (the load generator reads
// kept-alive answers by length, not chunked).
function answer(res, status, body = '') {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/api/publish') {
    answer(res, 404);
    return;
  }
  if (req.headers['x-api-key'] !== key) {
    answer(res, 401);
    return;
  }
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY) req.destroy();
    else chunks.push(chunk);
  });
  req.on('end', () => {
    let command;
    try {
      command = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      answer(res, 400, '{"error":{"code":107,"message":"bad request"}}');
      return;
    }
    const data = JSON.stringify({ channel: command.channel, data: command.data });
    for (const client of wss.clients) client.send(data);
    answer(res, 200, '{"result":{}}');
  });
});

server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
});

server.listen(Number(port), host, () => {
  const bound = server.address();
  console.log(`api-peer listening on http://${bound.address}:${bound.port}/ pid=${process.pid}`);
});
