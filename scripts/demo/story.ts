/**
 * The demo's narrator: prints what happens in plain words and keeps a ledger of what each step
 * cost in gas (from receipts), printed as a table at the end.
 */
import type { TransactionReceipt } from "ethers";

export class Story {
  readonly #ledger: { step: string; gas: bigint }[] = [];
  readonly #started = Date.now();
  readonly #print: (line: string) => void;

  /** @param print where the narrative goes (default: the console; the privacy scan keeps it quiet) */
  constructor(print: (line: string) => void = (line) => console.log(line)) {
    this.#print = print;
  }

  /** Opens a chapter. */
  chapter(title: string): void {
    this.#print(`\n== ${title} ==`);
  }

  /** Tells one thing that happened. */
  say(line: string): void {
    this.#print(`  ${line}`);
  }

  /** Records the gas of the receipts a step produced, and returns them. */
  cost<T extends { receipt: TransactionReceipt }>(step: string, ...results: T[]): T[] {
    for (const r of results) this.#ledger.push({ step, gas: r.receipt.gasUsed });
    return results;
  }

  /** Prints the gas ledger: one row per step (summed when a step sent several transactions). */
  printLedger(): void {
    const rows = new Map<string, { gas: bigint; txs: number }>();
    for (const { step, gas } of this.#ledger) {
      const row = rows.get(step) ?? { gas: 0n, txs: 0 };
      rows.set(step, { gas: row.gas + gas, txs: row.txs + 1 });
    }
    const width = Math.max(4, ...[...rows.keys()].map((k) => k.length));
    this.#print(`\n== What each step cost ==`);
    this.#print(`  ${"step".padEnd(width)}  ${"txs".padStart(3)}  ${"gas".padStart(11)}`);
    this.#print(`  ${"-".repeat(width)}  ---  -----------`);
    let total = 0n;
    for (const [step, { gas, txs }] of rows) {
      total += gas;
      this.#print(`  ${step.padEnd(width)}  ${String(txs).padStart(3)}  ${gas.toLocaleString("en-US").padStart(11)}`);
    }
    this.#print(`  ${"total".padEnd(width)}  ${String(this.#ledger.length).padStart(3)}  ${total.toLocaleString("en-US").padStart(11)}`);
    this.#print(`\nFinished in ${((Date.now() - this.#started) / 1000).toFixed(1)} s.`);
  }
}
