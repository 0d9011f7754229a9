// Terminal colours, applied only when asked for.

const CODES = { red: 31, green: 32, yellow: 33, cyan: 36, bold: 1, dim: 2 } as const;

export type Style = keyof typeof CODES;

/** A painter: wraps text in the style's escape codes when `enabled`, else returns it unchanged. */
export function painter(enabled: boolean): (style: Style, text: string) => string {
  return (style, text) => (enabled && text ? `\x1b[${CODES[style]}m${text}\x1b[0m` : text);
}
