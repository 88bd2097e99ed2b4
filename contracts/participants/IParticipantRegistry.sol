// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IParticipantRegistry
/// @notice The registry of organizations (provider, lab, pharmacy, insurer, researcher, regulator) and
/// their member accounts. Every other CareLedger contract asks it one question: is this account an
/// active member, of which organization, of which kind?
/// @dev No personal data is stored: an organization is an id, a kind, a status and a commitment
/// (keccak256 of the RFC 8785 canonical JSON) of its public profile, which is published off chain.
interface IParticipantRegistry {
    /// @notice The closed vocabulary of organization kinds. `None` marks "no organization".
    enum OrgKind {
        None,
        Provider,
        Lab,
        Pharmacy,
        Insurer,
        Researcher,
        Regulator
    }

    /// @notice An organization.
    /// @dev Slot 0 packs kind (1 byte), suspended (1), registeredAt (5), memberCount (4) and
    /// adminCount (4): the hot facts read on every membership check and every member change.
    /// Slot 1 holds the profile commitment, read only by clients.
    struct Organization {
        OrgKind kind;
        bool suspended;
        uint40 registeredAt;
        uint32 memberCount;
        uint32 adminCount;
        bytes32 metadata;
    }

    /// @notice One account's membership.
    /// @dev One slot: orgId (8 bytes), kind (1, a copy of the organization's, which never changes),
    /// isAdmin (1) and since (5): 15 bytes, one slot. An account with `orgId == 0` belongs to no
    /// organization. (solhint's packing heuristic misjudges enums; the layout is one slot.)
    // solhint-disable-next-line gas-struct-packing
    struct Membership {
        uint64 orgId;
        OrgKind kind;
        bool isAdmin;
        uint40 since;
    }

    /// @notice Emitted when the registrar registers an organization, with its first admin.
    /// @param orgId The new organization's id.
    /// @param kind Its kind.
    /// @param metadata The commitment of its public profile.
    /// @param admin Its first admin.
    event OrganizationRegistered(uint64 indexed orgId, OrgKind indexed kind, bytes32 metadata, address indexed admin);

    /// @notice Emitted when the registrar replaces an organization's profile commitment.
    /// @param orgId The organization's id.
    /// @param metadata The commitment of its new public profile.
    event OrganizationMetadataUpdated(uint64 indexed orgId, bytes32 metadata);

    /// @notice Emitted when an organization is suspended: every member is inactive from this block on.
    /// @param orgId The organization's id.
    /// @param by The account that suspended it.
    event OrganizationSuspended(uint64 indexed orgId, address indexed by);

    /// @notice Emitted when a suspended organization is reinstated.
    /// @param orgId The organization's id.
    /// @param by The account that reinstated it.
    event OrganizationReinstated(uint64 indexed orgId, address indexed by);

    /// @notice Emitted when an account joins an organization.
    /// @param orgId The organization's id.
    /// @param account The new member.
    /// @param isAdmin True when it joined as an admin.
    /// @param by The account that added it (an admin, or the registrar).
    event MemberAdded(uint64 indexed orgId, address indexed account, bool isAdmin, address indexed by);

    /// @notice Emitted when an account leaves an organization, removed by `by` (the account itself when it left).
    /// @param orgId The organization's id.
    /// @param account The former member.
    /// @param by The admin who removed it, or the account itself.
    event MemberRemoved(uint64 indexed orgId, address indexed account, address indexed by);

    /// @notice Emitted when a member is made an admin of its organization, or stops being one.
    /// @param orgId The organization's id.
    /// @param account The member.
    /// @param isAdmin True when it became an admin, false when it stopped being one.
    /// @param by The account that changed it (an admin, or the registrar).
    event MemberAdminChanged(uint64 indexed orgId, address indexed account, bool isAdmin, address indexed by);

    /// @notice `orgId` is not a registered organization.
    /// @param orgId The id given.
    error UnknownOrganization(uint64 orgId);

    /// @notice `kind` is not one of the organization kinds (it is `None` or out of range).
    /// @param kind The kind given, as a number.
    error InvalidOrganizationKind(uint8 kind);

    /// @notice The profile commitment is zero: every organization publishes a profile.
    error EmptyMetadata();

    /// @notice `account` cannot be a member (the zero address).
    /// @param account The account given.
    error InvalidAccount(address account);

    /// @notice `account` already belongs to organization `orgId`; an account belongs to at most one.
    /// @param account The account.
    /// @param orgId The organization it belongs to.
    error AlreadyMember(address account, uint64 orgId);

    /// @notice `account` is already an admin of organization `orgId`.
    /// @param account The account.
    /// @param orgId The organization's id.
    error AlreadyAdmin(address account, uint64 orgId);

    /// @notice `account` is not a member of organization `orgId`.
    /// @param account The account.
    /// @param orgId The organization's id (0 when the caller of {leaveOrganization} belongs to none).
    error NotMember(address account, uint64 orgId);

