// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @notice Exposes OpenZeppelin's MerkleProof to the tests, so that the SDK's Merkle engine is checked
/// against the verifier contracts actually use.
contract MerkleProofHarness {
    /// @notice `MerkleProof.verify(proof, root, leaf)`.
    function verify(bytes32[] calldata proof, bytes32 root, bytes32 leaf) external pure returns (bool) {
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }
}
