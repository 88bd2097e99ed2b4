/**
 * The one way the SDK reads the chain. Every documented read (a view, `queryFilter` / `getLogs`,
 * `getBlock`, `getCode`…) runs through {@link read}, so that what reaches the integrator is a typed
 * error: revert data becomes a {@link ContractRevertError}, a node that cannot be reached a
 * {@link NodeUnreachableError} naming its URL, and the SDK's own errors pass unchanged.
 */
import type { ContractRunner, Provider } from "ethers";
import { CareLedgerError, findTransportFailure, NodeUnreachableError, toCareLedgerError } from "../errors";

/** The Provider behind a runner (a Signer's provider, or the runner itself when it is one), or undefined. */
export function providerOf(runner: ContractRunner | Provider | null | undefined): Provider | undefined {
  if (!runner) return undefined;
  const own = (runner as { provider?: Provider | null }).provider;
  const provider = own ?? (runner as Provider);
  return typeof (provider as Partial<Provider>).getBlock === "function" ? provider : undefined;
}

/**
 * The Provider behind a runner.
 * @throws {CareLedgerError} `NO_PROVIDER` when there is none
 */
export function requireProvider(runner: ContractRunner | Provider | null | undefined): Provider {
  const provider = providerOf(runner);
  if (!provider) throw new CareLedgerError("NO_PROVIDER", "the client's runner has no Provider: connect a Provider, or a Signer connected to one");
  return provider;
}

/** The URL of a JSON-RPC provider (ethers' JsonRpcProvider keeps it in its connection), for messages. */
export function urlOf(runner: ContractRunner | Provider | null | undefined): string | undefined {
  const provider = providerOf(runner) as { _getConnection?: () => { url?: unknown } } | undefined;
  const connection = provider?._getConnection;
  if (typeof connection !== "function") return undefined;
  try {
    const url = connection.call(provider).url;
    return typeof url === "string" ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Maps whatever a call to the node threw to the SDK's typed errors ({@link toCareLedgerError}),
 * naming the node's URL in a {@link NodeUnreachableError} when `runner` knows it.
 */
export function toSdkError(err: unknown, runner?: ContractRunner | Provider | null): unknown {
  const mapped = toCareLedgerError(err);
  if (!(mapped instanceof NodeUnreachableError) || mapped.url !== undefined) return mapped;
  const url = urlOf(runner);
  if (url === undefined) return mapped;
  return new NodeUnreachableError(findTransportFailure(err) ?? findTransportFailure(mapped.cause) ?? "no answer", mapped.cause ?? err, url);
}

/**
 * Runs a read of the chain, rethrowing what it threw as a typed error ({@link toSdkError}).
 * @param runner the runner the read goes through, to name the node's URL
 * @throws {ContractRevertError} when the call reverted
 * @throws {NodeUnreachableError} `NODE_UNREACHABLE` when the node cannot be reached
 */
export async function read<T>(fn: () => Promise<T>, runner?: ContractRunner | Provider | null): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toSdkError(err, runner);
  }
}
