/**
 * Rate limits: a token bucket per key (a requester after its signature is checked, or a client address
 * before anything is parsed). In memory, per instance: behind a load balancer each instance limits what
 * it serves, so a fleet of N instances lets through up to N times a limit.
 */

/** Requests per minute, with bursts up to the same number. */
export class RateLimiter {
  readonly #perMinute: number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #now: () => number;

  constructor(perMinute: number, now: () => number = () => Date.now()) {
    if (!Number.isSafeInteger(perMinute) || perMinute < 1) throw new Error(`a rate limit is at least 1 request a minute, not ${perMinute}`);
    this.#perMinute = perMinute;
    this.#now = now;
  }

  /**
   * Takes one token for `key`.
   * @returns 0 when the request may go on, else the seconds until a token is back
   */
  take(key: string): number {
    const now = this.#now();
    const b = this.#buckets.get(key) ?? { tokens: this.#perMinute, at: now };
    b.tokens = Math.min(this.#perMinute, b.tokens + ((now - b.at) * this.#perMinute) / 60_000);
    b.at = now;
    if (b.tokens < 1) {
      this.#buckets.set(key, b);
      return Math.max(1, Math.ceil(((1 - b.tokens) * 60_000) / this.#perMinute / 1000));
    }
    b.tokens -= 1;
    this.#buckets.set(key, b);
    // Full buckets hold nothing worth keeping: forget them, so the map stays as small as the active set.
    if (this.#buckets.size > 10_000) for (const [k, v] of this.#buckets) if (v.tokens >= this.#perMinute - 1) this.#buckets.delete(k);
    return 0;
  }

  /** Gives back the token a request took that turned out not to be the key's to spend (a replay of one already served). */
  giveBack(key: string): void {
    const b = this.#buckets.get(key);
    if (b !== undefined) b.tokens = Math.min(this.#perMinute, b.tokens + 1);
  }
}
