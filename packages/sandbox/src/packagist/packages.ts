import type { VersionFields } from './version-fields.js';

/** One version row, as Packagist's package_version table keeps it. */
export interface StoredVersion {
  /** Tag or branch as published (`v1.2.0`, `dev-main`, `1.x-dev`). */
  prettyVersion: string;
  normalizedVersion: string;
  readonly development: boolean;
  defaultBranch: boolean;
  /** source.reference: the commit. Frozen for non-dev versions once stored. */
  reference: string;
  fields: VersionFields;
  /** Release date (composer.json `time` or the commit date), Unix ms. */
  releasedAt: number | undefined;
  readonly createdAt: number;
  updatedAt: number;
  /** Set when the tag or branch disappeared; such versions are left out of the metadata. */
  softDeletedAt: number | undefined;
  /** The last moved-tag reference that was refused, so that a refusal is reported once per attempt. */
  lastBlockedReference: string | undefined;
}

export interface SandboxPackage {
  readonly name: string;
  readonly vendor: string;
  repository: string;
  /** Canonical usernames. */
  readonly maintainers: Set<string>;
  remoteId: string | undefined;
  /** Frozen packages are no longer crawled (e.g. their repository disappeared). */
  frozen: 'gone' | undefined;
  /** `true` or the name of the replacement, from the default branch's composer.json. */
  abandoned: string | true | undefined;
  crawledAt: number | undefined;
  /** By lowercase normalized version. */
  readonly versions: Map<string, StoredVersion>;
}

export class PackageRegistry {
  readonly #packages = new Map<string, SandboxPackage>();

  add(init: { name: string; repository: string; maintainers: Iterable<string> }): SandboxPackage {
    if (this.byName(init.name)) throw new Error(`sandbox Packagist: package ${init.name} already exists`);
    const pkg: SandboxPackage = {
      name: init.name,
      vendor: init.name.replace(/\/.*$/, ''),
      repository: init.repository,
      maintainers: new Set(init.maintainers),
      remoteId: undefined,
      frozen: undefined,
      abandoned: undefined,
      crawledAt: undefined,
      versions: new Map(),
    };
    this.#packages.set(pkg.name.toLowerCase(), pkg);
    return pkg;
  }

  /** Case-insensitive, like the database's collation. */
  byName(name: string): SandboxPackage | undefined {
    return this.#packages.get(name.toLowerCase());
  }

  all(): SandboxPackage[] {
    return [...this.#packages.values()];
  }

  maintainedBy(canonicalUsername: string): SandboxPackage[] {
    return this.all().filter((pkg) => pkg.maintainers.has(canonicalUsername));
  }

  /** PackageRepository::isVendorTaken: someone has packages in this vendor and `username` maintains none of them. */
  isVendorTaken(vendor: string, canonicalUsername: string): boolean {
    const inVendor = this.all().filter((pkg) => pkg.vendor.toLowerCase() === vendor.toLowerCase());
    return inVendor.length > 0 && !inVendor.some((pkg) => pkg.maintainers.has(canonicalUsername));
  }
}
