// The model's "may": thrown where the kernel's behaviour is not certain to the model. The
// simulation then stops predicting for the rest of the process (it never guesses).

/** Raised by a rule that cannot say what the kernel does here; `reason` says why, for the README's list. */
export class Unknown extends Error {
  constructor(readonly reason: string) {
    super(`the model cannot tell: ${reason}`);
    this.name = 'Unknown';
  }
}

/** Throws Unknown unless `ok`. */
export function mustKnow(ok: boolean, reason: string): asserts ok {
  if (!ok) throw new Unknown(reason);
}
