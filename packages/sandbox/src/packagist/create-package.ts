import type { GitReader } from '../git/git-reader.js';
import { jsonResponse, type SandboxRequest, type SandboxResponse } from '../http/exchange.js';
import type { PackageRegistry, SandboxPackage } from './packages.js';
import { createRequestUrl, readPayload } from './payload.js';
import { gitHubRepositoryUrl, normalizeSubmittedUrl } from './repository-url.js';
import { canonicalUsername, type UserDirectory } from './users.js';

export interface CreatePackageDependencies {
  readonly users: UserDirectory;
  readonly packages: PackageRegistry;
  /** The local git directory standing in for a repository URL, if any (the VCS driver Packagist would find). */
  readonly readerFor: (repositoryUrl: string) => { reader: GitReader; canonicalUrl: string } | undefined;
  /** Called with each package created. */
  readonly onCreated: (pkg: SandboxPackage) => void;
}

const PACKAGE_NAME = /^[a-zA-Z0-9]+(?:[_.-]?[a-zA-Z0-9]+)*\/[a-zA-Z0-9]+(?:[_.-]?[a-zA-Z0-9]+)*$/;

const RESERVED_VENDORS = [
  'php',
  'packagist',
  'api',
  'sdk',
  'auth',
  'openai',
  'annotation',
  'authentication',
  'authorization',
  'dependency',
  'dependencies',
  'kernel',
  'namespace',
  'namespaces',
  'rfc',
  'routing',
  'standards',
  'standard',
  'token',
  // NotReservedWordValidator::RESERVED_WORDS
  'composer',
  'automation',
  'unknown',
  'admin',
  'create',
];

const RESERVED_NAMES = [
  'nul',
  'con',
  'prn',
  'aux',
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((n) => [`com${n}`, `lpt${n}`]),
];

const htmlEntities = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

interface Submission {
  /** The URL after Package::setRepository (undefined for local paths, which it ignores). */
  readonly repository: string | undefined;
  readonly name: string;
  /** Why no repository could be read, when none could. */
  readonly readable: boolean;
  readonly composerProblem: string | undefined;
}

/** Package::setRepository: normalise the URL, find a driver for it, read the name from the default branch. */
async function readSubmission(
  submitted: string,
  readerFor: CreatePackageDependencies['readerFor'],
): Promise<Submission> {
  const repository = normalizeSubmittedUrl(submitted);
  const unreadable = { repository, name: '', readable: false, composerProblem: undefined };
  if (repository === undefined) return unreadable;
  // Packagist gives up before looking for a driver on these.
  if (/https?:\/\/.+@/.test(repository)) return unreadable;
  if (!/^(?:[a-z0-9][^@\s]+@[a-z0-9-_.]+:\S+|[a-z0-9]+:\/\/\S+)$/.test(repository)) return unreadable;
  if (/^[%$~]/.test(repository)) return unreadable;
  // GitHub's driver takes http:// URLs too (and reports the https one); no other driver here does.
  if (repository.startsWith('http://') && !gitHubRepositoryUrl(repository)) return unreadable;

  const found = readerFor(repository);
  if (!found || !(await found.reader.exists())) return unreadable;
  const branch = (await found.reader.defaultBranch()) ?? 'master';
  const text = await found.reader.fileAt('HEAD', 'composer.json');
  const at = { repository: found.canonicalUrl, readable: true };
  if (text === undefined)
    return { ...at, name: '', composerProblem: `No composer.json was found in the ${branch} branch.` };
  let composer: unknown;
  try {
    composer = JSON.parse(text);
  } catch (error) {
    return {
      ...at,
      name: '',
      composerProblem: `We had problems parsing your composer.json file, the parser reports: ${htmlEntities(
        `"HEAD:composer.json" does not contain valid JSON\n${(error as Error).message}`,
      )}`,
    };
  }
  const name = (composer as Record<string, unknown> | null)?.['name'];
  if (typeof name !== 'string' || name === '') {
    return {
      ...at,
      name: '',
      composerProblem: 'The package name was not found in the composer.json, make sure there is a name present.',
    };
  }
  return { ...at, name: name.trim(), composerProblem: undefined };
}

