// Text for XML and HTML (the JUnit and HTML reports): markup characters as entities, and
// characters markup cannot hold (controls, lone surrogates) as `\xNN` escapes, so that any
// byte a VMA name or a kernel line may carry is shown and never read as markup.

/** Text for markup attributes and content: the five entities, and no characters XML 1.0 forbids. */
export function markupText(s: string): string {
  return s
    .replace(/[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, (ch) => `\\x${ch.codePointAt(0)!.toString(16).padStart(2, '0')}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
