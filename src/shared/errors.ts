// Structured errors shared by every binding: {code, message, details}.
import { z } from 'zod'

export const ErrorCode = z.enum([
  'invalid_input',
  'not_found',
  'no_workspace',
  'not_a_workspace',
  'workspace_too_new',
  'conflict',
  'unsupported',
  'unauthorized',
  'internal',
])
export type ErrorCode = z.infer<typeof ErrorCode>

export const ErrorInfo = z.object({
  code: ErrorCode,
  message: z.string(),
  details: z.unknown().optional(),
})
export type ErrorInfo = z.infer<typeof ErrorInfo>

/** An error a user can act on; every binding turns it into an {code, message, details} body. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
    this.name = 'AppError'
  }

  toInfo(): ErrorInfo {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details }
  }
}

/** Any thrown value as an ErrorInfo; unknown errors become `internal` with their message. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof AppError) return err.toInfo()
  const message = err instanceof Error ? err.message : String(err)
  return { code: 'internal', message }
}

/** A schema's verdict as an `invalid_input` error naming each bad field: "Invalid input for WHAT: path: message; …". */
export function invalidInput(what: string, error: z.ZodError): AppError {
  const issues = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))
  const where = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')
  return new AppError('invalid_input', `Invalid input for ${what}: ${where}`, { issues })
}
