// App-wide state: host info, preferences, and the theme applied to the document.
import type { AppInfo, Theme } from '../../../shared/contract'
import { api } from '../lib/api'

const media = window.matchMedia('(prefers-color-scheme: dark)')

class AppStore {
  info = $state<AppInfo | null>(null)
  theme = $state<Theme>('system')
  systemDark = $state(media.matches)
  /** The theme in effect after following the system. */
  resolved = $derived<'light' | 'dark'>(this.theme === 'system' ? (this.systemDark ? 'dark' : 'light') : this.theme)

  async load(): Promise<void> {
    media.addEventListener('change', (e) => (this.systemDark = e.matches))
    const [info, prefs] = await Promise.all([api['app:info']({}), api['app:preferences']({})])
    this.info = info
    this.theme = prefs.theme
  }

  async setTheme(theme: Theme): Promise<void> {
    this.theme = theme
    await api['app:setPreferences']({ theme })
  }
}

export const appStore = new AppStore()
