// `--kernel SPEC`: a kernel named on the command line, for a run on several kernels.
import { VmaspecError } from '../errors.js';
import type { KernelOptions } from './request.js';

/** The kernel options of a spec, and the label the matrix shows for it. */
export interface NamedKernel {
  label: string;
  options: Pick<KernelOptions, 'debian' | 'debianImage' | 'tree' | 'image' | 'git' | 'host'>;
}

const FORMS = 'debian:VERSION (debian:6.12, debian:6.1), debian-image:VERSION-FLAVOUR (Debian\'s own build, e.g. debian-image:6.12-cloud-amd64), tree:PATH, image:PATH (its .config beside it), git:REPO@REV, host (the running kernel)';

/** The spec of the kernel this machine runs: the cases run on it, with no VM (runner/host/). */
export const HOST_SPEC = 'host';

/** Parses `debian:6.1`, `tree:~/linux`, `image:/boot/vmlinux`, `git:~/linux@v6.12`, `host`. */
export function parseKernelSpec(text: string): NamedKernel {
  if (text === HOST_SPEC) return { label: text, options: { host: true } };
  const colon = text.indexOf(':');
  const kind = colon < 0 ? '' : text.slice(0, colon);
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  const bad = (why: string): never => {
    throw new VmaspecError('E_USAGE', `--kernel ${JSON.stringify(text)}: ${why}; expected one of: ${FORMS}`);
  };
  if (kind === '') bad('no kind');
  if (rest === '') bad('nothing after the kind');
  switch (kind) {
    case 'debian':
      if (!/^\d+\.\d+$/.test(rest)) bad(`"${rest}" is not a version such as 6.12`);
      return { label: text, options: { debian: rest } };
    case 'debian-image': {
      const m = /^(\d+\.\d+)-([a-z0-9][a-z0-9-]*)$/.exec(rest);
      if (!m) bad(`"${rest}" is not a version and a flavour such as 6.12-cloud-amd64`);
      return { label: text, options: { debianImage: { series: m?.[1] ?? '', flavour: m?.[2] ?? '' } } };
    }
    case 'tree':
      return { label: text, options: { tree: rest } };
    case 'image':
      return { label: text, options: { image: rest } };
    case 'git': {
      const at = rest.lastIndexOf('@');
      if (at <= 0 || at === rest.length - 1) bad('give the repository and a revision: git:REPO@REV');
      return { label: text, options: { git: { repo: rest.slice(0, at), rev: rest.slice(at + 1) } } };
    }
    default:
      return bad(kind === '' ? 'no kind' : `unknown kind "${kind}"`);
  }
}
