import { checkComposerJson, isValidPackageName, readComposerJson } from '../composer/index.js';
import { PhpublishError } from '../errors/index.js';
import { remoteUrl } from '../git/index.js';
import { repositoryUrlFromEnvironment, toPublicRepositoryUrl } from '../packagist/index.js';
import type { ReleaseContext } from './context.js';

export interface PackagistTarget {
  packageName: string;
  /** Public, credential-free repository URL. */
  repositoryUrl: string;
}

/**
 * Which package and repository a release is about: the options first, then the CI's variables,
 * then what the host tool says (`hostRepositoryUrl`, which may embed a git token and is always
 * stripped), then the `origin` remote. Collects every problem.
 */
export async function resolvePackagistTarget(
  context: ReleaseContext,
  { hostRepositoryUrl }: { hostRepositoryUrl?: string } = {},
): Promise<{ target?: PackagistTarget; problems: PhpublishError[] }> {
  const problems: PhpublishError[] = [];
  const options = context.config.options.packagist;

  let packageName = options.packageName;
  if (packageName !== undefined) {
    if (!isValidPackageName(packageName))
      problems.push(new PhpublishError('PACKAGE_NAME_INVALID', { name: packageName }));
  } else {
    try {
      const composer = await readComposerJson(context.cwd);
      const composerProblems = checkComposerJson(composer);
      problems.push(...composerProblems);
      if (composerProblems.length === 0) packageName = composer.name;
    } catch (error) {
      problems.push(error as PhpublishError);
    }
  }

  // The CI's own variables name the public repository exactly; a host tool's URL may be a local
  // path, an ssh remote or carry a push token, so it comes after them.
  const raw =
    options.repositoryUrl ??
    repositoryUrlFromEnvironment(context.env) ??
    hostRepositoryUrl ??
    (await remoteUrl({ cwd: context.cwd, env: context.env as NodeJS.ProcessEnv }));
  // Whatever is used, a credential in the host's URL must never be printed.
  for (const url of [raw, hostRepositoryUrl]) {
    const credentialPart = url && /^[a-z][a-z0-9+.-]*:\/\/([^/@\s]+)@/i.exec(url)?.[1];
    if (credentialPart)
      for (const part of credentialPart.split(':')) {
        // As written (percent-encoding may be in lower case, which re-encoding does not give back) and decoded.
        context.redactor.add(part);
        context.redactor.add(decodeURIComponentSafe(part));
      }
  }
  let repositoryUrl: string | undefined;
  if (raw === undefined) {
    problems.push(new PhpublishError('REPOSITORY_URL_MISSING'));
  } else {
    try {
      repositoryUrl = toPublicRepositoryUrl(raw);
    } catch (error) {
      problems.push(error as PhpublishError);
    }
  }
  if (problems.length > 0 || !packageName || !repositoryUrl) return { problems };
  return { target: { packageName, repositoryUrl }, problems };
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
