// Readers of the values that several parts of a case share: Kconfig terms and kernel version
// ranges (`requires`, `when`), errno names, page ranges and the regions they name, name values, and lists of
// entries and of expected VMAs (`layout`, `contains`).

import { isMap, isScalar, type Node, type YAMLMap } from 'yaml';
import { canonicalErrno, similarErrnos } from './errno.js';
import { parseRange, RANGE_EXAMPLE } from '../kernel/version-range.js';
import { GUEST_LIMITS, guestTakes } from './limits.js';
import { describe, join, list, type Ctx, type Field, type Fields, type Scope } from './read-context.js';
import type { ExpectedVma, Outcome, PageRange } from './shared-types.js';

/** A Kconfig term of `requires`/`when`: `NAME` (y or m), or `NAME=y|m|n` (n: not set). */
export const KCONFIG = /^[A-Z0-9_]+(=[ymn])?$/;

/** `kconfig: [NAME, NAME=n]` of `requires` or `when`; undefined after a reported error. */
export function readKconfigTerms(ctx: Ctx, f: Field, path: string): string[] | undefined {
  const items = ctx.seq(f, path, 'a list of Kconfig options such as [ANON_VMA_NAME] or [ANON_VMA_NAME=n]');
  if (!items) return undefined;
  const terms: string[] = [];
  let ok = true;
  items.forEach((it, i) => {
    const p = `${path}[${i}]`;
    const s = ctx.str({ key: f.key, value: it }, p, ' (a Kconfig option)');
    if (s === undefined) ok = false;
    else if (s.startsWith('CONFIG_')) {
      ctx.error(it, p, `write ${JSON.stringify(s.slice('CONFIG_'.length))} without the CONFIG_ prefix`);
      ok = false;
    } else if (!KCONFIG.test(s)) {
      ctx.error(it, p, `invalid Kconfig term ${JSON.stringify(s)}; expected NAME (y or m) or NAME=y, NAME=m, NAME=n, in upper-case letters, digits and _`);
      ok = false;
    } else terms.push(s);
  });
  return ok ? terms : undefined;
}

/** `kernel: ">=6.2 <6.13"` of `requires` or `when`: the range's normalised text (runner/kernel/version-range.ts); undefined after a reported error. */
export function readKernelRange(ctx: Ctx, f: Field, path: string): string | undefined {
  const s = ctx.str(f, path, ` such as "${RANGE_EXAMPLE}" (a kernel version range; quote it)`);
  if (s === undefined) return undefined;
  const p = parseRange(s);
  if (p.ok) return p.range.text;
  ctx.error(f.value, path, p.message);
  return undefined;
}

/** The optional `errno:` of a step: the canonical name expected, or null for success. */
export function readErrno(ctx: Ctx, F: Fields, path: string): Outcome {
  const f = F.get('errno');
  if (!f) return { errno: null };
  const p = join(path, 'errno');
  const name = ctx.str(f, p, ' (an errno name such as EINVAL)');
  if (name === undefined) return { errno: null };
  const canon = canonicalErrno(name);
  if (canon !== null) return { errno: canon };
  const close = similarErrnos(name);
  const hint =
    close.length === 1
      ? `did you mean ${close[0]}?`
      : close.length > 1
        ? `did you mean one of: ${list(close)}?`
        : 'expected a Linux errno name such as EINVAL, ENOMEM, EFAULT, EBADF, EAGAIN, EPERM';
  ctx.error(f.value, p, `unknown errno name ${JSON.stringify(name)}; ${hint}`);
  return { errno: null };
}

/** The perms column of /proc/PID/maps, as `layout` and `contains` entries give it. */
export const PERMS = /^[r-][w-][x-][ps]$/;

/** The region a `region:` key names, visible from this step; undefined once the mistake is reported. */
export function lookupRegion(ctx: Ctx, f: Field, path: string, scope: Scope): { id: string; range: PageRange } | undefined {
  const id = ctx.str(f, path, ' (a region id)');
  if (id === undefined) return undefined;
  const region = scope.lookup(id);
  if (!region) {
    const elsewhere = ctx.allRegions.get(id);
    const visible = scope.visible();
    const msg = elsewhere
      ? `region ${JSON.stringify(id)} is not visible here (defined at ${elsewhere.path}, in a fork branch that does not enclose this step)`
      : `region ${JSON.stringify(id)} is not defined by an earlier map step; ${visible.length ? `defined: ${list(visible)}` : 'no region is defined yet'}`;
    ctx.error(f.value, path, msg);
    return undefined;
  }
  if (region.range === null) return undefined; // its map step was reported already
  return { id, range: region.range };
}

