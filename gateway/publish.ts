/**
 * The receipt publisher: sends the receipts of every anchored root to an indexer (`POST {indexer}/receipts`),
 * so that a patient reads every gateway's receipts in one place, and stamps the root `published_at` once the
 * indexer has accepted them all (`published_to`: the indexer instance that did). Started by gateway/main.ts
 * when `GATEWAY_INDEXER_URL` is set; without it nothing is published and receipts are read at the gateway only
 * (`GET /receipts`), as before.
 *
 * At least once, across crashes and instances. A round takes the oldest anchored roots not yet published (in
 * the order the chain holds them), reads each root's receipts in leaf order and posts them in chunks of at most
 * `maxPerRequest` (each entry built by `receiptEntry`, as `GET /receipts` builds its own), each request signed
 * anew by the gateway's signer (sdk/exchange/request.ts: the indexer's origin, `POST /receipts`, the body's
 * hash, purpose HOPERAT, a fresh nonce). A root is stamped only after every chunk of it was answered 200. A
 * crash before the stamp, or two instances taking the same root, sends it again: the indexer stores a receipt
 * once, so sending twice costs a request, never a duplicate. Nothing is dropped: a root stays unpublished
 * until the indexer took all of it, however long that takes.
 *
 * To an indexer instance, not an address. Every round starts by asking `GET {indexer}/status` for the
 * indexer's `instance` (made with its database: a database re-indexed from scratch is another instance, and so
 * is another indexer at a new `GATEWAY_INDEXER_URL`). Roots another instance took, or stamped before instances
 * were recorded, are unstamped at the round's start and sent again, oldest first, as unpublished ones are: the
 * indexer there is now holds every receipt. Every 200 must name the round's instance; another means the
 * indexer was replaced under the round, which stops without stamping the root. An indexer that names no
 * instance (one from before instances) is known by its origin: only another address is another indexer.
 *
 * What the indexer answers decides what happens next ({@link PublishError}'s codes):
 * | answer | code | then |
 * |---|---|---|
 * | `GET /status`: not 200 with an `instance` (or none), no answer within `timeoutMs`, unreachable | `INDEXER_UNAVAILABLE` | nothing is sent; the next round after the back-off |
 * | 200 `{ stored, known, instance }` | | the next chunk; the root stamped (with `instance`) after its last |
 * | 200 naming another instance than `GET /status` did | `INDEXER_CHANGED` | the round stops, the root not stamped; the next after the back-off sends every root the new instance lacks |
 * | 409 `duplicate` (a nonce it saw before) | | signed anew and sent again at once (three tries) |
 * | 409 `not-found` (the root is not in the blocks it has indexed), the chain holding the root (`anchors` asked) | `INDEXER_BEHIND` | the indexer is behind it, so behind every later root: the round stops; the next after the back-off |
 * | 409 `not-found`, the chain no longer holding the root (a reorganization dropped its anchoring) | `ROOT_UNANCHORED` | the root goes back to `sending`, for the anchoring worker to anchor it again (then it is published); the others go on |
 * | 409 `not-found`, without `anchors` or a chain that cannot be read | `INDEXER_BEHIND` | this root is set aside for the back-off (doubling with each `not-found` in a row); the others go on |
 * | 429, 5xx, no answer within `timeoutMs`, unreachable | `INDEXER_UNAVAILABLE` | the round stops; the next after the back-off (doubling, Retry-After honoured) |
 * | 401, 403 (the indexer does not take this gateway's signature) | `INDEXER_UNAUTHORIZED` | the round stops; the next after the long back-off |
 * | 400, 413, any other (a fault on our side) | `INDEXER_REFUSED` | this root is set aside for the long back-off; the others go on |
 * Every failure is handed to `onError` with the indexer's status, issue code and diagnostics.
 */
import type { Signer, TypedDataDomain } from "ethers";
import { CareLedgerError, ValidationError } from "../sdk/errors";
import { originOf, signGatewayRequest } from "../sdk/exchange/request";
import type { Database } from "./db";
import { receiptEntry, receiptsUnderRoot, type ReceiptEntry } from "./receipts";

/** Most receipts one `POST /receipts` carries (the indexer's bound). */
export const MAX_RECEIPTS_PER_PUBLICATION = 1_024;

