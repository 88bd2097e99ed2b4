import { expect } from "chai";
import { assertRequestedNetworkConfigured, remoteNetworks, requestedNetwork } from "../../config/networks";

const KEY = "0x" + "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d".slice(0, 64);

describe("Network configuration", function () {
  it("reads the requested network from --network, --network=, or HARDHAT_NETWORK", function () {
    expect(requestedNetwork(["node", "hardhat", "run", "x.ts", "--network", "sepolia"], {})).to.equal("sepolia");
    expect(requestedNetwork(["node", "hardhat", "--network=custom"], {})).to.equal("custom");
    expect(requestedNetwork(["node", "hardhat", "test"], { HARDHAT_NETWORK: "localhost" })).to.equal("localhost");
    expect(requestedNetwork(["node", "hardhat", "test"], {})).to.equal(undefined);
  });

  it("leaves a network out while its URL is not set", function () {
    expect(remoteNetworks({})).to.deep.equal({});
  });

  it("adds a network whose URL is set, with the deployer key and its fixed chain id", function () {
    const nets = remoteNetworks({ SEPOLIA_RPC_URL: "https://rpc.example/sepolia", DEPLOYER_PRIVATE_KEY: KEY.slice(2) });
    expect(nets).to.deep.equal({ sepolia: { url: "https://rpc.example/sepolia", accounts: [KEY], chainId: 11155111 } });
    expect(remoteNetworks({ RPC_URL: "http://10.0.0.1:8545" })).to.deep.equal({ custom: { url: "http://10.0.0.1:8545", accounts: [] } });
  });

  it("says which variable to set when a configured network is asked for without it", function () {
    expect(() => assertRequestedNetworkConfigured("sepolia", {})).to.throw(
      "SEPOLIA_RPC_URL is not set: copy .env.example to .env and set SEPOLIA_RPC_URL to the JSON-RPC URL of the Sepolia public testnet",
    );
    expect(() => assertRequestedNetworkConfigured("custom", { RPC_URL: "  " })).to.throw(/^RPC_URL is not set: copy \.env\.example to \.env/);
    expect(() => assertRequestedNetworkConfigured("sepolia", { SEPOLIA_RPC_URL: "https://x" })).not.to.throw();
    expect(() => assertRequestedNetworkConfigured("hardhat", {})).not.to.throw();
    expect(() => assertRequestedNetworkConfigured(undefined, {})).not.to.throw();
  });

  it("refuses a malformed deployer key without ever printing it", function () {
    const secret = "0xdeadbeefcafe";
    let message = "";
    try {
      remoteNetworks({ RPC_URL: "http://x", DEPLOYER_PRIVATE_KEY: secret });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).to.equal("DEPLOYER_PRIVATE_KEY is not a 32-byte hex private key (its value is not shown): fix it in .env");
    expect(message).not.to.contain("deadbeef");
  });
});