/** Where a step or selector says which pages: exactly one of `region` and `at`, or undefined after the error. */
export function regionOrAt(ctx: Ctx, F: Fields, m: YAMLMap, path: string): { regionF: Field | undefined; atF: Field | undefined } | undefined {
  const regionF = F.get('region');
  const atF = F.get('at');
  if (regionF && atF) {
    ctx.error(atF.key, join(path, 'at'), 'give region or at, not both');
    return undefined;
  }
  if (!regionF && !atF) {
    ctx.error(m, path, 'missing required key "region" or "at"');
    return undefined;
  }
  return { regionF, atF };
}

/** A page range written as `region` (+ `page`, `pages`) or `at` + `pages`. `pages` null: omitted where optional. */
export function readRange(
  ctx: Ctx,
  F: Fields,
  m: YAMLMap,
  path: string,
  scope: Scope,
  opts: { pagesOptional?: boolean } = {},
): { at: number; pages: number | null } | undefined {
  const chosen = regionOrAt(ctx, F, m, path);
  if (!chosen) return undefined;
  const { regionF, atF } = chosen;
  const pageF = F.get('page');
  const pagesF = F.get('pages');
  const window = ctx.window;
  if (regionF) {
    const found = lookupRegion(ctx, regionF, join(path, 'region'), scope);
    if (!found) return undefined;
    const { id, range } = found;
    const n = range.pages;
    let page = 0;
    if (pageF) {
      const v = ctx.int(pageF, join(path, 'page'), 0);
      if (v === undefined) return undefined;
      if (v >= n) {
        ctx.error(pageF.value, join(path, 'page'), `page ${v} is outside region ${JSON.stringify(id)} (${n} pages: 0..${n - 1})`);
        return undefined;
      }
      page = v;
    }
    let pages: number | null = n - page;
    if (pagesF) {
      const v = ctx.int(pagesF, join(path, 'pages'), 1);
      if (v === undefined) return undefined;
      if (page + v > n) {
        ctx.error(
          pagesF.value,
          join(path, 'pages'),
          `pages ${v} from page ${page} runs past region ${JSON.stringify(id)} (${n} pages); use at: for a range across regions`,
        );
        return undefined;
      }
      pages = v;
    } else if (opts.pagesOptional && F.has('len')) {
      pages = null;
    }
    return { at: range.at + page, pages };
  }
  // at form
  if (pageF) {
    ctx.error(pageF.key, join(path, 'page'), 'page is only used with region; with at, give the window page directly');
    return undefined;
  }
  const at = ctx.int(atF as Field, join(path, 'at'), 0, window - 1, ` (a page of the ${window}-page window)`);
  if (at === undefined) return undefined;
  if (!pagesF) {
    if (opts.pagesOptional) {
      if (F.has('len')) return { at, pages: null };
      ctx.error(m, path, 'missing required key "pages" or "len"');
      return undefined;
    }
    ctx.error(m, path, 'missing required key "pages"');
    return undefined;
  }
  const pages = ctx.int(pagesF, join(path, 'pages'), 1);
  if (pages === undefined) return undefined;
  if (at + pages > window) {
    ctx.error(pagesF.value, join(path, 'pages'), `pages ${pages} from page ${at} runs past the window (${window} pages)`);
    return undefined;
  }
  return { at, pages };
}

/** The keys of a name written as a mapping: `{ hex }` or `{ repeat, count }`. */
export const NAME_VALUE_KEYS = ['hex', 'repeat', 'count'] as const;
/** The largest `count` of a `{ repeat, count }` name. */
export const REPEAT_MAX = 4096;

/**
 * Whether a name of `bytes` bytes fits the guest (reported at `where` when not), counting
 * its plan text: once the names pass the plan limit, later ones are reported and not built.
 */
function nameFits(ctx: Ctx, where: Node | null, path: string, bytes: number): boolean {
  const { nameBytes, planBytes } = GUEST_LIMITS;
  if (bytes > nameBytes.value) {
    ctx.error(where, path, `name is ${bytes} bytes; ${guestTakes(nameBytes, ' bytes')}`);
    return false;
  }
  const before = ctx.nameHexBytes;
  ctx.nameHexBytes += 2 * bytes;
  if (ctx.nameHexBytes < planBytes.value) return true;
  if (before < planBytes.value) {
    ctx.error(where, path, `the names of this case take ${planBytes.value} bytes of plan text by here (two hex digits a byte); the guest reads plans of less than ${planBytes.value} bytes (${planBytes.constant}, ${planBytes.file})`);
  }
  return false;
}