/** The path receipts are posted to, at the indexer's origin. */
export const PUBLICATION_TARGET = "/receipts";

/** The path the indexer answers its instance at (`{ "instance": "…", … }`), asked at the start of every round. */
export const STATUS_TARGET = "/status";

/** Longest indexer instance taken (the indexer's is a short random string). */
const MAX_INSTANCE = 256;

/** Tries of one chunk the indexer answers 409 `duplicate` (its nonce seen before), each signed anew. */
const DUPLICATE_TRIES = 3;

/** Longest piece of the indexer's diagnostics kept in an error (and so in a log line). */
const MAX_DIAGNOSTICS = 500;

/** How long the publisher waits before trying again. */
export interface PublishBackoff {
  /**
   * After the first round the indexer could not take (behind, unavailable), and for a root it does not have
   * (409 `not-found`) set aside: default 1,000 ms, doubling each time …
   */
  readonly minMs?: number;
  /** … up to this (default 60,000 ms). */
  readonly maxMs?: number;
  /** After a refusal (400, 401, 403, 413: a fault on our side or a misconfiguration), default 600,000 ms. */
  readonly refusedMs?: number;
}

/** Options of {@link ReceiptPublisher}. */
export interface PublishOptions {
  /** How often the publisher looks for anchored roots to publish (default 5,000 ms). */
  readonly intervalMs?: number;
  /** Most receipts a request carries, 1 to {@link MAX_RECEIPTS_PER_PUBLICATION} (default). */
  readonly maxPerRequest?: number;
  /** Most roots one round publishes (default 16; a full round is followed by the next at once). */
  readonly maxRootsPerRound?: number;
  /** How long one request may take, answer included (default 30,000 ms). */
  readonly timeoutMs?: number;
  readonly backoff?: PublishBackoff;
  /**
   * The chain, asked about a root the indexer answers it does not have (409 `not-found`): whether this
   * organization's anchoring of it is still there (the indexer is behind it) or not (a reorganization dropped
   * it: the root goes back to `sending`, for the anchoring worker to anchor it again). gateway/main.ts gives
   * `careledger.disclosures`. Without it (or when it cannot be read), such a root is set aside for the back-off.
   */
  readonly anchors?: AnchorReader;
  /** Called with every failure (a {@link PublishError}, or the database's); the receipts stay for a later round. */
  readonly onError?: (err: unknown) => void;
}

/** What the publisher reads of the chain (`CareLedger.disclosures` is one): organization `orgId`'s anchor of `root`, or undefined. */
export interface AnchorReader {
  anchorOf(root: string, orgId: bigint): Promise<{ readonly blockNumber: bigint } | undefined>;
}

/** Why receipts were not published (yet). */
export type PublishFailure =
  | "INDEXER_BEHIND"
  | "INDEXER_UNAVAILABLE"
  | "INDEXER_UNAUTHORIZED"
  | "INDEXER_REFUSED"
  | "INDEXER_CHANGED"
  | "ROOT_UNANCHORED"
  | "ROOT_INCOMPLETE";

/** The indexer did not accept a root's receipts (or the gateway could not read them whole): the root stays unpublished. */
export class PublishError extends CareLedgerError {
  declare readonly code: PublishFailure;
  /** The root whose receipts were being sent (undefined when the round stopped before any: the indexer's status). */
  readonly root: string | undefined;
  /** The indexer's HTTP status (0 without an answer). */
  readonly status: number;
  /** The first issue's code of the indexer's OperationOutcome, when it answered with one. */
  readonly issueCode?: string;
  /** The indexer's diagnostics (the first issue's, or the start of its body), at most 500 characters. */
  readonly diagnostics?: string;
  /** Milliseconds the indexer asked to wait (Retry-After). */
  readonly retryAfterMs?: number;

