// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IParticipantRegistry} from "../participants/IParticipantRegistry.sol";

/// @title IDisclosureLog
/// @notice The batched entry point of the access log: an organization that holds records releases
/// them through its gateway, which writes one disclosure receipt per released resource and anchors
/// the receipts here as Merkle roots, one transaction per root. A patient (or anyone the patient
/// shows a receipt to) proves that a disclosure was logged with the receipt and its proof.
/// @dev A receipt is never on chain, only the root over receipts. A leaf is OpenZeppelin's
/// StandardMerkleTree leaf over
/// `(bytes32 requestDigest, address requester, uint64 holderOrgId, address patient, bytes32 accessRef,
/// uint8 dataClass, uint8 purpose, uint64 permittedAtBlock)`:
/// `keccak256(bytes.concat(keccak256(abi.encode(...))))`, computed by the SDK
/// (`sdk/exchange/receipts.ts`). The chain checks who anchors a root, not what is under it: the count
/// and the receipts' content are the anchoring organization's statement, and a root proves only that
/// this organization committed to those receipts at that time.
/// Anchors are kept per organization, keyed by (organization, root), as the RecordRegistry keeps its
/// batches: an organization anchors a root once, and another organization anchoring the same bytes
/// is a separate statement that changes nothing of the first's. Readers name the organization they
/// ask about, the holder named in the receipt: `anchorOf(orgId, root)`, `verifyReceipt(orgId, root, …)`.
/// Why: every receipt's leaf contains its holder's organization id, so a root over a holder's
/// receipts speaks only for that holder, whoever else anchors it. A member of another holding
/// organization who copies a pending root from the mempool and anchors it first gains nothing (its
/// anchor is its own organization's commitment to receipts that all name the real holder, so none of
/// them verifies as the copier's) and blocks nobody (the holder's own transaction still succeeds,
/// and its receipts verify as its own). A once-by-anyone rule would let such a copy refuse the
/// holder's anchoring and stall its gateway on that root.
/// Anchoring kinds: providers, labs and pharmacies, the kinds that anchor records in the
/// RecordRegistry: they hold records, so they are the ones that disclose them.
interface IDisclosureLog {
    /// @notice One anchored root of disclosure receipts.
    /// @dev Packed into one slot: orgId (8 bytes), count (4), anchoredAt (6), blockNumber (8) = 26 bytes,
    /// so that anchoring a root writes one new slot. All zero when the organization never anchored the
    /// root. `orgId` repeats the key: it is the anchored flag (never zero, ids start at 1) and it costs
    /// nothing (the slot is written whole either way), so an anchor read on its own still says whose it is.
    struct DisclosureAnchor {
        uint64 orgId;
        uint32 count;
        uint48 anchoredAt;
        uint64 blockNumber;
    }

    /// @notice Emitted when a member of organization `orgId` anchors `root`, a Merkle root over `count`
    /// disclosure receipts.
    /// @dev The count is data: nobody filters by it.
    /// @param orgId The anchoring organization's participant-registry id (the holder of the records).
    /// @param root The Merkle root over the receipts.
    /// @param count The number of receipts under the root, as the organization states it.
    /// @param by The member account that anchored it (the organization's gateway).
    event DisclosuresAnchored(uint64 indexed orgId, bytes32 indexed root, uint32 count, address indexed by);

    /// @notice A root of zero was given.
    error ZeroRoot();

    /// @notice `count` receipts is not between 1 and `max` (`MAX_RECEIPTS_PER_ROOT`).
    /// @param count The count given.
    /// @param max The most receipts one root may hold.
    error ReceiptCountOutOfRange(uint32 count, uint32 max);

    /// @notice Organization `orgId`, the caller's, already anchored `root`: an organization anchors a root
    /// once. Another organization's anchor of the same root never causes it.
    /// @param root The root.
    /// @param orgId The caller's organization, which anchored it before.
    error RootAlreadyAnchored(bytes32 root, uint64 orgId);

    /// @notice `account` is not a member of a provider, lab or pharmacy (`orgId`/`kind` are its
    /// membership, zero if none): only organizations that hold records anchor their disclosures.
    /// @param account The caller.
    /// @param orgId Its organization's id (0 when none).
    /// @param kind Its organization's kind (`None` when none).
    error NotDisclosingMember(address account, uint64 orgId, IParticipantRegistry.OrgKind kind);

    /// @notice `account` belongs to organization `orgId`, which is suspended.
    /// @param orgId The caller's organization's participant-registry id.
    /// @param account The caller.
    error DisclosingOrganizationSuspended(uint64 orgId, address account);

    /// @notice Anchors `root`, a Merkle root over `count` disclosure receipts of the caller's organization.
    /// @dev Caller: an active member of a provider, lab or pharmacy (asked of the participant registry,
    /// so that a suspension takes effect in the same block). Refused while paused. The cost does not
    /// depend on `count`, which the chain cannot check. Reverts with {NotDisclosingMember},
    /// {DisclosingOrganizationSuspended}, {ZeroRoot}, {ReceiptCountOutOfRange}, {RootAlreadyAnchored}.
    /// @param root The Merkle root over the receipts' leaves: not zero, never anchored before by the
    /// caller's organization (other organizations' anchors of it do not matter).
    /// @param count The number of receipts under the root, 1 to `MAX_RECEIPTS_PER_ROOT`.
    /// @return orgId The caller's organization, under which the root is anchored.
    function anchorDisclosures(bytes32 root, uint32 count) external returns (uint64 orgId);

    /// @notice Organization `orgId`'s anchor of `root`: its count, when and in which block it was anchored.
    /// @param orgId The organization asked about (for a receipt, its `holderOrgId`).
    /// @param root A Merkle root over disclosure receipts.
    /// @return The {DisclosureAnchor}, all zero when `orgId` never anchored `root` (whoever else did).
    function anchorOf(uint64 orgId, bytes32 root) external view returns (DisclosureAnchor memory);

    /// @notice Whether organization `orgId` anchored `root` and `proof` shows `leaf` under it
    /// (OpenZeppelin `MerkleProof`, sorted pairs).
    /// @dev The contract cannot read the holder from a leaf: pass the receipt's own `holderOrgId` as
    /// `orgId`, as the SDK does, or the answer is about another organization's anchor. Compute `leaf`
    /// from the receipt yourself (`receiptLeaf` in the SDK), never take it from the party you are
    /// checking: an internal node of the tree, with its shorter proof, also verifies.
    /// @param orgId The organization that must have anchored `root`: the receipt's `holderOrgId`.
    /// @param root The Merkle root.
    /// @param proof The leaf's inclusion proof (sibling hashes).
    /// @param leaf The receipt's leaf, `keccak256(bytes.concat(keccak256(abi.encode(receipt fields))))`.
    /// @return True when `orgId` anchored `root` and the proof leads from `leaf` to it.
    function verifyReceipt(uint64 orgId, bytes32 root, bytes32[] calldata proof, bytes32 leaf) external view returns (bool);

    /// @notice The participant registry that says who may anchor.
    /// @return The participant registry (fixed at deployment).
    function participants() external view returns (IParticipantRegistry);

    /// @notice The version of this contract's interface and storage semantics.
    /// @return The version, "1.0.0".
    function version() external pure returns (string memory);
}
