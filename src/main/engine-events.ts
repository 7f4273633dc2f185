// The engine's event bus: typed, validated, fanned out to every binding (IPC, SSE, CLI).
import { type EventName, type EventPayload, events } from '../shared/contract'

export type EventListener = <E extends EventName>(event: E, payload: EventPayload<E>) => void

export interface EventSink {
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void
}

export class EventBus implements EventSink {
  private readonly listeners = new Set<EventListener>()

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    // Validate outgoing events too: a malformed event is a bug here, not something for a UI to guess at.
    const checked = events[event].parse(payload) as EventPayload<E>
    for (const listener of this.listeners) listener(event, checked)
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