  constructor(
    code: PublishFailure,
    message: string,
    details: { root?: string; status?: number; issueCode?: string; diagnostics?: string; retryAfterMs?: number; cause?: unknown },
  ) {
    super(code, message, { cause: details.cause });
    this.root = details.root;
    this.status = details.status ?? 0;
    this.issueCode = details.issueCode;
    this.diagnostics = details.diagnostics;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** What one round did. */
export interface PublishRound {
  /** Roots stamped published by this round, in order. */
  readonly published: string[];
  /** Receipts the indexer accepted in this round (published roots' and a stopped root's chunks). */
  readonly sent: number;
  /** Failures of the round: roots set aside (refused, or not found by the indexer) or moved back to `sending`, then what stopped it, if anything did. */
  readonly failures: PublishError[];
  /** What stopped the round before its last root (the indexer behind, unavailable or not taking the signature). */
  readonly stoppedBy?: PublishError;
  /** Whether more roots may wait (the round took as many as it takes). */
  readonly more: boolean;
}

/**
 * The indexer's origin from `url`: an http(s) URL with no path (other than `/`), query, fragment or
 * credentials, since receipts are posted to `<origin>/receipts` and the origin is what is signed.
 * @throws {ValidationError} naming `field`
 */
export function indexerOrigin(url: string, field = "indexerUrl"): string {
  const origin = originOf(url, field);
  const parsed = new URL(url);
  if ((parsed.pathname !== "/" && parsed.pathname !== "") || parsed.search !== "" || parsed.hash !== "" || parsed.username !== "" || parsed.password !== "") {
    throw new ValidationError(field, `${JSON.stringify(url)} is not an origin (scheme://host[:port], no path, query or credentials): receipts are posted to <origin>${PUBLICATION_TARGET}`);
  }
  return origin;
}

function wholeNumber(field: string, value: number | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new ValidationError(field, `${JSON.stringify(v)} is not a whole number from ${min} to ${max}`);
  return v;
}

/** The first issue of an OperationOutcome body, or the start of a body that is not one. */
function issueOf(text: string): { code?: string; diagnostics?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { diagnostics: text === "" ? undefined : text.slice(0, MAX_DIAGNOSTICS) };
  }
  const issue = (parsed as { issue?: { code?: unknown; diagnostics?: unknown }[] } | null)?.issue?.[0];
  if (issue === undefined || issue === null || typeof issue !== "object") return { diagnostics: text.slice(0, MAX_DIAGNOSTICS) };
  return {
    code: typeof issue.code === "string" ? issue.code : undefined,
    diagnostics: typeof issue.diagnostics === "string" ? issue.diagnostics.slice(0, MAX_DIAGNOSTICS) : undefined,
  };
}

/**
 * The indexer instance a round publishes to: `key` is what `disclosure_roots.published_to` records, `named` what
 * the indexer answers as (its `instance`; undefined from an indexer that names none, which is known by its origin).
 */
interface IndexerInstance {
  readonly key: string;
  readonly named: string | undefined;
}

/** The `instance` a 200 answer names, if it names one. */
function instanceIn(text: string): string | undefined {
  try {
    const instance = (JSON.parse(text) as { instance?: unknown } | null)?.instance;
    return typeof instance === "string" ? instance : undefined;
  } catch {
    return undefined;
  }
}

/** Retry-After in milliseconds (seconds or an HTTP date), when given. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * Publishes the receipts of every anchored root to one indexer, at least once, never dropping one (see the
 * module's comment): `start()` runs rounds every interval, `round()` runs one now, `flush()` publishes what is
 * left within a bounded wait, `stop()` stops the rounds and flushes.
 */
export class ReceiptPublisher {
  readonly #signer: Signer;
  readonly #db: Database;
  readonly #orgId: bigint;
  readonly #domain: TypedDataDomain;
  readonly #origin: string;
  readonly #intervalMs: number;
  readonly #max: number;
  readonly #rootsPerRound: number;
  readonly #timeoutMs: number;
  readonly #backoff: Required<PublishBackoff>;
  readonly #onError: (err: unknown) => void;
  readonly #anchors: AnchorReader | undefined;
  /**
   * Roots set aside by this instance until `until` (ms since the epoch): refused, or not found by the indexer
   * (`misses` in a row: their back-off doubles with each). Kept a back-off past `until`, to go on doubling.
   */
  readonly #setAside = new Map<string, { until: number; misses: number }>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<PublishRound> | undefined;
  #stopped = false;
  /** Rounds in a row that the indexer could not take (the back-off doubles with each). */
  #failedRounds = 0;
  /** When a flush (or a stop) must be done (ms since the epoch): rounds stop between roots, requests are cut short. */
  #deadline: number | undefined;
  /** Requests under way, cut at the deadline. */
  readonly #inflight = new Set<AbortController>();

