// Everything a socket receives, in order, with ways to await what the
// tests expect: a reply to a command, or a condition on the whole list.

/** The messages of one socket, recorded from now on. */
export class Inbox {
  list = [];
  #waiters = [];

  constructor(socket) {
    this.socket = socket;
    socket.addEventListener('message', (e) => {
      this.list.push(e.data);
      this.#waiters = this.#waiters.filter((w) => !w());
    });
  }

  /** Resolves once `test(list)` holds; rejects after `ms` (a safety net only). */
  until(test, what = 'the expected messages', ms = 30000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms; got ${this.list.length}: ` +
        JSON.stringify(this.list.slice(-5)))), ms);
      const check = () => {
        if (!test(this.list)) return false;
        clearTimeout(timer);
        resolve(this.list);
        return true;
      };
      if (!check()) this.#waiters.push(check);
    });
  }

  /** Sends the command `!name …` and resolves with the value of the first `name=` reply after it. */
  async ask(command) {
    const name = command.slice(1).split(' ')[0], from = this.list.length;
    this.socket.send(command);
    const list = await this.until((l) => l.slice(from).some((m) => typeof m == 'string' && m.startsWith(name + '=')),
      `reply to ${command}`);
    return list.slice(from).find((m) => typeof m == 'string' && m.startsWith(name + '=')).slice(name.length + 1);
  }
}
