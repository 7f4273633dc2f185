// The app's version, read once from package.json (bundled at build time).
import pkg from '../../package.json'

export const APP_NAME = 'CPT Studio'
export const APP_VERSION: string = pkg.version