  /**
   * @param signer the gateway's signer (a member of the holding organization): it signs every request
   * @param holderOrgId the holding organization: only its receipts are published
   * @param domain the gateway requests' domain on this deployment (`gatewayRequestDomain`, as the gateway has it)
   * @param indexerUrl the indexer's origin (`https://indexer.example`)
   * @throws {ValidationError} naming the option that is out of range, or `indexerUrl` when it is not an origin
   */
  constructor(signer: Signer, db: Database, holderOrgId: bigint, domain: TypedDataDomain, indexerUrl: string, options: PublishOptions = {}) {
    this.#signer = signer;
    this.#db = db;
    this.#orgId = holderOrgId;
    this.#domain = domain;
    this.#origin = indexerOrigin(indexerUrl);
    this.#intervalMs = wholeNumber("intervalMs", options.intervalMs, 5_000, 1);
    this.#max = wholeNumber("maxPerRequest", options.maxPerRequest, MAX_RECEIPTS_PER_PUBLICATION, 1, MAX_RECEIPTS_PER_PUBLICATION);
    this.#rootsPerRound = wholeNumber("maxRootsPerRound", options.maxRootsPerRound, 16, 1);
    this.#timeoutMs = wholeNumber("timeoutMs", options.timeoutMs, 30_000, 1);
    const minMs = wholeNumber("backoff.minMs", options.backoff?.minMs, 1_000, 0);
    this.#backoff = {
      minMs,
      maxMs: wholeNumber("backoff.maxMs", options.backoff?.maxMs, Math.max(60_000, minMs), minMs),
      refusedMs: wholeNumber("backoff.refusedMs", options.backoff?.refusedMs, 600_000, 0),
    };
    this.#onError = options.onError ?? (() => undefined);
    this.#anchors = options.anchors;
  }

  /** The indexer's origin, what every request is signed for. */
  get origin(): string {
    return this.#origin;
  }

