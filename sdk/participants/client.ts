/**
 * The `participants` client: organizations, their members, and the one question every other
 * contract asks: is this account an active member, of which organization, of which kind?
 */
import type { Overrides } from "ethers";
import type { ParticipantRegistry } from "../../typechain-types/contracts/participants/ParticipantRegistry";
import { ManagedClient, requireSigner } from "../core/client";
import { profileCommitment } from "./encoding";
import { eventIn, type TxHandle } from "../core/tx";
import { blockTagOf, requireAddress, requireBoolean, requireBytes32, requireEnum, requireId } from "../core/validate";
import { OrgKind, type OrgKindName } from "./vocab";

/** An organization as the registry holds it. */
export interface Organization {
  readonly orgId: bigint;
  readonly kind: OrgKind;
  readonly suspended: boolean;
  /** Registration time, seconds since the epoch. */
  readonly registeredAt: number;
  readonly memberCount: number;
  readonly adminCount: number;
  /** The commitment of the published profile. */
  readonly metadata: string;
}

/** An account's membership; `orgId` is `0n` when the account belongs to no organization. */
export interface Membership {
  readonly account: string;
  readonly orgId: bigint;
  readonly kind: OrgKind;
  readonly isAdmin: boolean;
  /** When the account joined, seconds since the epoch (0 for non-members). */
  readonly since: number;
}

/** The answer to "is this account an active member, of which organization, of which kind?". */
export interface ActiveMembership {
  readonly active: boolean;
  readonly orgId: bigint;
  readonly kind: OrgKind;
}

/** A profile commitment (`0x` + 32 bytes) or the public profile itself, committed by the SDK. */
export type Metadata = string | Record<string, unknown>;

/** Parameters of {@link ParticipantsClient.registerOrganization}. */
export interface RegisterOrganizationParams {
  readonly kind: OrgKind | OrgKindName;
  readonly metadata: Metadata;
  /** The organization's first admin, who then adds the other members. */
  readonly admin: string;
}

/** Parameters naming one organization. */
export interface OrgParams {
  readonly orgId: bigint | number | string;
}

/** Parameters naming one account of one organization. */
export interface MemberParams extends OrgParams {
  readonly account: string;
}


function metadataOf(value: Metadata): string {
  return typeof value === "string" ? requireBytes32("metadata", value) : profileCommitment(value);
}

/** The typed client of the ParticipantRegistry contract. */
export class ParticipantsClient extends ManagedClient<ParticipantRegistry> {

  /**
   * @param contract the registry, connected to a Signer (for writes) or a Provider (reads only)
   * @param fromBlock the first block to read events from (the deployment block)
   */
  constructor(contract: ParticipantRegistry, fromBlock = 0) {
    super(contract, fromBlock);
  }


  /**
   * Registers an organization with its first admin. Registrar role.
   * @returns a handle whose `wait()` gives the new `orgId`
   * @throws {ValidationError} for a bad kind, metadata or admin, before anything is sent
   * @throws {ContractRevertError} e.g. `AccessManagedUnauthorized`, `AlreadyMember`, `EnforcedPause`
   */
  async registerOrganization(
    params: RegisterOrganizationParams,
    overrides: Overrides = {},
  ): Promise<TxHandle<{ orgId: bigint; kind: OrgKind; admin: string; metadata: string }>> {
    const kind = requireEnum("kind", params.kind, OrgKind, { exclude: [OrgKind.None] });
    const metadata = metadataOf(params.metadata);
    const admin = requireAddress("admin", params.admin);
    requireSigner(this.contract.runner);
    return this.send(
      () => this.contract.registerOrganization(kind, metadata, admin, overrides),
      (receipt) => {
        const e = eventIn(this.contract, receipt, "OrganizationRegistered");
        return { orgId: e.args.orgId as bigint, kind: Number(e.args.kind) as OrgKind, admin: e.args.admin as string, metadata: e.args.metadata as string };
      },
    );
  }

  /**
   * Replaces an organization's profile commitment. Registrar role.
   * @throws {ValidationError} for a bad orgId or metadata
   * @throws {ContractRevertError} e.g. `UnknownOrganization`
   */
  async updateMetadata(params: OrgParams & { metadata: Metadata }, overrides: Overrides = {}): Promise<TxHandle<{ orgId: bigint; metadata: string }>> {
    const orgId = requireId("orgId", params.orgId);
    const metadata = metadataOf(params.metadata);
    requireSigner(this.contract.runner);
    return this.send(() => this.contract.updateMetadata(orgId, metadata, overrides), () => ({ orgId, metadata }));
  }

  /**
   * Suspends an organization: every member is inactive from that block on. Pauser role.
   * @throws {ContractRevertError} e.g. `OrganizationIsSuspended`
   */
  async suspend(params: OrgParams, overrides: Overrides = {}): Promise<TxHandle<{ orgId: bigint }>> {
    const orgId = requireId("orgId", params.orgId);
    requireSigner(this.contract.runner);
    return this.send(() => this.contract.suspendOrganization(orgId, overrides), () => ({ orgId }));
  }

  /**
   * Reinstates a suspended organization. Registrar role.
   * @throws {ContractRevertError} e.g. `OrganizationNotSuspended`
   */
  async reinstate(params: OrgParams, overrides: Overrides = {}): Promise<TxHandle<{ orgId: bigint }>> {
    const orgId = requireId("orgId", params.orgId);
    requireSigner(this.contract.runner);
    return this.send(() => this.contract.reinstateOrganization(orgId, overrides), () => ({ orgId }));
  }

