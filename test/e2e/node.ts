/**
 * A `hardhat node` of the test's own, on a free loopback port, and the commands an operator runs
 * against it. The node is started in its own process group and always stopped, even when a test fails.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { HDNodeWallet, JsonRpcProvider, type Provider } from "ethers";

export const ROOT = path.resolve(__dirname, "..", "..");

/** Hardhat's well-known development mnemonic: its accounts are funded on every `hardhat node`. */
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

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A running `hardhat node`. */
export interface LocalNode {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts `npx hardhat node` on `port` and resolves once it accepts JSON-RPC. */
export function startNode(port: number, timeoutMs = 90_000): Promise<LocalNode> {
  const child: ChildProcess = spawn("npx", ["hardhat", "node", "--hostname", "127.0.0.1", "--port", String(port)], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: childEnv(),
  });
  let exited = false;
  const stopped = new Promise<void>((resolve) => child.once("exit", () => ((exited = true), resolve())));
  const stop = async () => {
    if (!exited && child.pid) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        /* already gone */
      }
      const killer = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          /* already gone */
        }
      }, 5_000);
      await stopped;
      clearTimeout(killer);
    }
  };
  // A node must never outlive the test run.
  process.once("exit", () => {
    if (!exited && child.pid) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
  });
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      void stop().then(() => reject(new Error(`hardhat node did not start within ${timeoutMs} ms:\n${output}`)));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Started HTTP and WebSocket JSON-RPC server")) {
        clearTimeout(timer);
        resolve({ url: `http://127.0.0.1:${port}`, port, stop });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`hardhat node exited early (code ${code}):\n${output}`));
    });
  });
}

/** Runs `npx hardhat <args>` in the repository, the way an operator would, and returns its output. */
export function hardhat(args: string[], env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("npx", ["hardhat", ...args], { cwd: ROOT, env: childEnv(env), encoding: "utf8", timeout: 180_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A node of the test's own, with its own address-book folder and Ignition deployment id. */
export interface TestChain {
  readonly node: LocalNode;
  /** Where the deploy script writes the address book. */
  readonly dir: string;
  /** The environment every `hardhat()` call against this node takes. */
  readonly env: NodeJS.ProcessEnv;
  /** A provider on the node (cacheTimeout -1: ethers would otherwise reuse the pending nonce for 250 ms). */
  readonly provider: JsonRpcProvider;
  /** Stops the node and removes what the test wrote. */
  close(): Promise<void>;
}

/** Starts a node on a free port, with a fresh address-book folder and deployment id for it. */
export async function startTestChain(): Promise<TestChain> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-e2e-"));
  const deploymentId = `e2e-31337-${port}`;
  const env = { LOCALHOST_RPC_URL: `http://127.0.0.1:${port}`, CARELEDGER_DEPLOYMENTS_DIR: dir, CARELEDGER_DEPLOYMENT_ID: deploymentId };
  const node = await startNode(port);
  const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 });
  return {
    node,
    dir,
    env,
    provider,
    close: async () => {
      provider.destroy();
      await node.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(path.join(ROOT, "ignition", "deployments", deploymentId), { recursive: true, force: true });
    },
  };
}