  /** Starts rounds every interval (sooner after a full round, later after a failed one: the back-off). */
  start(): void {
    this.#stopped = false;
    const tick = async () => {
      if (this.#stopped) return;
      let wait: number;
      try {
        wait = this.#nextWait(await this.round());
      } catch (err) {
        // The database failed the round: the back-off, as for an indexer that could not take it.
        this.#onError(err);
        wait = this.#failedWait();
      }
      if (!this.#stopped) this.#timer = setTimeout(tick, wait);
    };
    this.#timer = setTimeout(tick, this.#intervalMs);
  }

  /**
   * Stops the rounds, then publishes what is left ({@link flush}) for at most `waitMs` (default 10,000 ms),
   * a round under way included.
   * @returns how many anchored roots are left unpublished (the next start publishes them)
   */
  async stop(waitMs = 10_000): Promise<number> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    return this.flush(waitMs);
  }

  /**
   * Rounds until every anchored root is published, a root is set aside (refused), the indexer does not take
   * the gateway's signature, or `waitMs` (default 10,000 ms) has passed — waiting out the back-off meanwhile
   * (at a stop, the last roots anchored are often in blocks the indexer has not indexed yet). A round under
   * way is waited for, within the same time: when it is up, rounds stop between roots and requests under way
   * are cut short (their roots stay unpublished).
   * @returns how many anchored roots are left unpublished
   */
  async flush(waitMs = 10_000): Promise<number> {
    const deadline = Date.now() + waitMs;
    const outer = this.#deadline;
    this.#deadline = Math.min(deadline, outer ?? Infinity);
    const cut = setTimeout(() => {
      for (const request of this.#inflight) request.abort();
    }, waitMs);
    try {
      await this.#running?.catch(() => undefined);
      for (;;) {
        let wait: number;
        try {
          const r = await this.round();
          if (r.stoppedBy === undefined && !r.more) break;
          if (r.stoppedBy?.code === "INDEXER_UNAUTHORIZED") break;
          wait = r.stoppedBy === undefined ? 0 : this.#nextWait(r);
        } catch (err) {
          this.#onError(err);
          wait = this.#failedWait();
        }
        if (Date.now() + wait >= deadline) break;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    } finally {
      clearTimeout(cut);
      this.#deadline = outer;
    }
    return this.unpublishedCount();
  }

  /** One round: the oldest anchored roots not yet published (and not set aside), each sent whole, then stamped. */
  round(): Promise<PublishRound> {
    if (this.#running !== undefined) return this.#running;
    this.#running = this.#publishDue().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** How many anchored roots are not yet published (set-aside ones included), to the indexer instance of the last round. */
  async unpublishedCount(): Promise<number> {
    const r = await this.#db.pool.query<{ n: string }>("SELECT count(*) AS n FROM disclosure_roots WHERE state = 'anchored' AND published_at IS NULL");
    return Number(r.rows[0].n);
  }

  /** The wait before the round after `r`. */
  #nextWait(r: PublishRound): number {
    if (r.stoppedBy === undefined) {
      this.#failedRounds = 0;
      return r.more ? 0 : this.#intervalMs;
    }
    if (r.stoppedBy.code === "INDEXER_UNAUTHORIZED") return this.#backoff.refusedMs;
    return Math.max(this.#failedWait(), Math.min(r.stoppedBy.retryAfterMs ?? 0, this.#backoff.maxMs));
  }

  /** The back-off after one more round in a row the indexer could not take. */
  #failedWait(): number {
    this.#failedRounds++;
    return Math.min(this.#backoff.maxMs, this.#backoff.minMs * 2 ** Math.min(this.#failedRounds - 1, 30));
  }

  async #publishDue(): Promise<PublishRound> {
    const now = Date.now();
    for (const [root, { until }] of this.#setAside) if (until + this.#backoff.maxMs < now) this.#setAside.delete(root);
    const asideNow = [...this.#setAside].filter(([, { until }]) => until > now).map(([root]) => root);
    // A flush out of time asks nothing more (what is left waits for the next start).
    if (this.#deadline !== undefined && now >= this.#deadline) return { published: [], sent: 0, failures: [], more: true };
    let indexer: IndexerInstance;
    try {
      indexer = await this.#instance();
    } catch (err) {
      if (!(err instanceof PublishError)) throw err;
      this.#onError(err);
      return { published: [], sent: 0, failures: [err], stoppedBy: err, more: true };
    }
    // Roots another instance took (a rebuilt indexer, another GATEWAY_INDEXER_URL, or stamped before instances
    // were recorded) are not published to this one: unstamped, they are sent again as unpublished ones are.
    await this.#db.pool.query(
      `UPDATE disclosure_roots SET published_at = NULL
       WHERE state = 'anchored' AND published_at IS NOT NULL AND (published_to IS NULL OR published_to < $1 OR published_to > $1)`,
      [indexer.key],
    );
    const due = await this.#db.pool.query<{ root: string; count: number; block_number: string | number | bigint | null }>(
      `SELECT root, count, block_number FROM disclosure_roots WHERE state = 'anchored' AND published_at IS NULL AND NOT (root = ANY($1::text[]))
       ORDER BY block_number, created_at, root LIMIT $2`,
      [asideNow, this.#rootsPerRound],
    );
    const published: string[] = [];
    const failures: PublishError[] = [];
    let sent = 0;
    for (const { root, count, block_number: blockNumber } of due.rows) {
      // A flush out of time stops between roots (what is left waits for the next start).
      if (this.#deadline !== undefined && Date.now() >= this.#deadline) return { published, sent, failures, more: true };
      try {
        await this.#publish(root, count, indexer, (n) => (sent += n));
        // Another gateway instance may have stamped it meanwhile (for this indexer instance: nothing to do; for
        // another it took before: this one holds it now).
        await this.#db.pool.query(
          "UPDATE disclosure_roots SET published_at = now(), published_to = $2 WHERE root = $1 AND state = 'anchored' AND (published_at IS NULL OR published_to IS DISTINCT FROM $2)",
          [root, indexer.key],
        );
        published.push(root);
        this.#setAside.delete(root);
      } catch (thrown) {
        if (!(thrown instanceof PublishError)) throw thrown;
        let err = thrown;
        if (err.code === "INDEXER_BEHIND") {
          const chain = await this.#anchorOnChain(root);
          if (chain.held === false) {
            // Not in the indexer's blocks, nor on chain any more: anchored again by the anchoring worker, then published.
            err = await this.#unanchored(root, err);
            failures.push(err);
            this.#onError(err);
            this.#setAside.delete(root);
            continue;
          }
          if (chain.unreadable !== undefined) {
            err = new PublishError("INDEXER_BEHIND", `${err.message} (the chain could not be asked whether it still holds the root's anchoring: ${chain.unreadable})`, {
              root,
              status: err.status,
              issueCode: err.issueCode,
              diagnostics: err.diagnostics,
              retryAfterMs: err.retryAfterMs,
              cause: chain.cause,
            });
          }
          failures.push(err);
          this.#onError(err);
          if (chain.held === true) {
            // The indexer is behind a root the chain holds, so behind every later one: the round stops here.
            if (chain.blockNumber.toString() !== String(blockNumber)) {
              await this.#db.pool.query("UPDATE disclosure_roots SET block_number = $2 WHERE root = $1 AND state = 'anchored'", [root, chain.blockNumber.toString()]);
            }
            return { published, sent, failures, stoppedBy: err, more: true };
          }
          // Behind, or a root the indexer will never have (its anchoring dropped by a reorganization): either way
          // set aside, so that the later roots are not kept waiting behind it.
          const misses = (this.#setAside.get(root)?.misses ?? 0) + 1;
          const wait = Math.max(Math.min(this.#backoff.maxMs, this.#backoff.minMs * 2 ** Math.min(misses - 1, 30)), Math.min(err.retryAfterMs ?? 0, this.#backoff.maxMs));
          this.#setAside.set(root, { until: Date.now() + wait, misses });
          continue;
        }
        failures.push(err);
        this.#onError(err);
        if (err.code === "INDEXER_REFUSED" || err.code === "ROOT_INCOMPLETE") {
          this.#setAside.set(root, { until: Date.now() + this.#backoff.refusedMs, misses: 0 });
          continue;
        }
        return { published, sent, failures, stoppedBy: err, more: true };
      }
    }
    return { published, sent, failures, more: due.rows.length === this.#rootsPerRound };
  }

  /**
   * Whether the chain holds this organization's anchoring of `root` (at `blockNumber`); `held` undefined
   * without `anchors`, or when it could not be read (`unreadable`: why).
   */
  async #anchorOnChain(
    root: string,
  ): Promise<{ held: true; blockNumber: bigint; unreadable?: undefined } | { held: false; unreadable?: undefined } | { held: undefined; unreadable?: string; cause?: unknown }> {
    if (this.#anchors === undefined) return { held: undefined };
    // Within the time a request has (a node that does not answer must not hold a round, or a stop, for longer).
    const deadline = this.#deadline;
    const timeoutMs = deadline === undefined ? this.#timeoutMs : Math.max(1, Math.min(this.#timeoutMs, deadline - Date.now()));
    let timer: NodeJS.Timeout | undefined;
    try {
      const anchor = await Promise.race([
        this.#anchors.anchorOf(root, this.#orgId),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`the node did not answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return anchor === undefined ? { held: false } : { held: true, blockNumber: anchor.blockNumber };
    } catch (err) {
      return { held: undefined, unreadable: (err as Error).message, cause: err };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Moves `root`, which neither the indexer (`behind`: its 409 `not-found`) nor the chain holds any more, back to
   * `sending`, unstamped: the anchoring worker re-sends it after its resend delay (or finds it on chain again).
   */
  async #unanchored(root: string, behind: PublishError): Promise<PublishError> {
    await this.#db.pool.query(
      "UPDATE disclosure_roots SET state = 'sending', published_at = NULL, published_to = NULL, updated_at = now() WHERE root = $1 AND state = 'anchored'",
      [root],
    );
    const said = `${behind.status}${behind.issueCode === undefined ? "" : ` ${behind.issueCode}`}${behind.diagnostics === undefined ? "" : `: ${behind.diagnostics}`}`;
    return new PublishError(
      "ROOT_UNANCHORED",
      `the indexer at ${this.#origin} does not have root ${root} (${said}), and the chain no longer holds organization ${this.#orgId}'s anchoring of it (a reorganization dropped the transaction): the root is back to sending, the anchoring worker anchors it again, and it is published once anchored`,
      { root, status: behind.status, issueCode: behind.issueCode, diagnostics: behind.diagnostics, retryAfterMs: behind.retryAfterMs },
    );
  }

  /**
   * The indexer's instance now (`GET {indexer}/status`): the one every root of the round is published to.
   * @throws {PublishError} INDEXER_UNAVAILABLE when it is not answered 200 with an instance (or without one: an indexer from before instances)
   */
  async #instance(): Promise<IndexerInstance> {
    const res = await this.#request("GET", STATUS_TARGET, { accept: "application/json" }, undefined, undefined, "nothing is published this round");
    if (res.status !== 200) {
      const issue = issueOf(res.text);
      const said = `${res.status}${issue.code === undefined ? "" : ` ${issue.code}`}${issue.diagnostics === undefined ? "" : `: ${issue.diagnostics}`}`;
      throw new PublishError("INDEXER_UNAVAILABLE", `the indexer at ${this.#origin} did not say which instance it is (GET ${STATUS_TARGET} answered ${said}); nothing is published this round`, {
        status: res.status,
        issueCode: issue.code,
        diagnostics: issue.diagnostics,
        retryAfterMs: retryAfterMs(res.retryAfter),
      });
    }
    let instance: unknown = null;
    try {
      const parsed = JSON.parse(res.text) as unknown;
      if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) instance = (parsed as { instance?: unknown }).instance;
    } catch {
      // Not JSON: refused below.
    }
    // An indexer from before instances names none: it is known by its origin (only another address is another indexer).
    if (instance === undefined) return { key: this.#origin, named: undefined };
    if (typeof instance === "string" && instance.length > 0 && instance.length <= MAX_INSTANCE) return { key: instance, named: instance };
    const diagnostics = res.text.slice(0, MAX_DIAGNOSTICS);
    throw new PublishError(
      "INDEXER_UNAVAILABLE",
      `the indexer at ${this.#origin} did not say which instance it is (GET ${STATUS_TARGET} answered 200 without an "instance" of 1 to ${MAX_INSTANCE} characters: ${diagnostics}); nothing is published this round`,
      { status: 200, diagnostics },
    );
  }

  /** Sends every receipt of `root` in chunks, in leaf order (`accepted` told each chunk's size); resolves once `indexer` accepted the last. */
  async #publish(root: string, count: number, indexer: IndexerInstance, accepted: (n: number) => void): Promise<void> {
    for (let from = 0; from < count; from += this.#max) {
      const want = Math.min(this.#max, count - from);
      const receipts = await receiptsUnderRoot(this.#db, root, from, want);
      const gap = receipts.findIndex((r, i) => r.leafIndex !== from + i);
      if (receipts.length !== want || gap !== -1) {
        throw new PublishError("ROOT_INCOMPLETE", `root ${root} holds ${count} receipts, but leaves ${from} to ${from + want - 1} read back as ${receipts.length}: it is not published`, { root });
      }
      const foreign = receipts.find((r) => r.holderOrgId !== this.#orgId);
      if (foreign !== undefined) {
        throw new PublishError("ROOT_INCOMPLETE", `root ${root} holds a receipt of organization ${foreign.holderOrgId}, not ${this.#orgId}: it is not published`, { root });
      }
      await this.#post(root, receipts.map(receiptEntry), indexer);
      accepted(want);
    }
  }

  /** Posts one chunk, signed anew for every try; resolves on 200 from `indexer`. @throws {PublishError} */
  async #post(root: string, entries: ReceiptEntry[], indexer: IndexerInstance): Promise<void> {
    const body = JSON.stringify({ receipts: entries });
    for (let attempt = 1; ; attempt++) {
      const signed = await signGatewayRequest(this.#signer, this.#domain, { gateway: this.#origin, method: "POST", target: PUBLICATION_TARGET, body, purpose: "HOPERAT" });
      const res = await this.#request(
        "POST",
        PUBLICATION_TARGET,
        { ...signed.headers, "content-type": "application/json", accept: "application/json" },
        body,
        root,
        `root ${root} stays unpublished`,
      );
      if (res.status === 200) {
        const answered = instanceIn(res.text);
        if (answered === indexer.named) return;
        throw new PublishError(
          "INDEXER_CHANGED",
          `the indexer at ${this.#origin} took root ${root}'s receipts as ${answered === undefined ? "an instance it did not name" : `instance ${JSON.stringify(answered)}`}, but the round started with ${indexer.named === undefined ? "one that named none" : `instance ${JSON.stringify(indexer.named)}`} (its database was replaced meanwhile): the round stops, and the next sends every root the new one does not hold`,
          { root, status: 200, diagnostics: res.text.slice(0, MAX_DIAGNOSTICS) },
        );
      }
      const issue = issueOf(res.text);
      if (res.status === 409 && issue.code === "duplicate" && attempt < DUPLICATE_TRIES) continue;
      throw this.#failure(root, res.status, issue, retryAfterMs(res.retryAfter));
    }
  }

  /**
   * One request to the indexer, answered within `timeoutMs` (less when a flush's time is nearly up; cut at it).
   * @throws {PublishError} INDEXER_UNAVAILABLE when it is not answered (`then`: what follows, for the message)
   */
  async #request(
    method: "GET" | "POST",
    target: string,
    headers: Record<string, string>,
    body: string | undefined,
    root: string | undefined,
    then: string,
  ): Promise<{ status: number; text: string; retryAfter: string | null }> {
    const deadline = this.#deadline;
    const timeoutMs = deadline === undefined ? this.#timeoutMs : Math.max(1, Math.min(this.#timeoutMs, deadline - Date.now()));
    const request = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      request.abort();
    }, timeoutMs);
    this.#inflight.add(request);
    try {
      const res = await fetch(this.#origin + target, {
        method,
        headers,
        body,
        // A redirect would carry a request signed for this origin elsewhere: it is a misconfiguration, not followed.
        redirect: "manual",
        signal: request.signal,
      });
      return { status: res.status, retryAfter: res.headers.get("retry-after"), text: await res.text() };
    } catch (err) {
      const why = timedOut
        ? `did not answer within ${timeoutMs} ms`
        : request.signal.aborted
          ? "had not answered when the time to publish was up"
          : `could not be reached (${(err as Error).message})`;
      throw new PublishError("INDEXER_UNAVAILABLE", `the indexer at ${this.#origin} ${why}; ${then}`, { root, cause: err });
    } finally {
      clearTimeout(timer);
      this.#inflight.delete(request);
    }
  }

  #failure(root: string, status: number, issue: { code?: string; diagnostics?: string }, retryAfter: number | undefined): PublishError {
    const said = `${status}${issue.code === undefined ? "" : ` ${issue.code}`}${issue.diagnostics === undefined ? "" : `: ${issue.diagnostics}`}`;
    const details = { root, status, issueCode: issue.code, diagnostics: issue.diagnostics, retryAfterMs: retryAfter };
    if (status === 409 && issue.code === "not-found") {
      return new PublishError("INDEXER_BEHIND", `the indexer at ${this.#origin} has not indexed root ${root} yet (${said}); it is sent again later`, details);
    }
    if (status === 409 && issue.code === "duplicate") {
      return new PublishError("INDEXER_UNAVAILABLE", `the indexer at ${this.#origin} refused ${DUPLICATE_TRIES} fresh signatures as replayed (${said}); root ${root} is sent again later`, details);
    }
    if (status === 429 || status >= 500) {
      return new PublishError("INDEXER_UNAVAILABLE", `the indexer at ${this.#origin} could not take root ${root} now (${said}); it is sent again later`, details);
    }
    if (status === 401 || status === 403) {
      return new PublishError(
        "INDEXER_UNAUTHORIZED",
        `the indexer at ${this.#origin} does not take this gateway's signature (${said}): check that GATEWAY_INDEXER_URL is the indexer's public origin and that the indexer follows this chain and deployment; root ${root} stays unpublished`,
        details,
      );
    }
    const redirect = status >= 300 && status < 400 ? " (a redirect: set GATEWAY_INDEXER_URL to the origin it redirects to)" : "";
    return new PublishError("INDEXER_REFUSED", `the indexer at ${this.#origin} refused root ${root}'s receipts (${said})${redirect}; the root stays unpublished and is sent again after ${this.#backoff.refusedMs} ms`, details);
  }
}
