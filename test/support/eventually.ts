/**
 * Waits until `condition` holds, asking every `everyMs`, for at most `withinMs` of wall-clock time;
 * resolves true as soon as it holds, false when the time is up (the test then asserts and names what
 * never happened). The limit is generous on purpose: a loaded machine (CI, coverage's instrumented
 * chain) is slow, and a wait that ends as soon as the condition holds costs nothing when it is fast.
 */
export async function eventually(condition: () => boolean | Promise<boolean>, { withinMs = 30_000, everyMs = 25 } = {}): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
