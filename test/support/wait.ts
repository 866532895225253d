/** Polls `test` until it holds; throws naming `what` after `ms`. For e2e tests that wait on a process or a node. */
export async function until(what: string, test: () => boolean | Promise<boolean>, ms = 30_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
