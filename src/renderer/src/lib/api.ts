// The renderer's one way to the engine: the Electron preload bridge when present, else web mode's
// HTTP + server-sent events. Both speak the same contract and unwrap errors the same way.
import { type Api, type Bridge, CHANNELS, type Channel, type Envelope, type EventName, EVENTS } from '../../../shared/contract'

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
  }
}

declare global {
  interface Window {
    cptStudio?: Bridge
  }
}

function unwrap<T>(env: Envelope<T>): T {
  if (env.ok) return env.data
  throw new ApiError(env.error.code, env.error.message, env.error.details)
}

function electronApi(bridge: Bridge): Api {
  const api: Record<string, unknown> = { on: bridge.on }
  // pathForFile stays on window.cptStudio: it is a desktop-only capability, not a contract channel.
  for (const c of CHANNELS) {
    const call = bridge[c] as (input: unknown) => Promise<Envelope<unknown>>
    api[c] = async (input: unknown) => unwrap(await call(input))
  }
  return api as Api
}

/** The web-mode token arrives in the URL once; keep it for this tab and take it out of the address bar. */
function webToken(): string {
  const url = new URL(window.location.href)
  const fromUrl = url.searchParams.get('token')
  if (fromUrl) {
    sessionStorage.setItem('cpt-token', fromUrl)
    url.searchParams.delete('token')
    history.replaceState(null, '', url.pathname + url.search + url.hash)
    return fromUrl
  }
  return sessionStorage.getItem('cpt-token') ?? ''
}

function webApi(): Api {
  const token = webToken()
  const listeners = new Map<EventName, Set<(p: unknown) => void>>()
  const source = new EventSource(`/api/events?token=${encodeURIComponent(token)}`)
  for (const name of EVENTS) {
    source.addEventListener(name, (e) => {
      const payload: unknown = JSON.parse((e as MessageEvent<string>).data)
      for (const l of listeners.get(name) ?? []) l(payload)
    })
  }
  const api: Record<string, unknown> = {
    on(event: EventName, listener: (p: unknown) => void) {
      const set = listeners.get(event) ?? new Set()
      set.add(listener)
      listeners.set(event, set)
      return () => set.delete(listener)
    },
  }
  for (const c of CHANNELS) {
    api[c] = async (input: unknown) => {
      const res = await fetch(`/api/${c satisfies Channel}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify(input ?? {}),
      })
      const body = (await res.json().catch(() => ({}))) as { data?: unknown; error?: { code: string; message: string; details?: unknown } }
      if (!res.ok || body.error) {
        const e = body.error ?? { code: 'internal', message: `HTTP ${res.status}` }
        throw new ApiError(e.code, e.message, e.details)
      }
      return body.data
    }
  }
  return api as Api
}

export const api: Api = window.cptStudio ? electronApi(window.cptStudio) : webApi()
