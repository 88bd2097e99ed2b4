/**
 * A chain of the test's own, on a free loopback port, and the commands an operator runs against it.
 * The chain is one of two real EVM clients: a `hardhat node`, or Foundry's Anvil (the npm devDependency
 * `@foundry-rs/anvil`), so that what the e2e tests prove over JSON-RPC does not rest on one client's
 * quirks. Either is started in its own process group and always stopped, even when a test fails.
 *
 * Anvil is started like a `hardhat node`: Hardhat's dev mnemonic and as many accounts (20), so that
 * `devWallet(i)` and `--from i` are the same funded accounts on both; the hardfork `hardhat node` runs
 * (osaka; the contracts are compiled for cancun and need its transient storage); chain 31337 unless a
 * test asks for another. A missing Anvil fails the test and names `npm ci`: never a skip.
 */
import { expect } from "chai";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import { freePort } from "../../gateway/net";
import * as os from "node:os";
import * as path from "node:path";
import { HDNodeWallet, JsonRpcProvider, type Provider } from "ethers";

export const ROOT = path.resolve(__dirname, "..", "..");

/** Hardhat's well-known development mnemonic: its accounts are funded on every `hardhat node` (and on our Anvil). */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

/** Development account `i` of {@link DEV_MNEMONIC} (the node's signer `i`), connected to `provider`. */
export function devWallet(i: number, provider: Provider): HDNodeWallet {
  return HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).connect(provider);
}

/** The test's environment without the network Hardhat chose for it (the children choose their own). */
function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.HARDHAT_NETWORK;
  return env;
}

export { freePort };

/** The real EVM clients a test chain can be. */
export type ChainClient = "hardhat node" | "anvil";

/** Every client, for a suite that runs once on each. */
export const CHAIN_CLIENTS: readonly ChainClient[] = ["hardhat node", "anvil"];

/** The chain id of `hardhat node`, and of Anvil unless a test asks for another. */
export const LOCAL_CHAIN_ID = 31337;

/** How many accounts `hardhat node` unlocks (its default); Anvil is started with as many (its own default is 10). */
export const DEV_ACCOUNTS = 20;

/** The hardfork `hardhat node` runs (Hardhat 2.29's default); Anvil is pinned to it rather than to its moving "latest". */
export const HARDFORK = "osaka";

