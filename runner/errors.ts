// Errors with stable codes (execa style): every failure that stops a run is a
// VmaspecError whose code says which stage failed and whose cause keeps the detail.

export type ErrorCode =
  | 'E_USAGE' // bad command line
  | 'E_CASE_INVALID' // a case file does not validate
  | 'E_TOOL_MISSING' // a host tool or package is missing
  | 'E_KERNEL_SOURCE' // the kernel source, tree or image cannot be used
  | 'E_KERNEL_CONFIG' // requested options did not survive olddefconfig
  | 'E_KERNEL_BUILD' // make failed
  | 'E_PATCH' // a patch did not apply
  | 'E_CACHE' // the cache directory cannot be written (read-only, full, no permission)
  | 'E_HELPERS_BUILD' // musl-gcc failed on c-helpers/
  | 'E_BOOT' // QEMU failed or the guest never answered
  | 'E_QMP' // QEMU's monitor refused a command or went away (snapshot save or restore)
  | 'E_HOST' // --kernel host cannot run the cases on this machine (not root, no mount namespaces)
  | 'E_SERVE' // the command server (docs/serve.md) did not start
  | 'E_TMPDIR' // TMPDIR (where QEMU's monitor sockets go) is missing, not writable or too long a path
  | 'E_INTERRUPTED'; // Ctrl-C, SIGTERM or SIGHUP

export class VmaspecError extends Error {
  override readonly name = 'VmaspecError';
  readonly code: ErrorCode;
  /** Extra lines printed under the message (a log tail, the command line). */
  readonly details: string[];

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: string[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? [];
  }
}

/** Process exit codes: tests failed (1) is distinct from could not run (2). */
export const EXIT = { ok: 0, testsFailed: 1, couldNotRun: 2, interrupted: 130 } as const;
