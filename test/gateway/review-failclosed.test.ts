/**
 * Review: failing closed. A holder the registry has suspended (docs/privacy.md: "a compromised
 * organization … the pauser suspends it") cannot anchor its receipts any more; a slow client holds a
 * socket for as long as it likes. Each test fails on the code reviewed.
 */
import { expect } from "chai";
import net from "node:net";
import { LAB, PATIENT_ID } from "./fixtures";
import { grant, HOSPITAL, gatewayPerTest, signedFetch, type Fixture } from "./review-support";

describe("review: failing closed", function () {
  this.timeout(180_000);
  let f: Fixture;
  gatewayPerTest((g) => (f = g));

  it("releases nothing once its own organization is suspended (its receipts can no longer be anchored)", async function () {
    await grant(f, HOSPITAL, ["labs"], ["TREAT"]);
    await (await f.registry.connect(f.pauser).suspendOrganization(LAB)).wait();
    const res = await signedFetch(f, f.doctor, `/fhir/Observation/${PATIENT_ID}-glucose`);
    // The receipt this release writes can never be anchored while the lab is suspended.
    const anchored = await f.worker.round().then(
      () => "anchored",
      (err: Error) => err.message.slice(0, 80),
    );
    expect(res.status, `released while the holder is suspended; its receipt: ${anchored}`).not.to.equal(200);
  });

  it("bounds how long an unauthenticated client may take to send a request (a body dribbled a byte at a time holds its socket forever)", async function () {
    const socket = net.connect(f.port, "127.0.0.1");
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    let closed = false;
    socket.on("close", () => (closed = true));
    socket.on("error", () => undefined);
    socket.write(`POST /fhir HTTP/1.1\r\nHost: 127.0.0.1:${f.port}\r\nContent-Type: application/fhir+json\r\nContent-Length: 1000000\r\n\r\n{`);
    const timer = setInterval(() => socket.write(" "), 1_000);
    try {
      const server = f.gateway.app.server;
      expect(server.requestTimeout, "http.Server requestTimeout (0: none)").to.be.greaterThan(0);
      expect(closed).to.equal(false);
    } finally {
      clearInterval(timer);
      socket.destroy();
    }
  });
});
