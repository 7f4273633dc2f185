// The one entry both bindings call: validate the input against the contract, run the handler,
// and return an envelope with the data or a structured {code, message, details} error.
import { type Channel, type Envelope, channels } from '../shared/contract'
import { AppError, invalidInput, toErrorInfo } from '../shared/errors'
import type { Handlers } from './handlers'

export function isChannel(name: string): name is Channel {
  return Object.hasOwn(channels, name)
}

export async function dispatch(handlers: Handlers, channel: string, rawInput: unknown): Promise<Envelope<unknown>> {
  try {
    if (!isChannel(channel)) throw new AppError('not_found', `Unknown channel "${channel}".`)
    const parsed = channels[channel].input.safeParse(rawInput ?? {})
    if (!parsed.success) throw invalidInput(channel, parsed.error)
    const handler = handlers[channel] as (input: unknown) => Promise<unknown>
    return { ok: true, data: await handler(parsed.data) }
  } catch (err) {
    const error = toErrorInfo(err)
    if (error.code === 'internal') console.error(`[${channel}]`, err)
    return { ok: false, error }
  }
}
