/** Markdown lines with table padding removed: Prettier aligns table cells, the generators do not. */
export function normalizeMarkdown(text: string): string[] {
  return text
    .split('\n')
    .map((line) =>
      line
        .replace(/\s*\|\s*/g, '|')
        .replace(/-{3,}/g, '---')
        .trim(),
    )
    .filter(Boolean);
}