/** A running node: a `hardhat node` or Anvil. */
export interface LocalNode {
  readonly client: ChainClient;
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** A service process of the tests (a node, a gateway), in its own process group. */
export interface SpawnedProcess {
  /** SIGTERM, then SIGKILL after 5 s; resolves once it exited. */
  stop(): Promise<void>;
  /** Sends `signal` to its process group (SIGKILL: no chance to clean up) and resolves once it exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** What it printed so far. */
  log(): string;
}

/**
 * Spawns `command` in its own process group and resolves once its log shows `ready`; the group is
 * stopped by `stop()` (SIGTERM, SIGKILL after 5 s) and killed when the test process exits.
 *
 * The process writes to a log file, not to a pipe: `hardhat()` blocks the test process while a command
 * runs, so nobody would drain a pipe, and Anvil, which writes its request log synchronously, stops
 * answering JSON-RPC once about 10 kB are waiting (a deploy then dies with "Headers Timeout Error").
 */
export function spawnProcess(label: string, command: string, args: string[], ready: string, options: { timeoutMs: number; hint?: string; env?: NodeJS.ProcessEnv }): Promise<SpawnedProcess> {
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-proc-"));
  const logFile = path.join(logDir, "out.log");
  const fd = fs.openSync(logFile, "w");
  let child: ChildProcess;
  try {
    child = spawn(command, args, { cwd: ROOT, detached: true, stdio: ["ignore", fd, fd], env: childEnv(options.env) });
  } finally {
    fs.closeSync(fd);
  }
  const log = () => {
    try {
      return fs.readFileSync(logFile, "utf8");
    } catch {
      return "";
    }
  };
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      /* already gone */
    }
  };
  let exited = false;
  // A service must never outlive the test run.
  const onTestExit = () => {
    if (!exited && child.pid) signal("SIGKILL");
    fs.rmSync(logDir, { recursive: true, force: true });
  };
  process.once("exit", onTestExit);
  const stopped = new Promise<void>((resolve) => child.once("exit", () => ((exited = true), resolve())));
  const cleanUp = () => {
    fs.rmSync(logDir, { recursive: true, force: true });
    process.off("exit", onTestExit);
  };
  const stop = async () => {
    if (!exited && child.pid) {
      signal("SIGTERM");
      const killer = setTimeout(() => signal("SIGKILL"), 5_000);
      await stopped;
      clearTimeout(killer);
    }
    cleanUp();
  };
  const kill = async (sig: NodeJS.Signals) => {
    if (!exited && child.pid) {
      signal(sig);
      await stopped;
    }
    cleanUp();
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = () => {
      const first = !settled;
      settled = true;
      clearInterval(poll);
      clearTimeout(timer);
      return first;
    };
    const fail = (message: string) => {
      if (!settle()) return;
      const output = log();
      void stop().then(() => reject(new Error(`${message}${options.hint ?? ""}:\n${output}`)));
    };
    const poll = setInterval(() => {
      if (log().includes(ready) && settle()) resolve({ stop, kill, log });
    }, 25);
    const timer = setTimeout(() => fail(`${label} did not start within ${options.timeoutMs} ms`), options.timeoutMs);
    child.once("error", (err) => fail(`${label} could not be started (${err.message})`));
    child.once("exit", (code) => fail(`${label} exited early (code ${code})`));
  });
}

async function spawnNode(client: ChainClient, command: string, args: string[], ready: string, port: number, timeoutMs: number, hint = ""): Promise<LocalNode> {
  const p = await spawnProcess(client, command, args, ready, { timeoutMs, hint });
  return { client, url: `http://127.0.0.1:${port}`, port, stop: p.stop };
}

/** Starts `npx hardhat node` on `port` and resolves once it accepts JSON-RPC. */
export function startNode(port: number, timeoutMs = 90_000): Promise<LocalNode> {
  return spawnNode("hardhat node", "npx", ["hardhat", "node", "--hostname", "127.0.0.1", "--port", String(port)], "Started HTTP and WebSocket JSON-RPC server", port, timeoutMs);
}

/** Where Anvil comes from, for the errors of a missing one. */
const ANVIL_FROM = "the devDependency @foundry-rs/anvil and its platform package (@foundry-rs/anvil-<os>-<arch>) bring it: run npm ci";

/** The Anvil launcher of the devDependency (run with this Node, not `npx`, which would fetch a missing package). */
function anvilLauncher(): string {
  let pkg: string;
  try {
    pkg = require.resolve("@foundry-rs/anvil/package.json", { paths: [ROOT] });
  } catch {
    throw new Error(`Anvil is not installed: ${ANVIL_FROM}`);
  }
  const bin = (JSON.parse(fs.readFileSync(pkg, "utf8")) as { bin: Record<string, string> }).bin.anvil;
  return path.join(path.dirname(pkg), bin);
}

/**
 * Starts Anvil on `port` like a `hardhat node` (see the file's comment) and resolves once it accepts JSON-RPC.
 * `hardfork` another than `hardhat node`'s, for a measurement that needs one (the gas benchmark's chain
 * without the P-256 precompile runs prague).
 */
export function startAnvil(port: number, options: { chainId?: number; timeoutMs?: number; hardfork?: string } = {}): Promise<LocalNode> {
  const args = [
    anvilLauncher(),
    ...["--host", "127.0.0.1", "--port", String(port)],
    ...["--mnemonic", DEV_MNEMONIC, "--accounts", String(DEV_ACCOUNTS)],
    ...["--hardfork", options.hardfork ?? HARDFORK, "--chain-id", String(options.chainId ?? LOCAL_CHAIN_ID)],
  ];
  return spawnNode("anvil", process.execPath, args, `Listening on 127.0.0.1:${port}`, port, options.timeoutMs ?? 30_000, ` (is Anvil installed? ${ANVIL_FROM})`);
}

