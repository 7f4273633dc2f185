#!/usr/bin/env node
// The cpt-studio command: runs the built CLI (npm ci builds it through the prepare script).
const path = require('node:path')
const fs = require('node:fs')
const cli = path.join(__dirname, '..', 'out', 'main', 'cli.js')
if (!fs.existsSync(cli)) {
  process.stderr.write('cpt-studio: the app is not built yet. Run `npm run build` in ' + path.dirname(__dirname) + '\n')
  process.exit(1)
}
require(cli)