  /**
   * Makes `account` an admin of `orgId` (adding it if needed): recovery when an organization lost
   * its admins' keys. Registrar role.
   * @throws {ContractRevertError} e.g. `AlreadyMember`, `AlreadyAdmin`
   */
  async appointAdmin(params: MemberParams, overrides: Overrides = {}): Promise<TxHandle<{ orgId: bigint; account: string }>> {
    const orgId = requireId("orgId", params.orgId);
    const account = requireAddress("account", params.account);
    requireSigner(this.contract.runner);
    return this.send(() => this.contract.appointAdmin(orgId, account, overrides), () => ({ orgId, account }));
  }

  /**
   * Adds a member to the caller's organization. Caller: an admin of `orgId`.
   * @throws {ContractRevertError} e.g. `NotOrganizationAdmin`, `AlreadyMember`, `OrganizationIsSuspended`
   */
  async addMember(params: MemberParams & { isAdmin?: boolean }, overrides: Overrides = {}): Promise<TxHandle<{ orgId: bigint; account: string; isAdmin: boolean }>> {
    const orgId = requireId("orgId", params.orgId);
    const account = requireAddress("account", params.account);
    const isAdmin = requireBoolean("isAdmin", params.isAdmin ?? false);
    requireSigner(this.contract.runner);
    return this.send(() => this.contract.addMember(orgId, account, isAdmin, overrides), () => ({ orgId, account, isAdmin }));
  }

  /**
   * Removes a member. Caller: an admin of `orgId`. Works while paused or suspended.
   * @throws {ContractRevertError} e.g. `NotMember`, `LastAdmin`
   */
  async removeMember(params: MemberParams, overrides: Overrides = {}): Promise<TxHandle<{ orgId: bigint; account: string }>> {
    const orgId = requireId("orgId", params.orgId);
    const account = requireAddress("account", params.account);
    requireSigner(this.contract.runner);
    return this.send(() => this.contract.removeMember(orgId, account, overrides), () => ({ orgId, account }));
  }

  /**
   * Makes a member an admin, or no longer one. Caller: an admin of `orgId`.
   * @throws {ContractRevertError} e.g. `NotMember`, `LastAdmin`
   */
  async setAdmin(params: MemberParams & { isAdmin: boolean }, overrides: Overrides = {}): Promise<TxHandle<{ orgId: bigint; account: string; isAdmin: boolean }>> {
    const orgId = requireId("orgId", params.orgId);
    const account = requireAddress("account", params.account);
    const isAdmin = requireBoolean("isAdmin", params.isAdmin);
    requireSigner(this.contract.runner);
    return this.send(() => this.contract.setAdmin(orgId, account, isAdmin, overrides), () => ({ orgId, account, isAdmin }));
  }

  /**
   * The connected signer leaves its organization.
   * @throws {ContractRevertError} e.g. `NotMember`, `LastAdmin`
   */
  async leave(overrides: Overrides = {}): Promise<TxHandle<Record<string, never>>> {
    requireSigner(this.contract.runner);
    return this.send(() => this.contract.leaveOrganization(overrides), () => ({}));
  }



  /**
   * Is `account` an active member, of which organization, of which kind? Now, or at `options.blockTag`
   * (a block number).
   * @throws {ValidationError} when `account` is not an address, or the block tag not a block number
   */
  async isActiveMember(account: string, options: { blockTag?: number | bigint } = {}): Promise<ActiveMembership> {
    const a = requireAddress("account", account, { allowZero: true });
    const blockTag = blockTagOf(options.blockTag);
    const [active, orgId, kind] = await this.read(() => this.contract.isActiveMember(a, { blockTag }));
    return { active, orgId, kind: Number(kind) as OrgKind };
  }

  /** The membership record of `account`. @throws {ValidationError} when `account` is not an address */
  async membership(account: string): Promise<Membership> {
    const a = requireAddress("account", account, { allowZero: true });
    const m = await this.read(() => this.contract.membershipOf(a));
    return { account: a, orgId: m.orgId, kind: Number(m.kind) as OrgKind, isAdmin: m.isAdmin, since: Number(m.since) };
  }

  /**
   * The organization `orgId`, now or at `options.blockTag` (a block number).
   * @throws {ContractRevertError} `UnknownOrganization` when there is none
   */
  async organization(orgId: bigint | number | string, options: { blockTag?: number | bigint } = {}): Promise<Organization> {
    const id = requireId("orgId", orgId);
    const blockTag = blockTagOf(options.blockTag);
    const o = await this.read(() => this.contract.organization(id, { blockTag }));
    return {
      orgId: id,
      kind: Number(o.kind) as OrgKind,
      suspended: o.suspended,
      registeredAt: Number(o.registeredAt),
      memberCount: Number(o.memberCount),
      adminCount: Number(o.adminCount),
      metadata: o.metadata,
    };
  }

  /** The number of organizations ever registered (the highest id). */
  async organizationCount(): Promise<bigint> {
    return this.read(() => this.contract.organizationCount());
  }

  /**
   * The current members of `orgId`, rebuilt from the registry's events since the deployment block
   * and confirmed against its state.
   * @throws {ContractRevertError} `UnknownOrganization` when there is none
   */
  async members(orgId: bigint | number | string): Promise<Membership[]> {
    const id = (await this.organization(orgId)).orgId;
    const added = await this.logs(this.contract.filters.MemberAdded(id));
    const candidates = [...new Set(added.map((e) => e.args.account))];
    const current = await Promise.all(candidates.map((a) => this.membership(a)));
    return current.filter((m) => m.orgId === id);
  }
}
