// Which view is shown, kept in the URL hash so reloads and the back button work.
export const VIEWS = ['corpus', 'synthesis', 'mixtures', 'runs', 'evaluation', 'jobs', 'settings'] as const
export type View = (typeof VIEWS)[number]

function fromHash(): View {
  const name = window.location.hash.replace(/^#\/?/, '')
  return (VIEWS as readonly string[]).includes(name) ? (name as View) : 'corpus'
}

class Router {
  view = $state<View>(fromHash())

  constructor() {
    window.addEventListener('hashchange', () => (this.view = fromHash()))
  }

  go(view: View): void {
    if (this.view !== view) window.location.hash = `/${view}`
    this.view = view
  }
}

export const router = new Router()
