// Typed errors shared by every Kirchhoff package: a stable `code` for programs, a message for people.

export class KirchhoffError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