/** A name's bytes (a string, `{ hex }`, `{ repeat, count }`), null to clear it; undefined once reported. */
export function readNameValue(ctx: Ctx, f: Field, path: string): Uint8Array | null | undefined {
  const v = ctx.deref(f.value);
  const what = 'a string, null, { hex: "…" } or { repeat: "…", count: n }';
  if (v !== null && isScalar(v)) {
    if (typeof v.value === 'string') return nameFits(ctx, f.value, path, Buffer.byteLength(v.value)) ? new TextEncoder().encode(v.value) : undefined;
    if (v.value === null && v.source !== '') return null;
    if (v.value === null) {
      ctx.error(ctx.where(f), path, `missing value; expected ${what} (write null to clear the name, "" for the empty name)`);
      return undefined;
    }
    ctx.error(f.value, path, `expected ${what}, got ${describe(v)}; quote it to use it as a name`);
    return undefined;
  }
  if (v !== null && isMap(v)) {
    const F = ctx.fields(v, path, NAME_VALUE_KEYS);
    const hexF = F.get('hex');
    const repeatF = F.get('repeat');
    const countF = F.get('count');
    if (hexF) {
      if (repeatF || countF) {
        ctx.error((repeatF ?? countF)?.key, path, 'give hex or repeat + count, not both');
        return undefined;
      }
      const hp = join(path, 'hex');
      const s = ctx.str(hexF, hp, ' of hex digits');
      if (s === undefined) return undefined;
      if (!/^([0-9a-fA-F]{2})*$/.test(s)) {
        ctx.error(hexF.value, hp, `invalid hex ${JSON.stringify(s)}; expected pairs of hex digits, e.g. "80ff"`);
        return undefined;
      }
      return nameFits(ctx, hexF.value, hp, s.length / 2) ? Uint8Array.from(Buffer.from(s, 'hex')) : undefined;
    }
    if (repeatF || countF) {
      if (!repeatF || !countF) {
        ctx.error(v, path, `missing required key ${JSON.stringify(repeatF ? 'count' : 'repeat')}`);
        return undefined;
      }
      const s = ctx.str(repeatF, join(path, 'repeat'));
      const n = ctx.int(countF, join(path, 'count'), 0, REPEAT_MAX);
      if (s === undefined || n === undefined) return undefined;
      // Checked before the bytes are built: { repeat: <100 KB>, count: 4096 } would be 400 MB.
      return nameFits(ctx, v, path, Buffer.byteLength(s) * n) ? new TextEncoder().encode(s.repeat(n)) : undefined;
    }
    if (F.size === 0 && v.items.length === 0) ctx.error(v, path, `expected ${what}, got an empty mapping`);
    return undefined;
  }
  ctx.error(ctx.where(f), path, `expected ${what}, got ${describe(v)}`);
  return undefined;
}

/**
 * A list of mappings, each read by `read` after its keys are checked against
 * `keys`; every entry is read (so every mistake is reported), and the list is
 * returned only when all entries are valid.
 */
export function readEntries<T>(
  ctx: Ctx,
  f: Field,
  path: string,
  item: string,
  keys: readonly string[],
  read: (F: Fields, m: YAMLMap, path: string) => T | undefined,
  listText = `a list of ${item}`,
): T[] | undefined {
  const nodes = ctx.seq(f, path, listText);
  if (!nodes) return undefined;
  const out: T[] = [];
  let ok = true;
  nodes.forEach((n, i) => {
    const ip = `${path}[${i}]`;
    const m = ctx.map(n, f.key, ip, item);
    const entry = m ? read(ctx.fields(m, ip, keys), m, ip) : undefined;
    if (entry === undefined) ok = false;
    else out.push(entry);
  });
  return ok ? out : undefined;
}

/**
 * A list of expected VMAs in address order (`layout`, `contains`): each entry's
 * page range comes from `range`, then optional `perms` and `name`.
 */
export function readVmaList(
  ctx: Ctx,
  f: Field,
  path: string,
  keys: readonly string[],
  shape: string,
  range: (F: Fields, m: YAMLMap, path: string) => PageRange | undefined,
): ExpectedVma[] | undefined {
  let prevEnd = 0;
  return readEntries(
    ctx,
    f,
    path,
    `a mapping { ${shape} }`,
    keys,
    (F, m, ip) => {
      let ok = true;
      const r = range(F, m, ip);
      const vma: ExpectedVma = { at: r?.at ?? 0, pages: r?.pages ?? 0, pos: ctx.pos(m) };
      const permsF = F.get('perms');
      if (permsF) {
        const s = ctx.str(permsF, join(ip, 'perms'), ' like rw-p');
        if (s === undefined) ok = false;
        else if (!PERMS.test(s)) {
          ctx.error(permsF.value, join(ip, 'perms'), `invalid perms ${JSON.stringify(s)}; expected 4 characters [r-][w-][x-][ps], e.g. rw-p`);
          ok = false;
        } else vma.perms = s;
      }
      const nameF = F.get('name');
      if (nameF) {
        const s = ctx.str(nameF, join(ip, 'name'), ' (the maps name column: "" for unnamed, "[anon:x]" …)');
        if (s === undefined) ok = false;
        else vma.name = s;
      }
      if (!r) return undefined;
      if (vma.at < prevEnd) {
        ctx.error(m, ip, `page ${vma.at} overlaps or precedes the previous entry (which ends at page ${prevEnd}); list VMAs in address order`);
        ok = false;
      }
      prevEnd = vma.at + vma.pages;
      return ok ? vma : undefined;
    },
    `a list of { ${shape} }`,
  );
}
