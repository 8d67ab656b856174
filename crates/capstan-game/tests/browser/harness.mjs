// The game server as a child process for the JavaScript tests, on a port
// the kernel picks; the generic helpers (processes, Chromium, bounded waits)
// are the chat's browser harness's.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, startProcess } from '../../../capstan-chat/tests/browser/harness.mjs';

export { CHROMIUM, CHROMIUM_ARGS, WAIT, eventually, sleep } from '../../../capstan-chat/tests/browser/harness.mjs';

/** The server binary (CAPSTAN_GAME_BIN, else the debug build). */
export const GAME_BIN =
  process.env.CAPSTAN_GAME_BIN || path.join(process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target'), 'debug/capstan-game');

/**
 * Starts `capstan-game` on 127.0.0.1 with a fresh database (or `db`) and
 * `args`; waits until it prints its address. Returns { port, url, wsUrl,
 * db, stop(), log() }; `stop()` sends SIGTERM and checks the exit status is 0.
 */
export async function startGame({ args = [], db } = {}) {
  if (!fs.existsSync(GAME_BIN)) {
    throw new Error(`no server binary at ${GAME_BIN} (cargo build -p capstan-game, or set CAPSTAN_GAME_BIN)`);
  }
  const dir = db ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'capstan-game-'));
  const database = db || path.join(dir, 'game.db');
  const child = await startProcess(GAME_BIN, ['--bind', '127.0.0.1', '--port', '0', '--db', database, ...args], {
    ready: /open http:\/\/127\.0\.0\.1:(\d+)\//,
    name: 'capstan-game',
  });
  const port = Number(child.ready[1]);
  return {
    port,
    url: `http://127.0.0.1:${port}/`,
    wsUrl: `ws://127.0.0.1:${port}/`,
    db: database,
    log: child.log,
    async stop() {
      await child.stop();
      const { code, signal } = await child.exited;
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
      if (code !== 0) throw new Error(`capstan-game exited with code ${code}, signal ${signal}\n${child.log()}`);
    },
  };
}