    /// @notice `caller` is not an admin of organization `orgId`.
    /// @param caller The caller.
    /// @param orgId The organization's id.
    error NotOrganizationAdmin(address caller, uint64 orgId);

    /// @notice Organization `orgId` is suspended, so this change is refused.
    /// @param orgId The organization's id.
    error OrganizationIsSuspended(uint64 orgId);

    /// @notice Organization `orgId` is not suspended, so it cannot be reinstated.
    /// @param orgId The organization's id.
    error OrganizationNotSuspended(uint64 orgId);

    /// @notice `account` is the last admin of organization `orgId` and cannot stop being one.
    /// @param orgId The organization's id.
    /// @param account The last admin.
    error LastAdmin(uint64 orgId, address account);

    /// @notice Registers an organization of `kind` with its profile commitment and its first admin.
    /// @dev Registrar role. Refused while paused.
    /// @param kind The organization's kind (not `None`); it never changes.
    /// @param metadata The commitment of the organization's public profile, published off chain: the keccak256 of
    /// its RFC 8785 canonical JSON; not zero.
    /// @param admin The first admin's account: not zero, and a member of no organization.
    /// @return orgId The new organization's id (ids start at 1).
    function registerOrganization(OrgKind kind, bytes32 metadata, address admin) external returns (uint64 orgId);

    /// @notice Replaces an organization's profile commitment. Registrar role.
    /// @param orgId The organization's id.
    /// @param metadata The commitment of its new public profile (keccak256 of its RFC 8785 canonical JSON); not
    /// zero.
    function updateMetadata(uint64 orgId, bytes32 metadata) external;

    /// @notice Suspends an organization: all its members are inactive at once. Pauser role; works while paused.
    /// @param orgId The organization's id (registered, not suspended).
    function suspendOrganization(uint64 orgId) external;

    /// @notice Reinstates a suspended organization. Registrar role. Refused while paused.
    /// @param orgId The suspended organization's id.
    function reinstateOrganization(uint64 orgId) external;

    /// @notice Makes `account` an admin of `orgId`, adding it as a member first if needed: the
    /// registrar's way to recover an organization whose admins lost their keys. Registrar role.
    /// @param orgId The organization's id.
    /// @param account The account made an admin: a member of `orgId` that is not an admin yet, or an account in no
    /// organization.
    function appointAdmin(uint64 orgId, address account) external;

    /// @notice Adds `account` to organization `orgId`. Caller: an admin of `orgId`. Refused while
    /// paused or while the organization is suspended.
    /// @param orgId The caller's organization's id.
    /// @param account The account added: not zero, and a member of no organization.
    /// @param isAdmin True to add it as an admin.
    function addMember(uint64 orgId, address account, bool isAdmin) external;

    /// @notice Removes `account` from organization `orgId`. Caller: an admin of `orgId`. Works while
    /// paused and while suspended (it only narrows access). The last admin cannot be removed.
    /// @param orgId The caller's organization's id.
    /// @param account The member removed.
    function removeMember(uint64 orgId, address account) external;

    /// @notice Makes a member of `orgId` an admin, or no longer one. Caller: an admin of `orgId`.
    /// Promotion is refused while paused or suspended; the last admin cannot be demoted.
    /// @param orgId The caller's organization's id.
    /// @param account A member of `orgId`.
    /// @param isAdmin True to make it an admin, false to make it a plain member (no change when it already is).
    function setAdmin(uint64 orgId, address account, bool isAdmin) external;

    /// @notice The caller leaves its organization. Always allowed, except for the last admin.
    function leaveOrganization() external;

    /// @notice Whether `account` is an active member (its organization exists and is not suspended),
    /// with the organization's id and kind. Inactive or unknown accounts return `(false, 0, None)`
    /// for non-members, and `(false, orgId, kind)` for members of a suspended organization.
    /// @dev One cold storage read for a non-member; two for a member (membership, then the
    /// organization's status, so that suspension is one write for every member).
    /// @param account The account asked about.
    /// @return active True when the account belongs to an organization that is not suspended.
    /// @return orgId Its organization's id (0 when it belongs to none).
    /// @return kind Its organization's kind (`None` when it belongs to none).
    function isActiveMember(address account) external view returns (bool active, uint64 orgId, OrgKind kind);

    /// @notice The membership record of `account` (all zero when it belongs to no organization).
    /// @param account The account asked about.
    /// @return The {Membership}: the organization's id and kind, the admin flag, and since when (unix seconds).
    function membershipOf(address account) external view returns (Membership memory);

    /// @notice The organization `orgId`. Reverts with {UnknownOrganization} when there is none.
    /// @param orgId The organization's id.
    /// @return The {Organization}: kind, suspended flag, registration time (unix seconds), member and admin counts,
    /// and the profile commitment.
    function organization(uint64 orgId) external view returns (Organization memory);

    /// @notice The number of organizations ever registered (the highest id).
    /// @return How many organizations were registered: ids run from 1 to this.
    function organizationCount() external view returns (uint64);
}
