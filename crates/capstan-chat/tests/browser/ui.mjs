// The chat page as a user drives it, for the browser tests: log in, say
// something, read what is shown, wait for it.
import { WAIT, eventually } from './harness.mjs';

/** The connection badge's state: 'online', 'reconnecting', 'offline', 'connecting'. */
export const badge = (page) => page.getAttribute('[data-testid=connection-state]', 'data-state');

/** Waits until `user`'s badge is one of `states`. */
export async function waitBadge(user, states, what) {
  const wanted = [].concat(states);
  await eventually(async () => {
    const s = await badge(user.page);
    return { ok: wanted.includes(s), seen: s };
  }, `${user.name}'s badge to be ${what || wanted.join(' or ')}`);
}

/** Picks `name` on the login form. */
export async function login(user, name) {
  const { page } = user;
  await page.locator('[data-testid=login]').waitFor({ state: 'visible' });
  await page.fill('[data-testid=name-input]', name);
  await page.click('[data-testid=login-button]');
}

/** Waits until the server took the name and the page is online. */
export async function loggedIn(user) {
  await user.page.locator('[data-testid=login]').waitFor({ state: 'hidden' });
  await waitBadge(user, 'online');
  await user.page.waitForFunction(() => window.chat && window.chat.named(), null, { timeout: WAIT });
}

/** Types `text` and sends it with the button (or the Enter key). */
export async function say(user, text, { enter = false } = {}) {
  await user.page.fill('[data-testid=message-input]', text);
  if (enter) await user.page.press('[data-testid=message-input]', 'Enter');
  else await user.page.click('[data-testid=send-button]');
}

/** The messages shown in the current room, top to bottom. */
export function readMessages(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('#messages [data-testid=message]')].map((li) => ({
      id: li.dataset.id ? Number(li.dataset.id) : null,
      author: li.querySelector('[data-testid=message-author]')?.textContent ?? '',
      content: li.querySelector('[data-testid=message-content]')?.textContent ?? '',
      pending: li.dataset.pending === 'true',
    })),
  );
}

/** Waits until `check(list)` holds for the messages `user` sees. */
export async function waitMessages(user, check, what) {
  return eventually(async () => {
    const list = await readMessages(user.page);
    return { ok: !!check(list), seen: list.map((m) => `${m.id ?? 'pending'} ${m.author}: ${m.content}`), list };
  }, `${user.name} to see ${what}`);
}

/** Every text shown exactly once, in this order, none pending, and nothing else. */
export function exactly(expected) {
  return (list) =>
    list.length === expected.length &&
    list.every((m, i) => m.content === expected[i] && !m.pending && m.id !== null) &&
    list.every((m, i) => i === 0 || m.id > list[i - 1].id);
}
