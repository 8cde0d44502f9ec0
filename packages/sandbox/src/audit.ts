/**
 * What every sandbox in this process has seen: the secrets it issued and the raw URL of every
 * request it received. The test suite's setup checks, after each test file, that no client ever
 * put a secret in a URL (where proxies and access logs would keep it).
 */
export const sandboxAudit = {
  issuedSecrets: new Set<string>(),
  requestUrls: [] as string[],
};

/** Issued secrets found in received request URLs (an empty list is the only good answer). */
export function secretsInRequestUrls(): { secret: string; url: string }[] {
  const leaks: { secret: string; url: string }[] = [];
  for (const url of sandboxAudit.requestUrls) {
    for (const secret of sandboxAudit.issuedSecrets) if (url.includes(secret)) leaks.push({ secret, url });
  }
  return leaks;
}
