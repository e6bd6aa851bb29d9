// Typed errors of @kirchhoff/rccmd: a stable `code` for programs, a message a user can act on.
import { KirchhoffError } from '@kirchhoff/core';

export class RccmdError extends KirchhoffError {}