/** ValidPackageRepositoryValidator, in its order; the first problem found, or undefined. */
function repositoryProblem(submission: Submission, packages: PackageRegistry): string | undefined {
  const repository = submission.repository ?? '';
  if (!submission.readable) {
    if (/^http:\/\//.test(repository)) {
      return 'Non-secure HTTP URLs are not supported, make sure you use an HTTPS or SSH URL';
    }
    if (/https?:\/\/.+@/.test(repository)) return 'URLs with user@host are not supported, use a read-only public URL';
    return 'No valid/supported repository was found at the given URL';
  }
  if (submission.composerProblem) return submission.composerProblem;
  const name = submission.name;
  if (!PACKAGE_NAME.test(name)) {
    return `The package name ${htmlEntities(name)} is invalid, it should have a vendor name, a forward slash, and a package name. The vendor and package name can be words separated by -, . or _. The complete name should match "[a-z0-9]([_.-]?[a-z0-9]+)*/[a-z0-9]([_.-]?[a-z0-9]+)*".`;
  }
  const vendorMatch = /^([^/]*(symfony|packagist|composer)[^/]*)\//.exec(name);
  if (vendorMatch && !packages.all().some((pkg) => pkg.vendor === vendorMatch[1])) {
    return `The vendor name ${htmlEntities(vendorMatch[1]!)} is blocked, if you think this is a mistake please get in touch with us.`;
  }
  const [vendor = '', packageName = ''] = name.toLowerCase().split('/');
  if (RESERVED_VENDORS.includes(vendor)) {
    return `The vendor name ${htmlEntities(vendor)} is reserved, please use another name or reach out to us if you have a legitimate use for it.`;
  }
  if (RESERVED_NAMES.includes(vendor) || RESERVED_NAMES.includes(packageName)) {
    return `The package name ${htmlEntities(name)} is reserved, package and vendor names can not match any of: ${RESERVED_NAMES.join(', ')}.`;
  }
  if (/\.json$/.test(name)) {
    return `The package name ${htmlEntities(name)} is invalid, package names can not end in .json, consider renaming it or perhaps using a -json suffix instead.`;
  }
  if (/[A-Z]/.test(name)) {
    const suggestion = name.replace(/(?:([a-z])([A-Z])|([A-Z])([A-Z][a-z]))/g, '$1$3-$2$4').toLowerCase();
    return `The package name ${htmlEntities(name)} is invalid, it should not contain uppercase characters. We suggest using ${suggestion} instead.`;
  }
  return undefined;
}

/**
 * POST /api/create-package: ApiController::createPackageAction. MAIN token only; every validation problem
 * is reported under `repository`, the last one found winning, as Symfony's violation list is folded there.
 */
export async function handleCreatePackage(
  request: SandboxRequest,
  deps: CreatePackageDependencies,
): Promise<SandboxResponse> {
  const payload = readPayload(request);
  if (payload === undefined) return jsonResponse(406, { status: 'error', message: 'Missing payload parameter' });
  const url = createRequestUrl(payload);
  if (url === undefined) {
    return jsonResponse(406, { status: 'error', message: '{repository: string} expected in payload' });
  }
  const user = deps.users.findUser(request, 'unsafe');
  if (!user) return jsonResponse(406, { status: 'error', message: 'Missing or invalid username/apiToken in request' });
  const username = canonicalUsername(user.username);

  const submission = await readSubmission(url, deps.readerFor);
  // Symfony validates the Default group (the repository check), then Create (unique name, vendor), then
  // the NotBlank property constraint; each message lands on `repository` and the last one wins.
  const violations: string[] = [];
  const problem = repositoryProblem(submission, deps.packages);
  if (problem) violations.push(problem);
  const name = submission.name;
  if (name !== '' && deps.packages.byName(name)) {
    violations.push(
      `A package with the name <a href="/packages/${name}">${name}</a> already exists. You should update the name property in your composer.json file.`,
    );
  }
  const vendor = name.replace(/\/.*$/, '');
  if (vendor !== '' && deps.packages.isVendorTaken(vendor, username)) {
    violations.push(
      `The vendor name "${vendor}" was already claimed by someone else on Packagist.org. You may ask them to add your package and give you maintainership access. If they add you as a maintainer on any package in that vendor namespace, you will then be able to add new packages in that namespace. The packages already in that vendor namespace can be found at <a href="/packages/${vendor}/">${vendor}</a>.If those packages belong to you but were submitted by someone else, you can <a href="mailto:contact@packagist.org">contact us</a> to resolve the issue.`,
    );
  }
  if (submission.repository === '') violations.push('This value should not be blank.');
  const last = violations.at(-1);
  if (last !== undefined) return jsonResponse(406, { status: 'error', message: { repository: last } });

  const pkg = deps.packages.add({ name, repository: submission.repository!, maintainers: [username] });
  deps.onCreated(pkg);
  return jsonResponse(202, { status: 'success' });
}
