const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The output of one update, as Packagist collects it (a very verbose Composer IO) and stores it as the job's
 * `details`: HTML-escaped text inside `<pre>`.
 */
export class CrawlLog {
  readonly #lines: string[] = [];

  info(line: string): void {
    this.#lines.push(line);
  }

  warning(line: string): void {
    this.#lines.push(line);
  }

  error(line: string): void {
    this.#lines.push(line);
  }

  get lines(): readonly string[] {
    return this.#lines;
  }

  toDetails(): string {
    return `<pre>${this.#lines.map((line) => `${escapeHtml(line)}\n`).join('')}</pre>`;
  }
}