/** Runs `npx hardhat <args>` in the repository, the way an operator would, and returns its output. */
export function hardhat(args: string[], env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("npx", ["hardhat", ...args], { cwd: ROOT, env: childEnv(env), encoding: "utf8", timeout: 180_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A node of the test's own, with its own address-book folder and Ignition deployment id. */
export interface TestChain {
  readonly node: LocalNode;
  /** Where the node's Ignition journal goes (`ignition/deployments/<CARELEDGER_DEPLOYMENT_ID>`). */
  readonly journal: string;
  /** Where the deploy script writes the address book. */
  readonly dir: string;
  /** The environment every `hardhat()` call against this node takes. */
  readonly env: NodeJS.ProcessEnv;
  /** A provider on the node (cacheTimeout -1: ethers would otherwise reuse the pending nonce for 250 ms). */
  readonly provider: JsonRpcProvider;
  /** Stops the node and removes what the test wrote. */
  close(): Promise<void>;
}

/** What {@link startTestChain} starts: a `hardhat node` (the default) or Anvil, on chain 31337 unless `chainId` says otherwise (Anvil only). */
export interface TestChainOptions {
  readonly client?: ChainClient;
  readonly chainId?: number;
}

/**
 * Starts a node on a free port, with a fresh address-book folder and deployment id for it. Child
 * Hardhat processes reach it as the `localhost` network (hardhat.config.ts takes its URL from
 * LOCALHOST_RPC_URL and pins no chain id, so it may be any chain).
 */
export async function startTestChain(options: TestChainOptions = {}): Promise<TestChain> {
  const client = options.client ?? "hardhat node";
  const chainId = options.chainId ?? LOCAL_CHAIN_ID;
  if (client === "hardhat node" && chainId !== LOCAL_CHAIN_ID) throw new Error(`a hardhat node of the tests runs chain ${LOCAL_CHAIN_ID}; chain ${chainId} takes Anvil`);
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-e2e-"));
  const deploymentId = `e2e-${chainId}-${port}`;
  const env = { LOCALHOST_RPC_URL: `http://127.0.0.1:${port}`, CARELEDGER_DEPLOYMENTS_DIR: dir, CARELEDGER_DEPLOYMENT_ID: deploymentId };
  let node: LocalNode;
  try {
    node = client === "anvil" ? await startAnvil(port, { chainId }) : await startNode(port);
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 });
  const journal = path.join(ROOT, "ignition", "deployments", deploymentId);
  return {
    node,
    journal,
    dir,
    env,
    provider,
    close: async () => {
      provider.destroy();
      await node.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(journal, { recursive: true, force: true });
    },
  };
}

/** The lines a command printed, stdout and stderr together, without blank ones and without colours (Hardhat colours its errors when CI is set). */
export function outputLines(r: { stdout: string; stderr: string }): string[] {
  return `${r.stdout}\n${r.stderr}`
    .replace(/\u001b\[[0-9;]*m/g, "")
    .split("\n")
    .filter((l) => l.trim() !== "");
}

/** A stack frame line, as Node prints them. */
export const STACK_FRAME = /^\s+at /;

/** A known error as the CLI must print it: exit 1, one line (two at most) matching `message`, no stack trace. */
export function expectOneLine(r: { status: number | null; stdout: string; stderr: string }, message: RegExp): void {
  const out = outputLines(r);
  expect(r.status, out.join("\n")).to.equal(1);
  expect(out.filter((l) => STACK_FRAME.test(l)), "no stack trace").to.deep.equal([]);
  expect(out.length, out.join("\n")).to.be.within(1, 2);
  expect(out[0], out.join("\n")).to.match(message);
}
