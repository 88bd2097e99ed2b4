// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IParticipantRegistry} from "./IParticipantRegistry.sol";
import {ManagedPausable} from "../governance/ManagedPausable.sol";

/// @title ParticipantRegistry
/// @notice Organizations and their member accounts. The registrar onboards organizations; each
/// organization's admins manage its members; the pauser (the suite's emergency role) suspends.
/// @dev Governance goes through the suite's AccessManager (`restricted`). Organization admins are
/// checked here, against the registry's own state, because they are per-organization.
/// Actions that only narrow access (suspension, removing a member, leaving) work while paused.
contract ParticipantRegistry is IParticipantRegistry, ManagedPausable {
    /// @notice The version of this contract's interface and storage semantics.
    string public constant VERSION = "1.0.0";

    mapping(uint64 orgId => Organization) private _organizations;
    mapping(address account => Membership) private _memberships;
    uint64 private _organizationCount;

    /// @dev Reverts unless `msg.sender` is an admin of `orgId`.
    modifier onlyOrgAdmin(uint64 orgId) {
        Membership memory m = _memberships[msg.sender];
        if (m.orgId != orgId || !m.isAdmin) revert NotOrganizationAdmin(msg.sender, orgId);
        _;
    }

    /// @param authority The suite's AccessManager.
    constructor(address authority) ManagedPausable(authority) {}

    /// @inheritdoc IParticipantRegistry
    function registerOrganization(OrgKind kind, bytes32 metadata, address admin)
        external
        restricted
        whenNotPaused
        returns (uint64 orgId)
    {
        if (kind == OrgKind.None) revert InvalidOrganizationKind(uint8(kind));
        if (metadata == bytes32(0)) revert EmptyMetadata();
        _requireNotMember(admin);
        orgId = ++_organizationCount;
        _organizations[orgId] = Organization({
            kind: kind,
            suspended: false,
            registeredAt: uint40(block.timestamp),
            memberCount: 1,
            adminCount: 1,
            metadata: metadata
        });
        _memberships[admin] = Membership({orgId: orgId, kind: kind, isAdmin: true, since: uint40(block.timestamp)});
        emit OrganizationRegistered(orgId, kind, metadata, admin);
        emit MemberAdded(orgId, admin, true, msg.sender);
    }

    /// @inheritdoc IParticipantRegistry
    function updateMetadata(uint64 orgId, bytes32 metadata) external restricted {
        _requireOrganization(orgId);
        if (metadata == bytes32(0)) revert EmptyMetadata();
        _organizations[orgId].metadata = metadata;
        emit OrganizationMetadataUpdated(orgId, metadata);
    }

    /// @inheritdoc IParticipantRegistry
    function suspendOrganization(uint64 orgId) external restricted {
        Organization storage org = _requireOrganization(orgId);
        if (org.suspended) revert OrganizationIsSuspended(orgId);
        org.suspended = true;
        emit OrganizationSuspended(orgId, msg.sender);
    }

    /// @inheritdoc IParticipantRegistry
    function reinstateOrganization(uint64 orgId) external restricted whenNotPaused {
        Organization storage org = _requireOrganization(orgId);
        if (!org.suspended) revert OrganizationNotSuspended(orgId);
        org.suspended = false;
        emit OrganizationReinstated(orgId, msg.sender);
    }

    /// @inheritdoc IParticipantRegistry
    function appointAdmin(uint64 orgId, address account) external restricted whenNotPaused {
        Organization storage org = _requireOrganization(orgId);
        Membership storage m = _memberships[account];
        if (m.orgId == 0) {
            _addMember(org, orgId, account, true);
        } else {
            if (m.orgId != orgId) revert AlreadyMember(account, m.orgId);
            if (m.isAdmin) revert AlreadyAdmin(account, orgId);
            _setAdmin(org, m, orgId, account, true);
        }
    }

    /// @inheritdoc IParticipantRegistry
    function addMember(uint64 orgId, address account, bool isAdmin) external whenNotPaused onlyOrgAdmin(orgId) {
        Organization storage org = _organizations[orgId];
        if (org.suspended) revert OrganizationIsSuspended(orgId);
        _requireNotMember(account);
        _addMember(org, orgId, account, isAdmin);
    }

    /// @inheritdoc IParticipantRegistry
    function removeMember(uint64 orgId, address account) external onlyOrgAdmin(orgId) {
        _removeMember(orgId, account);
    }

    /// @inheritdoc IParticipantRegistry
    function setAdmin(uint64 orgId, address account, bool isAdmin) external onlyOrgAdmin(orgId) {
        Organization storage org = _organizations[orgId];
        Membership storage m = _memberships[account];
        if (m.orgId != orgId) revert NotMember(account, orgId);
        if (isAdmin) {
            _requireNotPaused();
            if (org.suspended) revert OrganizationIsSuspended(orgId);
        }
        if (m.isAdmin == isAdmin) return;
        _setAdmin(org, m, orgId, account, isAdmin);
    }

    /// @inheritdoc IParticipantRegistry
    function leaveOrganization() external {
        uint64 orgId = _memberships[msg.sender].orgId;
        if (orgId == 0) revert NotMember(msg.sender, 0);
        _removeMember(orgId, msg.sender);
    }

    /// @inheritdoc IParticipantRegistry
    function isActiveMember(address account) external view returns (bool active, uint64 orgId, OrgKind kind) {
        Membership memory m = _memberships[account];
        if (m.orgId == 0) return (false, 0, OrgKind.None);
        return (!_organizations[m.orgId].suspended, m.orgId, m.kind);
    }

    /// @inheritdoc IParticipantRegistry
    function membershipOf(address account) external view returns (Membership memory) {
        return _memberships[account];
    }

    /// @inheritdoc IParticipantRegistry
    function organization(uint64 orgId) external view returns (Organization memory) {
        return _requireOrganization(orgId);
    }

    /// @inheritdoc IParticipantRegistry
    function organizationCount() external view returns (uint64) {
        return _organizationCount;
    }

    function _addMember(Organization storage org, uint64 orgId, address account, bool isAdmin) private {
        _memberships[account] = Membership({orgId: orgId, kind: org.kind, isAdmin: isAdmin, since: uint40(block.timestamp)});
        ++org.memberCount;
        if (isAdmin) ++org.adminCount;
        emit MemberAdded(orgId, account, isAdmin, msg.sender);
    }

    function _removeMember(uint64 orgId, address account) private {
        Membership storage m = _memberships[account];
        if (m.orgId != orgId) revert NotMember(account, orgId);
        Organization storage org = _organizations[orgId];
        if (m.isAdmin) {
            if (org.adminCount == 1) revert LastAdmin(orgId, account);
            --org.adminCount;
        }
        --org.memberCount;
        delete _memberships[account];
        emit MemberRemoved(orgId, account, msg.sender);
    }

    function _setAdmin(Organization storage org, Membership storage m, uint64 orgId, address account, bool isAdmin)
        private
    {
        if (isAdmin) {
            ++org.adminCount;
        } else {
            if (org.adminCount == 1) revert LastAdmin(orgId, account);
            --org.adminCount;
        }
        m.isAdmin = isAdmin;
        emit MemberAdminChanged(orgId, account, isAdmin, msg.sender);
    }

    function _requireNotMember(address account) private view {
        if (account == address(0)) revert InvalidAccount(account);
        uint64 current = _memberships[account].orgId;
        if (current != 0) revert AlreadyMember(account, current);
    }

    function _requireOrganization(uint64 orgId) private view returns (Organization storage org) {
        org = _organizations[orgId];
        if (org.kind == OrgKind.None) revert UnknownOrganization(orgId);
    }
}
