/**
 * A free TCP port on 127.0.0.1: for a gateway whose origin must be known before it listens (the demo,
 * the tests' nodes and gateways).
 */
import net from "net";

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
